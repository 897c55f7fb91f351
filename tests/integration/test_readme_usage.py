#!/usr/bin/env python3
"""README.md's command reference must be what the programs print, so the two never drift.

Standard library only; no daemon is started (every `--help` answers by itself). The rule:

- README.md has a `### Command reference` section whose first indented code block holds
  exactly the usage lines, in order: those of `inmostd --help` (its `usage:` block), the
  first line of `inmost --help`, then for every command `inmost --help` lists, in its
  order, the first line of `inmost COMMAND --help`, each without its `Usage: ` prefix.
  A line missing, extra, moved or different fails, and the failure prints the block as
  it should be.
- `inmost --help` and `inmostd --help` list every exit code the programs use (the
  README says so): cli/exit_code.h's codes, and those daemon/main.cc returns.
"""

import os
import re
import sys
import unittest

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import INMOST, INMOSTD  # noqa: E402

# The help listings' reader, shared with the man-page and completion checks.
sys.path.insert(0, os.path.join(harness.ROOT, "tests", "tools"))
from help_listing import commands, run  # noqa: E402

README = os.path.join(harness.ROOT, "README.md")
REFERENCE_HEADING = "### Command reference"


def daemon_usage_lines(help_text):
    """inmostd's usage block: "usage: inmostd init ..." and the lines under it."""
    block = help_text.split("\n\n", 1)[0].splitlines()
    assert block and block[0].startswith("usage: "), f"no usage block in:\n{help_text}"
    return [block[0][len("usage: "):]] + [line.strip() for line in block[1:]]


def expected_reference():
    lines = daemon_usage_lines(run(INMOSTD, "--help"))
    overview = run(INMOST, "--help")
    lines.append(overview.splitlines()[0][len("Usage: "):])
    for name in commands(INMOST):
        first = run(INMOST, name, "--help").splitlines()[0]
        prefix = f"Usage: inmost {name}"
        assert first == prefix or first.startswith(prefix + " "), \
            f"inmost {name} --help starts {first!r}, not {prefix!r}"
        assert first == first.rstrip(), f"inmost {name} --help: trailing space in {first!r}"
        lines.append(first[len("Usage: "):])
    return lines


def readme_reference():
    """The lines of the first indented code block under REFERENCE_HEADING, unindented."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    if REFERENCE_HEADING not in text:
        raise AssertionError(f"README.md has no '{REFERENCE_HEADING}' section")
    section = text.split(REFERENCE_HEADING, 1)[1]
    section = re.split(r"^#{1,3} ", section, maxsplit=1, flags=re.M)[0]
    lines, started = [], False
    for line in section.splitlines():
        if line.startswith("    "):
            started = True
            lines.append(line[4:])
        elif started:
            break
    return lines


def exit_codes_listed(help_text):
    """The codes in a help text's "Exit codes:" block ("  2  usage error ...")."""
    block = help_text.split("\nExit codes:\n", 1)[1]
    return {int(m.group(1)) for m in re.finditer(r"^  (\d+)  \S", block, re.M)}


def source(*parts):
    with open(os.path.join(harness.ROOT, *parts), encoding="utf-8") as f:
        return f.read()


class ReadmeUsageTest(unittest.TestCase):

    def setUp(self):
        for path in (INMOSTD, INMOST):
            if not os.access(path, os.X_OK):
                self.fail(f"{path} is missing; build first or set INMOST_BIN_DIR")

    def test_the_command_reference_is_what_help_prints(self):
        expected = expected_reference()
        got = readme_reference()
        if got != expected:
            missing = [line for line in expected if line not in got]
            extra = [line for line in got if line not in expected]
            block = "\n".join("    " + line for line in expected)
            self.fail(f"README.md's '{REFERENCE_HEADING}' differs from the programs' usage.\n"
                      f"missing or different: {missing}\nnot in any --help: {extra}\n"
                      f"(if both are empty, the order differs)\nIt should read:\n\n{block}\n")

    def test_help_lists_every_exit_code(self):
        cli_codes = {int(v) for v in re.findall(r"kExit\w+ = (\d+)", source("cli", "exit_code.h"))}
        self.assertTrue(cli_codes, "no exit codes found in cli/exit_code.h")
        self.assertEqual(exit_codes_listed(run(INMOST, "--help")), cli_codes)
        daemon_codes = {int(v) for v in re.findall(r"\breturn (\d+);", source("daemon", "main.cc"))}
        self.assertTrue(daemon_codes, "no exit codes found in daemon/main.cc")
        self.assertEqual(exit_codes_listed(run(INMOSTD, "--help")), daemon_codes)


if __name__ == "__main__":
    unittest.main(verbosity=2)
