// The public class is named Clock, so it cannot live in Main.java, the file the judge
// compiles: javac refuses it (CE).
import java.util.Scanner;

public class Clock {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        int[] dial = new int[9];
        for (int i = 0; i < 9; i++) dial[i] = in.nextInt();
        System.out.println();
    }
}
