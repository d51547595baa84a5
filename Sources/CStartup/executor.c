#include "startup.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* A single-threaded executor for Swift concurrency, for the commands that make
   one request and exit (ask, route, providers). Swift's default executor on
   Linux is libdispatch: the async main gives the main thread away
   (dispatch_main) and every job runs on a pool thread, so a one-shot command
   starts four threads (the main queue's, a worker, dispatch's manager and its
   pool monitor) and hands each step from one to another. Here every job, the
   main actor's and the global executor's alike, runs on the main thread: the
   global executor's in the order enqueued, timed ones (Task.sleep) when due,
   and the main queue's whenever libdispatch says it has work. Other threads
   (libcurl's, the database's, the signal watcher) only enqueue. Installed
   through the Swift runtime's executor hooks from a constructor, since the
   async main enters its run loop before any Swift code of ours could. chat and
   bench keep libdispatch's pool: the REPL blocks in line editing and bench
   wants both cores. */

#define SWIFTCC __attribute__((swiftcall))

typedef struct { void *identity; uintptr_t implementation; } executor_ref;

extern SWIFTCC void swift_job_run(void *job, executor_ref executor);
extern SWIFTCC void swift_get_time(long long *seconds, long long *nanoseconds, int clock);

extern void *swift_task_enqueueGlobal_hook;
extern void *swift_task_enqueueGlobalWithDelay_hook;
extern void *swift_task_enqueueGlobalWithDeadline_hook;
extern void *swift_task_asyncMainDrainQueue_hook;

/* The main actor's jobs go to libdispatch's main queue whatever the hooks say
   (the main executor is that queue); the run loop drains it as CoreFoundation
   does, through the eventfd libdispatch pokes when the queue has work. */
extern int _dispatch_get_main_queue_handle_4CF(void);
extern void _dispatch_main_queue_callback_4CF(void *message);

struct entry {
    void *job;
    uint64_t due; /* CLOCK_MONOTONIC nanoseconds; timed entries only */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int wake_fd = -1;
static int sleeping;
static struct entry *ready;
static size_t ready_head, ready_count, ready_cap;
static struct entry *timed;
static size_t timed_count, timed_cap;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void grow(struct entry **items, size_t *cap, size_t need) {
    if (need <= *cap) return;
    size_t next = *cap ? *cap * 2 : 64;
    while (next < need) next *= 2;
    struct entry *bigger = realloc(*items, next * sizeof **items);
    if (!bigger) abort();
    *items = bigger;
    *cap = next;
}

/* Called with the lock held. */
static void push_ready(struct entry e) {
    if (ready_head > 0 && ready_head + ready_count == ready_cap) {
        memmove(ready, ready + ready_head, ready_count * sizeof *ready);
        ready_head = 0;
    }
    grow(&ready, &ready_cap, ready_head + ready_count + 1);
    ready[ready_head + ready_count++] = e;
}

static void enqueue(void *job, uint64_t due) {
    pthread_mutex_lock(&lock);
    if (due == 0) {
        push_ready((struct entry){job, 0});
    } else {
        grow(&timed, &timed_cap, timed_count + 1);
        timed[timed_count++] = (struct entry){job, due};
    }
    int poke = sleeping;
    sleeping = 0;
    pthread_mutex_unlock(&lock);
    if (poke) {
        uint64_t one = 1;
        while (write(wake_fd, &one, sizeof one) < 0 && errno == EINTR) {}
    }
}

static SWIFTCC void enqueue_global(void *job, void *original) {
    (void)original;
    enqueue(job, 0);
}

static SWIFTCC void enqueue_delay(unsigned long long delay, void *job, void *original) {
    (void)original;
    uint64_t due = now_ns() + (delay > UINT64_MAX / 2 ? UINT64_MAX / 2 : delay);
    enqueue(job, due ? due : 1);
}

static SWIFTCC void enqueue_deadline(long long sec, long long nsec, long long tsec, long long tnsec, int clock,
                                     void *job, void *original) {
    (void)tsec; (void)tnsec; (void)original;
    /* The deadline is on the task's clock; what is left of it is waited on ours. */
    long long now_s = 0, now_n = 0;
    swift_get_time(&now_s, &now_n, clock);
    long double left = ((long double)sec - (long double)now_s) * 1e9L + ((long double)nsec - (long double)now_n);
    uint64_t delay = left <= 0 ? 0 : left > 1e18L ? (uint64_t)1e18 : (uint64_t)left;
    uint64_t due = now_ns() + delay;
    enqueue(job, due ? due : 1);
}

/* Moves due timed entries to the ready queue; returns the earliest remaining due time, or 0. */
static uint64_t release_due(uint64_t now) {
    uint64_t earliest = 0;
    size_t kept = 0;
    for (size_t i = 0; i < timed_count; i++) {
        if (timed[i].due <= now) {
            push_ready(timed[i]);
        } else {
            if (earliest == 0 || timed[i].due < earliest) earliest = timed[i].due;
            timed[kept++] = timed[i];
        }
    }
    timed_count = kept;
    return earliest;
}

static void clear(int fd) {
    uint64_t count;
    while (read(fd, &count, sizeof count) < 0 && errno == EINTR) {}
}

static SWIFTCC void drain(void *original, void *override) {
    (void)original; (void)override;
    executor_ref generic = {0, 0};
    int main_fd = _dispatch_get_main_queue_handle_4CF();
    /* Whatever reached the main queue before the loop started (the first
       main-actor job is pushed from the top-level code). */
    _dispatch_main_queue_callback_4CF(NULL);
    for (;;) {
        pthread_mutex_lock(&lock);
        uint64_t earliest = timed_count ? release_due(now_ns()) : 0;
        if (ready_count > 0) {
            struct entry e = ready[ready_head++];
            if (--ready_count == 0) ready_head = 0;
            pthread_mutex_unlock(&lock);
            swift_job_run(e.job, generic);
            continue;
        }
        sleeping = 1;
        pthread_mutex_unlock(&lock);
        int timeout = -1;
        if (earliest) {
            /* At most an hour at a time: a far deadline is waited for in steps. */
            uint64_t now = now_ns();
            uint64_t ms = earliest <= now ? 0 : (earliest - now + 999999) / 1000000;
            timeout = ms > 3600000 ? 3600000 : (int)ms;
        }
        struct pollfd fds[2] = {{wake_fd, POLLIN, 0}, {main_fd, POLLIN, 0}};
        int n = poll(fds, 2, timeout);
        pthread_mutex_lock(&lock);
        sleeping = 0;
        pthread_mutex_unlock(&lock);
        if (n <= 0) continue;
        if (fds[0].revents) clear(wake_fd);
        if (fds[1].revents) {
            clear(main_fd);
            _dispatch_main_queue_callback_4CF(NULL);
        }
    }
}

__attribute__((constructor(102)))
static void llmr_install_executor(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc < 2 || !argv[1]) return;
    const char *command = argv[1];
    if (strcmp(command, "ask") != 0 && strcmp(command, "route") != 0 && strcmp(command, "providers") != 0) return;
    wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd < 0) return;
    swift_task_enqueueGlobal_hook = (void *)enqueue_global;
    swift_task_enqueueGlobalWithDelay_hook = (void *)enqueue_delay;
    swift_task_enqueueGlobalWithDeadline_hook = (void *)enqueue_deadline;
    swift_task_asyncMainDrainQueue_hook = (void *)drain;
}
