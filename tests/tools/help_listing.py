"""What `inmost --help`, `inmost COMMAND --help` and `inmostd --help` list, read plainly
and apart from helpgen/ (whose output the tests check against it), and the SKIPPED rule
of the documentation tests."""

import os
import re
import subprocess
import sys

# An option's line in a Boost.Program_options listing: "  -h [ --help ]", "  --limit N".
OPTION_LINE = re.compile(r"^  (?:-(\w) \[ --([\w-]+) \]|--([\w-]+))(?=\s|$)")


def run(*argv):
    result = subprocess.run(list(argv), capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {result.returncode}: {result.stderr}")
    return result.stdout


def options_in(lines):
    """["-h", "--help", "--limit", ...]: the options listed in `lines`."""
    found = []
    for line in lines:
        match = OPTION_LINE.match(line)
        if match:
            found += ([f"-{match[1]}"] if match[1] else []) + [f"--{match[2] or match[3]}"]
    return found


def commands(inmost):
    """The command names `inmost --help` lists under "Commands:"."""
    block = run(inmost, "--help").split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


def command_help(inmost, name):
    """(usage lines, the command's own options, the global options it also takes)."""
    text = run(inmost, name, "--help")
    own, _, rest = text.partition("\nGlobal options")
    usage = own.split("\n\n", 1)[0].splitlines()
    usage = [usage[0].removeprefix("Usage: ")] + [line.strip() for line in usage[1:]]
    return usage, options_in(own.splitlines()), options_in(rest.splitlines())


def daemon_help(inmostd):
    """(usage lines, verbs, {option group caption: its options}) of `inmostd --help`."""
    text = run(inmostd, "--help")
    usage = text.split("\n\n", 1)[0].splitlines()
    usage = [usage[0].removeprefix("usage: ")] + [line.strip() for line in usage[1:]]
    verbs = [line.split()[1] for line in usage if not line.split()[1].startswith("-")]
    groups = {}
    for block in text.split("\n\n"):
        lines = block.strip("\n").splitlines()
        if len(lines) > 1 and lines[0].endswith(":") and options_in(lines[1:2]):
            groups[lines[0][:-1]] = options_in(lines[1:])
    return usage, verbs, groups


def skip_or_fail(reason):
    """A missing tool: SKIPPED and a pass, except in CI (CI=true), where it fails."""
    if os.environ.get("CI") == "true":
        print(f"FAILED: {reason}: this test may not be skipped in CI", file=sys.stderr)
        sys.exit(1)
    print(f"\n*** SKIPPED {os.path.basename(sys.argv[0])}: {reason} ***\n", file=sys.stderr,
          flush=True)
