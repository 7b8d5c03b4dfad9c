#!/usr/bin/env python3
"""Where the component's bytes go: code size per crate and per module path.

Reads an *unstripped* component (`just size` builds one), finds its largest
core module, and sums the code-section bodies by the crate and module each
function's (v0-mangled) name starts with. Standard library only.

usage: wasm_sizes.py COMPONENT.wasm [TOP_FUNCTIONS]
"""
import collections
import re
import sys


def leb(b, i):
    result = shift = 0
    while True:
        x = b[i]
        i += 1
        result |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return result, i


def sections(b, start, end):
    i = start
    while i < end:
        sid = b[i]
        n, i = leb(b, i + 1)
        yield sid, i, i + n
        i += n


def skip_limits(m, i):
    flags = m[i]
    _, i = leb(m, i + 1)
    if flags & 1:
        _, i = leb(m, i)
    return i


def core_functions(module):
    """(size, name) of every defined function of a core module."""
    imported, names, code = 0, {}, None
    for sid, a, b in sections(module, 8, len(module)):
        if sid == 2:  # imports: count functions, they take the first indices
            n, i = leb(module, a)
            for _ in range(n):
                for _ in range(2):
                    ln, i = leb(module, i)
                    i += ln
                kind = module[i]
                i += 1
                if kind == 0:
                    _, i = leb(module, i)
                    imported += 1
                elif kind == 1:
                    i = skip_limits(module, i + 1)
                elif kind == 2:
                    i = skip_limits(module, i)
                elif kind == 3:
                    i += 2
        elif sid == 10:
            code = (a, b)
        elif sid == 0:
            ln, i = leb(module, a)
            if module[i:i + ln] != b"name":
                continue
            i += ln
            while i < b:
                sub = module[i]
                n, i = leb(module, i + 1)
                end = i + n
                if sub == 1:
                    count, j = leb(module, i)
                    for _ in range(count):
                        idx, j = leb(module, j)
                        ln, j = leb(module, j)
                        names[idx] = module[j:j + ln].decode("utf8", "replace")
                        j += ln
                i = end
    if code is None:
        return []
    n, i = leb(module, code[0])
    out = []
    for k in range(n):
        ln, j = leb(module, i)
        out.append((j + ln - i, names.get(imported + k, "?")))
        i = j + ln
    return out


def owner(name, depth):
    """`crate::module::…` (depth parts) of a v0-mangled symbol."""
    m = re.search(r"Cs[0-9A-Za-z]*_(\d+)", name)
    if not m:
        return name[:40]
    ln = int(m.group(1))
    crate = name[m.end():m.end() + ln]
    words = [w[:int(n)] for n, w in re.findall(r"(\d+)([A-Za-z_][A-Za-z0-9_]*)", name[m.end() + ln:])]
    return "::".join([crate] + words[:depth])


def main():
    data = open(sys.argv[1], "rb").read()
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    modules = [(a, b) for sid, a, b in sections(data, 8, len(data)) if sid == 1]
    if not modules:
        sys.exit("no core module inside: is this a component?")
    a, b = max(modules, key=lambda m: m[1] - m[0])
    funcs = core_functions(data[a:b])
    total = sum(s for s, _ in funcs)
    print(f"component {len(data):,} bytes; largest core module {b - a:,} bytes; "
          f"code {total:,} bytes in {len(funcs):,} functions\n")
    for depth, title in ((0, "by crate"), (1, "by module")):
        agg = collections.Counter()
        for size, name in funcs:
            agg[owner(name, depth)] += size
        print(f"| {title} | code bytes | share |\n|---|---:|---:|")
        for key, size in agg.most_common(top):
            print(f"| `{key}` | {size:,} | {100 * size / total:.1f}% |")
        print()


if __name__ == "__main__":
    main()
