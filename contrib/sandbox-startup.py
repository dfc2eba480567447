#!/usr/bin/env python3
"""Start-up time of vhostfsd per sandbox mode: from exec to the "waiting for a vhost-user front-end" log line,
alternating none (no sandbox, no seccomp), namespace and chroot.

    sudo ./contrib/sandbox-startup.py [.build/release/vhostfsd] [ROUNDS]
"""
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

executable = sys.argv[1] if len(sys.argv) > 1 else ".build/release/vhostfsd"
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
modes = [("none", ["--sandbox=none", "--seccomp=none"]), ("namespace", []), ("chroot", ["--sandbox=chroot"])]
times = {name: [] for name, _ in modes}
for _ in range(rounds):
    for name, extra in modes:
        with tempfile.TemporaryDirectory() as root:
            os.mkdir(root + "/share")
            started = time.monotonic()
            daemon = subprocess.Popen(
                [executable, f"--socket-path={root}/s.sock", f"--shared-dir={root}/share"] + extra,
                stderr=subprocess.PIPE, text=True)
            for line in daemon.stderr:
                if "waiting for a vhost-user front-end" in line:
                    times[name].append((time.monotonic() - started) * 1000)
                    break
            daemon.send_signal(signal.SIGTERM)
            daemon.wait()
for name, _ in modes:
    values = sorted(times[name])
    print(f"{name:10s} median {statistics.median(values):6.1f} ms  min {values[0]:6.1f}  max {values[-1]:6.1f}  "
          f"n={len(values)}")
