#!/usr/bin/env python3
# Evicts the vhostfs-bench data files from the page cache every 2 ms for ARGV[1] seconds (cold-read benchmark).
import glob, os, time, sys
end = time.time() + float(sys.argv[1])
while time.time() < end:
    for p in glob.glob('/tmp/vhostfs-bench-*/share/vhostfs-bench-data/*'):
        try:
            fd = os.open(p, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
        except OSError:
            pass
    time.sleep(0.002)
