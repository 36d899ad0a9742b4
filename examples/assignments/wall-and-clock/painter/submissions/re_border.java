// Forgets the edge of the wall: painting a brick of the first row flips the brick "above"
// it, at row -1. ArrayIndexOutOfBoundsException on the first wall of every test: RE.
import java.util.Scanner;

public class Main {
    static int n;
    static boolean[][] white;

    static void paint(int i, int j) {
        white[i][j] ^= true;
        white[i - 1][j] ^= true;
        white[i + 1][j] ^= true;
        if (j > 0) white[i][j - 1] ^= true;
        if (j + 1 < n) white[i][j + 1] ^= true;
    }

    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        int t = in.nextInt();
        while (t-- > 0) {
            n = in.nextInt();
            String[] wall = new String[n];
            for (int i = 0; i < n; i++) wall[i] = in.next();
            int best = -1;
            for (int first = 0; first < (1 << n); first++) {
                white = new boolean[n][n];
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) white[i][j] = wall[i].charAt(j) == 'w';
                int count = 0;
                for (int j = 0; j < n; j++)
                    if ((first >> j & 1) == 1) { paint(0, j); count++; }
                for (int i = 1; i < n; i++)
                    for (int j = 0; j < n; j++)
                        if (white[i - 1][j]) { paint(i, j); count++; }
                boolean yellow = true;
                for (int j = 0; j < n; j++) yellow &= !white[n - 1][j];
                if (yellow && (best < 0 || count < best)) best = count;
            }
            System.out.println(best < 0 ? "inf" : Integer.toString(best));
        }
    }
}
