// The Quartz oracle: Quartz's own CronExpression, answering many queries from one JVM.
//
// One query per line on stdin, fields separated by tabs; one answer line per query on stdout:
//   N <expr> <zone> <start epoch ms> <n>  ->  OK <ms> <ms> ...  (up to n next fire times,
//                                              chained through getNextValidTimeAfter)
//   V <expr>                              ->  OK  |  ERR <Quartz's message>
//   Z <zone> <epoch ms>                   ->  OK <offset ms>  (to check both sides' tz data)
// A malformed or refused expression answers ERR with Quartz's message.
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.TimeZone;
import org.quartz.CronExpression;

public final class QuartzOracle {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            out.write(answer(line.split("\t", -1)));
            out.write('\n');
            if (!in.ready()) {
                out.flush();  // answer a batch as soon as it is read, never sit on a reply
            }
        }
        out.flush();
    }

    static String answer(String[] q) {
        try {
            switch (q[0]) {
                case "N": {
                    CronExpression c = new CronExpression(q[1]);
                    c.setTimeZone(TimeZone.getTimeZone(q[2]));
                    Date d = new Date(Long.parseLong(q[3]));
                    int n = Integer.parseInt(q[4]);
                    StringBuilder sb = new StringBuilder("OK");
                    for (int i = 0; i < n; i++) {
                        d = c.getNextValidTimeAfter(d);
                        if (d == null) {
                            break;
                        }
                        sb.append(' ').append(d.getTime());
                    }
                    return sb.toString();
                }
                case "V":
                    new CronExpression(q[1]);
                    return "OK";
                case "Z":
                    return "OK " + TimeZone.getTimeZone(q[1]).getOffset(Long.parseLong(q[2]));
                default:
                    return "ERR unknown query " + q[0];
            }
        } catch (Exception e) {
            String m = String.valueOf(e.getMessage()).replace('\n', ' ').replace('\r', ' ');
            return "ERR " + e.getClass().getSimpleName() + ": " + m;
        }
    }
}
