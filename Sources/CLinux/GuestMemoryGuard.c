#define _GNU_SOURCE // before any include: Glibc's GNU-only calls and constants, for this file only (see CLinux.h)
// SIGBUS guard for guest memory: a front-end can shrink (ftruncate) the file behind a region it gave us after we
// mapped it; the next access to the lost pages raises SIGBUS, which would kill the daemon. The handler below
// repairs such a fault in place and records it, and the device drops the connection (issue 10, hole 4).
//
// Why a handler and not guarded copies (sigsetjmp around each access): ring and descriptor reads are plain loads
// from Swift on the data path; guarding them would put a C call and a sigsetjmp on every access. The handler costs
// nothing until a fault happens.
#include "CLinux.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>

#define GUARD_SLOTS 4096

struct guard_slot {
    _Atomic uintptr_t start;   // first byte of the mapping (page-aligned), 0 when the slot is free
    _Atomic uintptr_t end;     // one past the last byte; published last, cleared first
    _Atomic uintptr_t granule; // page size of the mapping (huge pages for hugetlbfs)
    _Atomic uint32_t faults;   // faults repaired in this mapping
};

static struct guard_slot guard_slots[GUARD_SLOTS];
static _Atomic uint64_t guard_generation;
static _Atomic int guard_high_water;
static struct sigaction guard_previous;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static int guard_install_error;
static pthread_mutex_t guard_registry = PTHREAD_MUTEX_INITIALIZER;

static void guard_handler(int sig, siginfo_t *info, void *context) {
    (void)sig;
    (void)context;
    int saved = errno;
    // si_code > 0: raised by the kernel for a memory access (BUS_ADRERR...), not sent with kill().
    if (info->si_code > 0) {
        uintptr_t address = (uintptr_t)info->si_addr;
        int high = atomic_load_explicit(&guard_high_water, memory_order_acquire);
        for (int i = 0; i < high; i++) {
            struct guard_slot *s = &guard_slots[i];
            uintptr_t end = atomic_load_explicit(&s->end, memory_order_acquire);
            if (end == 0) continue;
            uintptr_t start = atomic_load_explicit(&s->start, memory_order_relaxed);
            if (address < start || address >= end) continue;
            uintptr_t granule = atomic_load_explicit(&s->granule, memory_order_relaxed);
            uintptr_t page = address & ~(granule - 1);
            // Anonymous zero pages over the lost page of our own mapping (MAP_FIXED only ever lands inside a
            // mapping this process made and still owns: the slot is cleared before munmap). The access that faulted
            // is retried on return and sees zeros; writes go nowhere. The raw system call: mmap is not on POSIX's
            // async-signal-safe list, the system call itself is.
            long r = syscall(SYS_mmap, (void *)page, (size_t)granule, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            if (r == -1) break;  // cannot repair: behave as if the guard were not there
            atomic_fetch_add_explicit(&s->faults, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&guard_generation, 1, memory_order_release);
            errno = saved;
            return;
        }
    }
    // Not a fault in guest memory: the previous disposition (the default action, a core dump, or the Swift
    // runtime's backtracer). A fault re-executes the instruction on return and raises SIGBUS again under it; a
    // signal sent by kill() is raised again.
    sigaction(SIGBUS, &guard_previous, NULL);
    if (info->si_code <= 0) raise(SIGBUS);
    errno = saved;
}

static void guard_install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = guard_handler;
    action.sa_flags = SA_SIGINFO;
    sigfillset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &guard_previous) != 0) guard_install_error = errno;
}

long CLinux_guest_memory_guard_register(void *start, size_t length, size_t granule) {
    if (start == NULL || length == 0 || granule == 0 || (granule & (granule - 1)) != 0) return -EINVAL;
    pthread_once(&guard_once, guard_install);
    if (guard_install_error != 0) return -guard_install_error;
    uintptr_t s = (uintptr_t)start;
    uintptr_t e;
    if (__builtin_add_overflow(s, length, &e)) return -EINVAL;
    pthread_mutex_lock(&guard_registry);
    long slot = -ENOSPC;
    for (int i = 0; i < GUARD_SLOTS; i++) {
        if (atomic_load_explicit(&guard_slots[i].end, memory_order_relaxed) != 0) continue;
        atomic_store_explicit(&guard_slots[i].start, s, memory_order_relaxed);
        atomic_store_explicit(&guard_slots[i].granule, (uintptr_t)granule, memory_order_relaxed);
        atomic_store_explicit(&guard_slots[i].faults, 0, memory_order_relaxed);
        atomic_store_explicit(&guard_slots[i].end, e, memory_order_release);
        if (i + 1 > atomic_load_explicit(&guard_high_water, memory_order_relaxed)) {
            atomic_store_explicit(&guard_high_water, i + 1, memory_order_release);
        }
        slot = i;
        break;
    }
    pthread_mutex_unlock(&guard_registry);
    return slot;
}

void CLinux_guest_memory_guard_unregister(long slot) {
    if (slot < 0 || slot >= GUARD_SLOTS) return;
    pthread_mutex_lock(&guard_registry);
    atomic_store_explicit(&guard_slots[slot].end, 0, memory_order_release);
    atomic_store_explicit(&guard_slots[slot].start, 0, memory_order_relaxed);
    pthread_mutex_unlock(&guard_registry);
}

uint32_t CLinux_guest_memory_guard_faults(long slot) {
    if (slot < 0 || slot >= GUARD_SLOTS) return 0;
    return atomic_load_explicit(&guard_slots[slot].faults, memory_order_acquire);
}

uint64_t CLinux_guest_memory_guard_generation(void) {
    return atomic_load_explicit(&guard_generation, memory_order_acquire);
}
