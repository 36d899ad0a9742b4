/* Pid 1 of a box (bwrap --as-pid-1): starts the program, reaps orphans, reports.
 *
 *   boxinit STATUS_FD START_FD
 *
 * First it writes "ready" to STATUS_FD and waits on START_FD: meanwhile the host moves it
 * into the box's cgroup and places the files. Then the host writes what to run and closes
 * the pipe, all strings NUL-terminated:
 *
 *   go  N  NAME=SOFT:HARD ... (N rlimits)  M  NAME=VALUE ... (M environment)  K  ARG ... (argv)
 *
 * If the host is gone instead (end of file before "go"), it exits without running anything:
 * a box whose launcher died never runs outside its cgroup. A box can so be made ahead of
 * the run that uses it.
 *
 * The program runs as pid 2 with those rlimits, so that it keeps the usual signal
 * semantics (pid 1 of a namespace ignores signals it has no handler for). When it ends,
 * one line goes to STATUS_FD:
 *
 *   exited|signaled CODE UTIME_US STIME_US MAXRSS_KB EXEC_ERRNO SIGSYS
 *
 * CODE is the exit code or the signal number, the usage is the program's with the
 * descendants it waited for, SIGSYS is 1 when any process this init reaped died of SIGSYS
 * (the seccomp filter kills with it). Then this process exits and the kernel kills
 * whatever is left in the pid namespace. bwrap only
 * reports 128+signal as an exit code, which a program can also exit with: hence this init.
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

extern char **environ;

#define MAX_SPEC (4 << 20)
#define MAX_ITEMS 4096

/* The strings of the spec, one after another: NULL past its end. */
struct reader {
    char *at, *end;
};

static char *next(struct reader *r) {
    char *s = r->at;
    char *nul = s < r->end ? memchr(s, '\0', r->end - s) : NULL;
    if (nul == NULL)
        return NULL;
    r->at = nul + 1;
    return s;
}

/* A count, then that many strings into items (NULL-terminated); -1 when malformed. */
static int read_list(struct reader *r, char **items) {
    char *count = next(r), *end;
    if (count == NULL)
        return -1;
    long n = strtol(count, &end, 10);
    if (*end != '\0' || n < 0 || n >= MAX_ITEMS)
        return -1;
    for (long k = 0; k < n; k++)
        if ((items[k] = next(r)) == NULL)
            return -1;
    items[n] = NULL;
    return (int)n;
}

static char *read_all(int fd, size_t *size) {
    char *buf = malloc(MAX_SPEC);
    size_t got = 0;
    ssize_t n;
    if (buf == NULL)
        return NULL;
    while (got < MAX_SPEC && (n = read(fd, buf + got, MAX_SPEC - got)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            free(buf);
            return NULL;
        }
        got += n;
    }
    *size = got;
    return buf;
}

int main(int argc, char **argv) {
    static char *limit_args[MAX_ITEMS], *env[MAX_ITEMS], *program[MAX_ITEMS];
    struct limit limits[16];
    if (argc != 3)
        return USAGE_ERROR;
    int status_fd = atoi(argv[1]);
    int start_fd = atoi(argv[2]);

    /* Not dumpable: /proc/1 belongs to root then, so the program (same uid) cannot open
     * our descriptors through /proc/1/fd and write a forged report. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return USAGE_ERROR + 1;
    if (write(status_fd, "ready\n", 6) != 6)
        return USAGE_ERROR + 3;
    size_t size = 0;
    char *spec = read_all(start_fd, &size);
    close(start_fd);
    struct reader r = {spec, spec + size};
    char *go = spec ? next(&r) : NULL;
    if (go == NULL || strcmp(go, "go") != 0)
        return USAGE_ERROR + 3; /* the host is gone: run nothing */
    int count = read_list(&r, limit_args);
    if (count < 0 || count > 16 || read_list(&r, env) < 0 || read_list(&r, program) < 1)
        return USAGE_ERROR;
    for (int k = 0; k < count; k++)
        if (parse_limit(limit_args[k], &limits[k]) != 0)
            return USAGE_ERROR;

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
            environ = env; /* execvp looks the program up on this PATH */
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
    dprintf(status_fd, "%s %d %ld %ld %ld %d %d\n", WIFSIGNALED(status) ? "signaled" : "exited",
            WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
            micros(usage.ru_utime), micros(usage.ru_stime), usage.ru_maxrss, exec_errno, sigsys);
    return 0;
}
