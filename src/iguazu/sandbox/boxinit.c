/* Pid 1 of a box (bwrap --as-pid-1): starts the program, reaps orphans, reports.
 *
 *   boxinit STATUS_FD START_FD [NAME=SOFT:HARD]... -- PROGRAM [ARG]...
 *
 * First it writes "ready" to STATUS_FD and waits for "go" on START_FD: meanwhile the host
 * moves it into the box's cgroup. If the host is gone instead (end of file), it exits
 * without running anything: a box whose launcher died never runs outside its cgroup.
 *
 * The program runs as pid 2 with the given rlimits (names below), so that it keeps the
 * usual signal semantics (pid 1 of a namespace ignores signals it has no handler for).
 * When the program ends, one line goes to STATUS_FD:
 *
 *   exited|signaled CODE UTIME_US STIME_US MAXRSS_KB EXEC_ERRNO SIGSYS SELF_CPU_US
 *
 * CODE is the exit code or the signal number, the usage is the program's with the
 * descendants it waited for, SIGSYS is 1 when any process this init reaped died of SIGSYS
 * (the seccomp filter's kill), SELF_CPU_US is this process's own CPU time. Then this process
 * exits and the kernel kills whatever is left in the pid namespace. bwrap only reports
 * 128+signal as an exit code, which a program can also exit with: hence this helper.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define USAGE_ERROR 120

static const struct {
    const char *name;
    int resource;
} known[] = {
    {"cpu", RLIMIT_CPU},       {"fsize", RLIMIT_FSIZE},     {"nofile", RLIMIT_NOFILE},
    {"stack", RLIMIT_STACK},   {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},
    {"nproc", RLIMIT_NPROC},   {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE},
};

struct limit {
    int resource;
    struct rlimit value;
};

static int parse_limit(const char *arg, struct limit *out) {
    const char *eq = strchr(arg, '=');
    if (eq == NULL)
        return -1;
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        if (strlen(known[k].name) == (size_t)(eq - arg) &&
            strncmp(known[k].name, arg, eq - arg) == 0) {
            char *end;
            out->resource = known[k].resource;
            out->value.rlim_cur = strtoull(eq + 1, &end, 10);
            if (*end != ':')
                return -1;
            out->value.rlim_max = strtoull(end + 1, &end, 10);
            return *end == '\0' ? 0 : -1;
        }
    }
    return -1;
}

static long micros(struct timeval t) { return t.tv_sec * 1000000L + t.tv_usec; }

int main(int argc, char **argv) {
    struct limit limits[16];
    int count = 0, i;
    if (argc < 5)
        return USAGE_ERROR;
    int status_fd = atoi(argv[1]);
    int start_fd = atoi(argv[2]);
    for (i = 3; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (count == 16 || parse_limit(argv[i], &limits[count++]) != 0)
            return USAGE_ERROR;
    }
    if (i + 1 >= argc)
        return USAGE_ERROR;
    char **program = argv + i + 1;

    /* Not dumpable: /proc/1 belongs to root then, so the program (same uid) cannot open
     * our descriptors through /proc/1/fd and write a forged report. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return USAGE_ERROR + 1;
    char go[2];
    if (write(status_fd, "ready\n", 6) != 6 || read(start_fd, go, 2) != 2 ||
        go[0] != 'g' || go[1] != 'o')
        return USAGE_ERROR + 3;
    close(start_fd);
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0)
        return USAGE_ERROR + 1;
    pid_t child = fork();
    if (child < 0)
        return USAGE_ERROR + 1;
    if (child == 0) {
        int err = 0;
        close(errpipe[0]);
        close(status_fd);
        for (int k = 0; k < count && err == 0; k++)
            if (setrlimit(limits[k].resource, &limits[k].value) != 0)
                err = errno;
        if (err == 0) {
            execvp(program[0], program);
            err = errno;
        }
        if (write(errpipe[1], &err, sizeof err) < 0)
            _exit(127);
        _exit(127);
    }
    close(errpipe[1]);
    /* Until the exec: the pipe closes (success) or brings the errno. Closed before the
     * program runs, so nothing it does can write into it. */
    int exec_errno = 0;
    if (read(errpipe[0], &exec_errno, sizeof exec_errno) != sizeof exec_errno)
        exec_errno = 0;
    close(errpipe[0]);

    int status = 0, sigsys = 0;
    struct rusage usage;
    for (;;) {
        int st;
        struct rusage ru;
        pid_t pid = wait4(-1, &st, 0, &ru);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            return USAGE_ERROR + 2;
        }
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
            sigsys = 1;
        if (pid == child) {
            status = st;
            usage = ru;
            break;
        }
    }
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    dprintf(status_fd, "%s %d %ld %ld %ld %d %d %ld\n",
            WIFSIGNALED(status) ? "signaled" : "exited",
            WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
            micros(usage.ru_utime), micros(usage.ru_stime), usage.ru_maxrss, exec_errno, sigsys,
            micros(self.ru_utime) + micros(self.ru_stime));
    return 0;
}
