// libaio: Debian ships no pkg-config file for it, so the module map links "aio" directly.
// libaio calls return -errno on failure and do not set errno.
#include <libaio.h>
