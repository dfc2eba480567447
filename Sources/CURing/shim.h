// liburing (Debian 12: liburing-dev 2.3). Its calls return -errno on failure and do not set errno; most of its API
// is static inline functions in this header, which Swift imports as functions.
#include <liburing.h>
