// libseccomp (libseccomp-dev): the seccomp filter is built from a table of system-call names and loaded on every
// thread. libseccomp calls return -errno on failure and do not set errno.
#include <seccomp.h>

/// SCMP_ACT_ERRNO(error): fail the call with `error` (a macro with an argument, which Swift does not import).
static inline uint32_t CSeccomp_act_errno(uint16_t error) { return SCMP_ACT_ERRNO(error); }
