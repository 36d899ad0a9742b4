/* Exits with 137, which a shell would take for "killed by SIGKILL". */
int main(void) { return 137; }
