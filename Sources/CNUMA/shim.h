// libnuma: numa_available() must be checked before any other call.
#include <numa.h>
