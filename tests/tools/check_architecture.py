#!/usr/bin/env python3
"""Keeps docs/architecture.md honest: every path it or its picture's source names
exists, every folder of the daemon and the clients is described there, and the
committed SVG is the rendering of docs/architecture.dot (scripts/architecture)."""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC = os.path.join(ROOT, "docs", "architecture.md")
DOT = os.path.join(ROOT, "docs", "architecture.dot")
# Folders whose sub-folders each hold one part and must be in the document.
PART_ROOTS = ["daemon", "client", "cli", "web"]


def named_paths(text):
    """Repository paths written in backquotes (`daemon/core/router.h`) or as dot
    labels' path lines ("daemon/core/router.h")."""
    found = set()
    for candidate in re.findall(r"[`\"]([A-Za-z0-9_./-]+/[A-Za-z0-9_./-]*)[`\"\\]", text):
        if candidate.startswith(("http", "/")) or "*" in candidate:
            continue
        found.add(candidate.rstrip("/"))
    return found


def main():
    failures = []
    with open(DOC, encoding="utf-8") as f:
        doc = f.read()
    with open(DOT, encoding="utf-8") as f:
        dot = f.read()
    for path in sorted(named_paths(doc) | named_paths(dot)):
        if not os.path.exists(os.path.join(ROOT, path)):
            failures.append(f"names {path}, which does not exist")
    for part_root in PART_ROOTS:
        top = os.path.join(ROOT, part_root)
        if not os.path.isdir(top):
            continue
        for dirpath, dirnames, _ in os.walk(top):
            for name in dirnames:
                rel = os.path.relpath(os.path.join(dirpath, name), ROOT)
                if f"`{rel}/`" not in doc and f"`{rel}`" not in doc:
                    failures.append(f"does not describe the folder {rel}/")
    if shutil.which("dot") is None:
        print("SKIPPED: Graphviz's dot is missing (scripts/setup installs it); "
              "the SVG was not compared with its source", flush=True)
    else:
        checked = subprocess.run([os.path.join(ROOT, "scripts", "architecture"), "--check"],
                                 capture_output=True, text=True)
        if checked.returncode != 0:
            failures.append(checked.stderr.strip())
    for failure in failures:
        print(f"docs/architecture.md: {failure}")
    if failures:
        return 1
    print(f"docs/architecture.md: {len(named_paths(doc) | named_paths(dot))} paths checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
