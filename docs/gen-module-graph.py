#!/usr/bin/python3
"""Draw the module graph of src/ from its #include lines, into docs/DESIGN.md.

A module is a folder of src/ (src/acme/ is "acme"); src/main.c is "main",
src/app.h "app" (the one context struct), src/platform.h "platform" (its
implementations live in platform/<name>/). Module A uses module B when a file
of A has `#include "B/..."` (or "app.h", "platform.h"). The drawing puts every
module on a layer one above the highest module it uses, so that the graph
reads top to bottom, and names the outside libraries each module includes.
Below it, cycles: between modules, and between the files of one module (a
unit is NAME.c with NAME.h; unit X uses unit Y when a file of X includes Y.h).

  docs/gen-module-graph.py              rewrite the text between the markers
                                        <!-- module-graph begin/end --> in docs/DESIGN.md
  docs/gen-module-graph.py --print      print the text instead (for tests/lint/check-docs.py)
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBS = (("bearssl", re.compile(r"^bearssl")), ("lmdb", re.compile(r"^lmdb\.h$")),
        ("c-ares", re.compile(r"^ares")), ("jsmn", re.compile(r"^jsmn\.h$")),
        ("libevent", re.compile(r"^event2/")))
INC = re.compile(r'^\s*#\s*include\s+([<"])([^">]+)[">]')


def module_of(rel):
    """Module of a path under src/ ("acme/order.c" -> "acme")."""
    if "/" in rel:
        return rel.split("/")[0]
    return {"app.h": "app", "platform.h": "platform"}.get(rel, "main")


def shared_header(rel):
    """A module's common ground (M/M.h, M/*_int.h, M/internal.h): not a unit's."""
    d, _, n = rel.rpartition("/")
    return n in (d + ".h", "internal.h") or n.endswith("_int.h")


def unit_of(rel):
    return re.sub(r"\.[ch]$", "", rel)


def scan(root):
    files = []
    src = os.path.join(root, "src")
    for d, _, names in os.walk(src):
        for n in names:
            if n.endswith((".c", ".h")):
                files.append(os.path.relpath(os.path.join(d, n), src))
    files.sort()
    mods, libs, units = {}, {}, {}
    for rel in files:
        m = module_of(rel)
        mods.setdefault(m, set())
        libs.setdefault(m, set())
        u = unit_of(rel)
        units.setdefault(u, set())
        with open(os.path.join(src, rel), encoding="utf-8", errors="replace") as f:
            for line in f:
                g = INC.match(line)
                if not g:
                    continue
                kind, name = g.groups()
                if kind == "<":
                    for lib, pat in LIBS:
                        if pat.search(name):
                            libs[m].add(lib)
                    continue
                if not os.path.exists(os.path.join(src, name)):
                    continue          # generated (autoconf.h) or not ours
                dm = module_of(name)
                if dm != m:
                    mods[m].add(dm)
                du = unit_of(name)
                if du != u and dm == m and not shared_header(name):
                    units[u].add(du)
    return mods, libs, units


def layers(mods):
    layer = {}

    def depth(m, seen):
        if m in layer:
            return layer[m]
        if m in seen:
            return 0              # a cycle: reported below, drawn flat
        seen.add(m)
        d = 1 + max((depth(x, seen) for x in mods[m]), default=-1)
        seen.discard(m)
        layer[m] = d
        return d

    for m in sorted(mods):
        depth(m, set())
    return layer


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def draw(root):
    mods, libs, units = scan(root)
    layer = layers(mods)
    top = max(layer.values())
    width = max(len(m) for m in mods)
    out = ["```",
           "layer  module%s  uses (modules; outside libraries in brackets)" % (" " * (width - 6))]
    for d in range(top, -1, -1):
        for m in sorted(x for x in mods if layer[x] == d):
            deps = sorted(mods[m], key=lambda x: (-layer[x], x))
            s = ", ".join(deps) if deps else "-"
            if libs[m]:
                s += "  [" + ", ".join(sorted(libs[m])) + "]"
            out.append("%5d  %-*s  %s" % (d, width, m, s))
    out.append("```")
    mc = cycles(mods)
    uc = cycles(units)
    out.append("")
    out.append("Cycles between modules: %s." % ("; ".join(" <-> ".join(c) for c in mc)
                                               if mc else "none"))
    out.append("Cycles between the files of a module: %s." % (
        "; ".join(" <-> ".join(c) for c in uc) if uc else "none"))
    return "\n".join(out) + "\n"


def splice(text, body):
    begin, end = "<!-- module-graph begin -->", "<!-- module-graph end -->"
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise SystemExit("docs/DESIGN.md: markers %s / %s missing" % (begin, end))
    return (text[:i + len(begin)] + "\n<!-- generated by docs/gen-module-graph.py from the "
            "#include lines of src/: run it, do not edit -->\n" + body + text[j:])


def main():
    body = draw(ROOT)
    if sys.argv[1:] == ["--print"]:
        sys.stdout.write(body)
        return
    if sys.argv[1:]:
        raise SystemExit("usage: docs/gen-module-graph.py [--print]")
    path = os.path.join(ROOT, "docs/DESIGN.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(splice(text, body))


if __name__ == "__main__":
    main()
