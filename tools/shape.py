#!/usr/bin/env python3
"""The feature shape of the code, measured: for each crate named (default: store, web), its
source files and lines, the longest files and functions, and the import graph between its
top-level modules (a folder module counts as one) with any cycle. For `web`, also its API and
page features, which must not import one another.

    python3 tools/shape.py [--root DIR] [CRATE ...]

`--root` measures another checkout (e.g. `git worktree add /tmp/old <rev>`).

Functions are found by their `fn` line and the closing brace at the same indentation, so
the counts include doc-free bodies only; good enough to compare two versions of the tree."""

import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ARGS = sys.argv[1:]
if ARGS[:1] == ["--root"]:
    ROOT, ARGS = ARGS[1], ARGS[2:]


def rust_files(folder):
    for d, _, files in os.walk(folder):
        for f in sorted(files):
            if f.endswith(".rs"):
                yield os.path.join(d, f)


def functions(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)(pub(\([a-z]+\))? )?(async )?fn (\w+)", line)
        if not m:
            continue
        for j in range(i + 1, len(lines)):
            if lines[j] == m.group(1) + "}":
                yield j - i + 1, m.group(5)
                break


def graph(src):
    units = {}
    for p in rust_files(src):
        top = os.path.relpath(p, src).split(os.sep)[0]
        units.setdefault(top[:-3] if top.endswith(".rs") else top, []).append(p)
    edges = {u: set() for u in units}
    for unit, files in units.items():
        for p in files:
            text = open(p, encoding="utf-8").read()
            named = re.findall(r"crate::(\w+)", text)
            for group in re.findall(r"use crate::\{([^}]*)\}", text, re.S):
                named += re.findall(r"(?:^|[,\s{])(\w+)", group)
            edges[unit] |= {t for t in named if t in edges and t != unit}
    return edges


def cycles(edges):
    found, state = [], {}

    def visit(n, path):
        state[n] = 1
        path.append(n)
        for m in sorted(edges[n]):
            if state.get(m) == 1:
                found.append(path[path.index(m):] + [m])
            elif not state.get(m):
                visit(m, path)
        path.pop()
        state[n] = 2

    for n in sorted(edges):
        if not state.get(n):
            visit(n, [])
    return found


def report(crate):
    src = os.path.join(ROOT, "crates", crate, "src")
    sizes, fns = [], []
    for p in rust_files(src):
        rel = os.path.relpath(p, ROOT)
        sizes.append((sum(1 for _ in open(p, encoding="utf-8")), rel))
        fns += [(n, f"{name} ({rel})") for n, name in functions(p)]
    sizes.sort(reverse=True)
    fns.sort(reverse=True)
    print(f"{crate}: {len(sizes)} files, {sum(n for n, _ in sizes)} lines")
    print("  longest files:     " + ", ".join(f"{p} {n}" for n, p in sizes[:3]))
    print("  longest functions: " + ", ".join(f"{p} {n}" for n, p in fns[:3]))
    found = cycles(graph(src))
    print("  import cycles between modules: " + ("; ".join(" -> ".join(c) for c in found) or "none"))
    for layer in ("api", "pages"):
        folder = os.path.join(src, layer)
        if os.path.isdir(folder):
            print(f"  {layer}/ files naming a sibling feature: {siblings(folder, layer)}")


def siblings(folder, layer):
    """Feature files of `folder` that name another file of it (`crate::LAYER::x`, `super::x`)."""
    # The pages' own plumbing (the shell, the texts, the charts) is shared, not a feature.
    plumbing = {"mod", "shell", "i18n", "chart"}
    names = {os.path.basename(p)[:-3] for p in rust_files(folder)} - plumbing
    found = []
    for p in rust_files(folder):
        me = os.path.basename(p)[:-3]
        if me in plumbing:
            continue
        text = open(p, encoding="utf-8").read()
        named = re.findall(rf"crate::{layer}::(\w+)", text) + re.findall(r"super::(\w+)", text)
        found += [f"{me} -> {n}" for n in set(named) if n in names and n != me]
    return ", ".join(sorted(found)) or "none"


for crate in ARGS or ["store", "web"]:
    report(crate)
