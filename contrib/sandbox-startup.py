#!/usr/bin/env python3
"""Start-up time of vhostfsd per sandbox mode: from exec to the "waiting for a vhost-user front-end" log line,
alternating none (no sandbox, no seccomp), namespace and chroot.

    sudo ./contrib/sandbox-startup.py [.build/release/vhostfsd] [ROUNDS]

With STARTUP_USER=UID:GID (and optionally STARTUP_MAP="--uid-map=... --gid-map=..."), also as that ordinary user
(through setpriv, a copy of the binary it can run): namespace (a user namespace of its own first) and none.
"""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

executable = sys.argv[1] if len(sys.argv) > 1 else ".build/release/vhostfsd"
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
modes = [("none", ["--sandbox=none", "--seccomp=none"]), ("namespace", []), ("chroot", ["--sandbox=chroot"])]
user = os.environ.get("STARTUP_USER")
if user:
    uid, gid = (int(x) for x in user.split(":"))
    copy_dir = tempfile.mkdtemp()
    os.chmod(copy_dir, 0o755)
    subprocess.run(["install", "-m", "0755", executable, copy_dir + "/vhostfsd"], check=True)
    setpriv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", copy_dir + "/vhostfsd"]
    modes += [("user none", ["--sandbox=none"]), ("user ns", [])]
    if os.environ.get("STARTUP_MAP"):
        modes.append(("user ns map", os.environ["STARTUP_MAP"].split()))
times = {name: [] for name, _ in modes}
for _ in range(rounds):
    for name, extra in modes:
        with tempfile.TemporaryDirectory() as root:
            os.mkdir(root + "/share")
            command = [executable]
            if name.startswith("user"):
                os.chmod(root, 0o755)
                for path in (root, root + "/share"):
                    os.chown(path, uid, gid)
                command = setpriv
            started = time.monotonic()
            daemon = subprocess.Popen(
                command + [f"--socket-path={root}/s.sock", f"--shared-dir={root}/share"] + extra,
                stderr=subprocess.PIPE, text=True)
            for line in daemon.stderr:
                if "waiting for a vhost-user front-end" in line:
                    times[name].append((time.monotonic() - started) * 1000)
                    break
            daemon.send_signal(signal.SIGTERM)
            daemon.wait()
if user:
    shutil.rmtree(copy_dir)
for name, _ in modes:
    values = sorted(times[name])
    print(f"{name:11s} median {statistics.median(values):6.1f} ms  min {values[0]:6.1f}  max {values[-1]:6.1f}  "
          f"n={len(values)}")
