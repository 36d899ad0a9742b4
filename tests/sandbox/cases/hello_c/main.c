#include <stdio.h>
int main(void) { puts("hello from the box"); return 0; }
