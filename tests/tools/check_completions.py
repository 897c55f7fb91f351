#!/usr/bin/env python3
"""The built bash and zsh completions (helpgen/completions.py) offer every command of
`inmost --help`, every option of `inmost COMMAND --help`, and every verb and option of
`inmostd --help`. Bash runs the completion functions for real (with bash-completion's
helpers and without), on those lists and on values: files, directories, fixed words.
zsh checks its files' syntax (zsh -n), their text must name each command and option,
and zsh itself completes a few command lines (tests/tools/zsh_complete.zsh).
Usage: check_completions.py INMOST INMOSTD BUILD_DIR"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import help_listing  # noqa: E402
from help_listing import command_help, commands, daemon_help, options_in, run  # noqa: E402

BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"

# Runs a program's completion function on one command line, as readline would call it,
# and prints what it offers: `complete_line PROGRAM LINE WORD...`.
DRIVER = r"""
complete_line() {
  local program=$1 line=$2
  shift 2
  COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMP_LINE=$line COMP_POINT=${#line} COMPREPLY=()
  local spec function
  spec=$(complete -p "$program") || { echo "NO COMPLETION for $program"; return; }
  function=${spec#*-F }
  function=${function%% *}
  "$function" "$program" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  printf 'OFFERED %s\n' "${COMPREPLY[*]}"
}
"""


def readline_words(line):
    """COMP_WORDS as bash makes them: split at spaces, and '=' a word of its own."""
    words = [piece for word in line.split(" ") for piece in re.split(r"(=)", word) if piece]
    return words + [""] if line.endswith(" ") else words


def offered(scripts, cases, with_helpers):
    """{line: set of words offered} for each command line in `cases`."""
    source = [f"source {shlex.quote(BASH_COMPLETION)}"] if with_helpers else []
    source += [f"source {shlex.quote(path)}" for path in scripts]
    calls = []
    for line in cases:
        words = readline_words(line)
        calls.append(f"complete_line {shlex.quote(words[0])} {shlex.quote(line)} "
                     + " ".join(shlex.quote(w) for w in words))
    script = "\n".join(source + [DRIVER] + calls) + "\n"
    result = subprocess.run(["bash", "--norc", "--noprofile"], input=script, capture_output=True,
                            text=True, timeout=120)
    answers = [line for line in result.stdout.splitlines() if line.startswith(("OFFERED", "NO "))]
    if result.returncode != 0 or len(answers) != len(cases):
        raise AssertionError(f"bash failed ({result.returncode}): {result.stderr}\n{result.stdout}")
    return {line: set(answer.split()[1:]) if answer.startswith("OFFERED") else {"<none>"}
            for line, answer in zip(cases, answers)}


def expectations(inmost, inmostd, tmp):
    """{command line: (words that must be offered, whether exactly those)}."""
    expect = {"inmost ": (set(commands(inmost)), True),
              "inmost -": (set(options_in(run(inmost, "--help").splitlines())), True)}
    for name in commands(inmost):
        _, own, global_options = command_help(inmost, name)
        expect[f"inmost {name} -"] = (set(own + global_options), True)
    usage, verbs, groups = daemon_help(inmostd)
    expect["inmostd "] = (set(verbs), True)
    expect["inmostd -"] = ({"-h", "--help", "--version"}, True)
    for verb in verbs:
        wanted = {o for caption, options in groups.items()
                  if re.search(rf"\b{verb}\b", caption.split("(")[0]) for o in options}
        wanted |= {o for line in usage if line.split()[1] == verb
                   for o in re.findall(r"--[\w-]+", line)}
        expect[f"inmostd {verb} -"] = (wanted, True)
    # Values and positions: the command after global options and their values, fixed
    # words, files and directories.
    expect.update({
        "inmost se": ({"send", "search"}, True),
        "inmost --data-dir /tmp st": ({"status"}, True),
        "inmost --data-dir=/tmp --json st": ({"status"}, True),
        "inmost export --format ": ({"markdown", "json"}, True),
        "inmost export --format=j": ({"json"}, True),
        "inmost presence ": ({"here", "away", "quiet", "hidden"}, True),
        f"inmost send --file {tmp}/no": ({f"{tmp}/notes.txt"}, True),
        f"inmost --data-dir {tmp}/": ({f"{tmp}/data"}, True),
        "inmostd run --log-level ": ({"debug", "info", "warning", "error"}, True),
        "inmostd run --tor-only=": ({"on", "off"}, True),
        f"inmostd restore {tmp}/no": ({f"{tmp}/notes.txt"}, True),
        f"inmostd init --data-dir {tmp}/d": ({f"{tmp}/data"}, True),
    })
    return expect


def check_bash(scripts, inmost, inmostd):
    failures = []
    for script in scripts:
        if subprocess.run(["bash", "-n", script]).returncode != 0:
            failures.append(f"{script}: bash -n fails")
    modes = [False]
    if os.path.exists(BASH_COMPLETION):
        modes.append(True)
    else:
        help_listing.skip_or_fail(f"{BASH_COMPLETION} is missing (scripts/setup installs "
                                  "bash-completion); tried without its helpers only")
    with tempfile.TemporaryDirectory() as tmp:
        os.mkdir(os.path.join(tmp, "data"))
        open(os.path.join(tmp, "notes.txt"), "w").close()
        expect = expectations(inmost, inmostd, tmp)
        for with_helpers in modes:
            mode = "with bash-completion" if with_helpers else "without bash-completion"
            got = offered(scripts, list(expect), with_helpers)
            for line, (wanted, exactly) in expect.items():
                missing, extra = wanted - got[line], got[line] - wanted if exactly else set()
                if missing or extra:
                    failures.append(f"bash {mode}: {line!r} does not offer {sorted(missing)}"
                                    f" but offers {sorted(extra)}")
    return failures, len(expect)


def zsh_branch(text, name):
    """The _arguments of one command in a zsh completion function."""
    match = re.search(rf"^ {{8}}{re.escape(name)}\)\n(.*?)^ {{10}};;", text, re.M | re.S)
    return match[1] if match else ""


def zsh_offers(branch, option):
    return re.search(rf"'(?:\(- \*\)|\*)?{re.escape(option)}[=\['\s]", branch) is not None


def zsh_offered(directory, line):
    """What zsh's completion offers at the end of `line` (tests/tools/zsh_complete.zsh)."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zsh_complete.zsh")
    result = subprocess.run(["zsh", "-f", script, directory, line], capture_output=True,
                            text=True, timeout=60)
    return set(result.stdout.split())


def check_zsh_runs(directory, inmostd):
    """A few command lines completed by zsh itself, in a pseudo-terminal."""
    _, verbs, _ = daemon_help(inmostd)
    cases = {"inmost se": {"send", "search"},
             "inmost --data-dir /tmp st": {"status"},
             "inmost presence ": {"here", "away", "quiet", "hidden"},
             "inmost send --rep": {"--reply-to"},
             "inmost export --format=": {"markdown", "json"},
             "inmostd ": set(verbs),
             "inmostd run --log-level ": {"debug", "info", "warning", "error"}}
    failures = []
    for line, wanted in cases.items():
        got = zsh_offered(directory, line)
        if got != wanted:
            failures.append(f"zsh: {line!r} offers {sorted(got)}, not {sorted(wanted)}")
    return failures


def check_zsh(paths, inmost, inmostd):
    if shutil.which("zsh") is None:
        help_listing.skip_or_fail("zsh is missing (scripts/setup installs it); its "
                                  "completions were not checked")
        return []
    failures = []
    for path in paths.values():
        result = subprocess.run(["zsh", "-n", path], capture_output=True, text=True)
        if result.returncode != 0:
            failures.append(f"{path}: zsh -n: {result.stderr.strip()}")
    with open(paths["inmost"], encoding="utf-8") as f:
        text = f.read()
    top = text.split("case $state in", 1)[0]
    for option in options_in(run(inmost, "--help").splitlines()):
        if not zsh_offers(top, option):
            failures.append(f"_inmost: does not offer {option} before a command")
    for name in commands(inmost):
        if f"\n        '{name}:" not in text:
            failures.append(f"_inmost: does not offer the command {name}")
        _, own, global_options = command_help(inmost, name)
        branch = zsh_branch(text, name)
        failures += [f"_inmost: {name} does not offer {option}"
                     for option in own + global_options if not zsh_offers(branch, option)]
    failures += check_zsh_runs(os.path.dirname(paths["inmost"]), inmostd)
    with open(paths["inmostd"], encoding="utf-8") as f:
        text = f.read()
    usage, verbs, groups = daemon_help(inmostd)
    for verb in verbs:
        if f"\n        '{verb}:" not in text:
            failures.append(f"_inmostd: does not offer the verb {verb}")
        wanted = {o for caption, options in groups.items()
                  if re.search(rf"\b{verb}\b", caption.split("(")[0]) for o in options}
        failures += [f"_inmostd: {verb} does not offer {option}"
                     for option in sorted(wanted) if not zsh_offers(zsh_branch(text, verb), option)]
    return failures


def main():
    inmost, inmostd, build = sys.argv[1:4]
    bash_dir = os.path.join(build, "share", "bash-completion", "completions")
    zsh_dir = os.path.join(build, "share", "zsh", "vendor-completions")
    bash_failures, cases = check_bash([os.path.join(bash_dir, p) for p in ("inmost", "inmostd")],
                                      inmost, inmostd)
    zsh_files = {p: os.path.join(zsh_dir, "_" + p) for p in ("inmost", "inmostd")}
    failures = bash_failures + check_zsh(zsh_files, inmost, inmostd)
    for failure in failures:
        print(failure)
    if failures:
        return 1
    print(f"completions: bash offered what --help lists in {cases} command lines; zsh too")
    return 0


if __name__ == "__main__":
    sys.exit(main())
