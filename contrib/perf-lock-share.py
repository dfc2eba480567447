#!/usr/bin/env python3
"""Share of a `perf record` profile's samples spent on locking in vhostfsd.

Usage: perf-lock-share.py PERF_DATA VHOSTFSD_BINARY

Counted as locking: samples in Swift Synchronization's Mutex slow path (`_MutexHandle._lockSlow`, taken when
the lock is held by another thread), in kernel futex code, and samples landing right after a `lock`-prefixed or
`xchg` instruction in the daemon's own code (an inlined Mutex lock or unlock, or another atomic: perf's skid
puts the sample one instruction after the one that cost). Prints the total, each kind, and the functions.
"""
import bisect
import collections
import re
import subprocess
import sys


def main() -> None:
    data, binary = sys.argv[1], sys.argv[2]
    disassembly = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary],
                                 capture_output=True, text=True, check=True).stdout
    addresses, instructions = [], []
    for line in disassembly.splitlines():
        m = re.match(r"^\s+([0-9a-f]+):\s+(.*)$", line)
        if m:
            addresses.append(int(m.group(1), 16))
            instructions.append(m.group(2))
    symbols = {}
    for line in subprocess.run(["nm", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            symbols.setdefault(parts[2], int(parts[0], 16))
    samples = subprocess.run(["perf", "script", "-G", "-i", data, "-F", "ip,sym,symoff,dso"],
                             capture_output=True, text=True, check=True).stdout
    total = 0
    kinds = collections.Counter()
    functions = collections.Counter()
    name = binary.split("/")[-1]
    for line in samples.splitlines():
        line = line.strip()
        if not line:
            continue
        total += 1
        m = re.match(r"^[0-9a-f]+\s+(\S+)\+0x([0-9a-f]+)\s+\((.*)\)$", line)
        if not m:
            continue
        symbol, offset, dso = m.group(1), int(m.group(2), 16), m.group(3)
        if "_MutexHandle" in symbol:
            kinds["Mutex slow path"] += 1
            functions[symbol[:90]] += 1
        elif "futex" in symbol:
            kinds["kernel futex"] += 1
            functions[symbol] += 1
        elif dso.endswith(name) and symbol in symbols:
            address = symbols[symbol] + offset
            i = bisect.bisect_left(addresses, address)
            if 0 < i < len(addresses) and addresses[i] == address:
                previous = instructions[i - 1]
                if previous.startswith("lock ") or previous.startswith("xchg"):
                    kinds["inline atomic (lock/xchg)"] += 1
                    functions[symbol[:90]] += 1
    print(f"samples {total}")
    if total == 0:
        return
    for kind, n in kinds.items():
        print(f"  {kind}: {n} ({100 * n / total:.2f}%)")
    locking = sum(kinds.values())
    print(f"  all locking: {locking} ({100 * locking / total:.2f}%)")
    for function, n in functions.most_common(8):
        print(f"    {n:5d} {100 * n / total:5.2f}%  {function}")


if __name__ == "__main__":
    main()
