#!/usr/bin/env python3
"""Lines per function body in Swift sources: from a line declaring func/init/subscript/deinit to the line
where its braces balance. Prints the top N as 'lines file:line name'. Usage: contrib/funclen.py Sources [N]"""
import os, re, sys
root = sys.argv[1]; top = int(sys.argv[2]) if len(sys.argv) > 2 else 5
decl = re.compile(r'^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|private|fileprivate|internal|package|static|final|'
                  r'override|mutating|nonmutating|nonisolated|consuming|borrowing|@inlinable|@inline\(__always\)|'
                  r'class|convenience|required)\s+)*(func\s+[^\s(<]+|init[?!]?|deinit|subscript)')
rows = []
for d, _, fs in os.walk(root):
    for f in fs:
        if not f.endswith('.swift'): continue
        p = os.path.join(d, f); lines = open(p, encoding='utf-8').read().split('\n')
        i = 0
        while i < len(lines):
            m = decl.match(lines[i])
            if not m: i += 1; continue
            depth = 0; started = False; j = i
            while j < len(lines):
                s = re.sub(r'"(?:\\.|[^"\\])*"', '""', lines[j]); s = s.split('//')[0]
                for c in s:
                    if c == '{': depth += 1; started = True
                    elif c == '}': depth -= 1
                if started and depth <= 0: break
                if not started and j > i + 15: break
                j += 1
            if started: rows.append((j - i + 1, f"{os.path.relpath(p, root)}:{i+1}", m.group(1)))
            i += 1
rows.sort(reverse=True)
for n, loc, name in rows[:top]: print(f"{n:5d}  {loc}  {name}")
