// liburing (Debian 12: liburing-dev 2.3). Its calls return -errno on failure and do not set errno; most of its API
// is static inline functions in this header, which Swift imports as functions.
//
// liburing.h defines _GNU_SOURCE before it includes the C library's headers. In a module of its own that would build
// fd_set, sigset_t and friends in GNU mode here and in plain mode everywhere else, and Clang refuses the two
// definitions ("fds_bits ... is not present in definition of fd_set"). Including <features.h> first fixes the
// C library's feature set at its default (as every other module sees it); liburing needs nothing GNU-only from it.
#include <features.h>
#include <liburing.h>
