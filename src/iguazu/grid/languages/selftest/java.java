// The Java self-test: reads numbers until the end of input, prints their sum and count.
import java.io.*;
import java.util.*;

public class Main {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        long sum = 0;
        int n = 0;
        String line;
        while ((line = in.readLine()) != null) {
            StringTokenizer st = new StringTokenizer(line);
            while (st.hasMoreTokens()) {
                sum += Long.parseLong(st.nextToken());
                n++;
            }
        }
        System.out.println(sum + " " + n);
    }
}
