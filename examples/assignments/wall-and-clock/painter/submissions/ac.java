// A learner's accepted answer in Java: rows as bitmasks, the first row enumerated.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.StringTokenizer;

public class Main {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        StringBuilder all = new StringBuilder();
        for (String line; (line = in.readLine()) != null; ) all.append(line).append(' ');
        StringTokenizer words = new StringTokenizer(all.toString());
        int t = Integer.parseInt(words.nextToken());
        StringBuilder out = new StringBuilder();
        while (t-- > 0) {
            int n = Integer.parseInt(words.nextToken());
            int[] wall = new int[n + 1];
            for (int i = 0; i < n; i++) {
                String row = words.nextToken();
                for (int j = 0; j < n; j++) if (row.charAt(j) == 'w') wall[i] |= 1 << j;
            }
            int full = (1 << n) - 1, best = -1;
            int[] rows = new int[n + 1];
            for (int first = 0; first <= full; first++) {
                System.arraycopy(wall, 0, rows, 0, n + 1);
                int paint = first, count = 0;
                for (int i = 0; i < n; i++) {
                    count += Integer.bitCount(paint);
                    rows[i] ^= (paint ^ (paint << 1) ^ (paint >> 1)) & full;
                    rows[i + 1] ^= paint;
                    paint = rows[i];
                }
                if (paint == 0 && (best < 0 || count < best)) best = count;
            }
            out.append(best < 0 ? "inf" : Integer.toString(best)).append('\n');
        }
        System.out.print(out);
    }
}
