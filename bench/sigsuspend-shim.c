/*
 * For bench/callgrind.py only. Valgrind 3.19 (Debian 12's) writes into the signal mask a program
 * passes to sigsuspend, and libdispatch passes one in read-only memory: valgrind then crashes as
 * soon as a Swift program's main thread parks in dispatch_main. Preloaded under valgrind, this
 * sigsuspend hands the kernel a writable copy of the mask instead; nothing else changes.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, _NSIG / 8);
}
