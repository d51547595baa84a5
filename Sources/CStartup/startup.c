#include "startup.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

static int closed_fds = 0;

// Runs before the Swift runtime and libdispatch open descriptors of their own:
// were stdin or stdout closed, the first of those would take number 0 or 1,
// and llmr would read its own event descriptor as stdin or write the answer
// into it. Each closed one is held by /dev/null instead, and remembered.
__attribute__((constructor(101)))
static void llmr_claim_standard_fds(void) {
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
            int opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
            if (opened >= 0 && opened != fd) {
                dup2(opened, fd);
                close(opened);
            }
            closed_fds |= 1 << fd;
        }
    }
}

/// Free descriptors llmr needs: the runtime's threads and event descriptors,
/// libcurl's sockets, the state database and its journal, the signal pipe.
#define LLMR_MIN_FREE_FDS 16

// With too few descriptors (ulimit -n 10), the concurrency runtime and
// libdispatch fail to create theirs and trap. Said plainly instead, before
// any of them starts: EX_OSERR (71).
__attribute__((constructor(102)))
static void llmr_check_free_fds(void) {
    int held[LLMR_MIN_FREE_FDS];
    int n = 0;
    while (n < LLMR_MIN_FREE_FDS && (held[n] = fcntl(0, F_DUPFD_CLOEXEC, 3)) >= 0) n++;
    for (int i = 0; i < n; i++) close(held[i]);
    if (n < LLMR_MIN_FREE_FDS) {
        static const char message[] =
            "llmr: too few free file descriptors (llmr needs 16 beside those already open); raise the limit (ulimit -n 64) and try again\n";
        ssize_t ignored = write(2, message, sizeof message - 1);
        (void)ignored;
        _exit(71);
    }
}

int llmr_closed_standard_fds(void) {
    return closed_fds;
}

int llmr_terminal_columns(int fd) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) != 0) return 0;
    return size.ws_col;
}
