/* check input.txt output.txt expected.txt: exit 0 if the output is two positive integers
 * adding up to the input's n, 2 if it has something more or less than two integers, 1 if
 * they are wrong; the first line printed says why. */
#include <stdio.h>
int main(int argc, char **argv) {
    long long n, a, b;
    char extra;
    if (argc != 4) return 3;
    FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "r");
    if (!in || !out || fscanf(in, "%lld", &n) != 1) return 3;
    if (fscanf(out, "%lld %lld", &a, &b) != 2 || fscanf(out, " %c", &extra) == 1) {
        printf("two integers expected\n");
        return 2;
    }
    if (a < 1 || b < 1 || a + b != n) {
        printf("%lld + %lld is not %lld with both positive\n", a, b, n);
        return 1;
    }
    printf("ok\n");
    return 0;
}
