#!/usr/bin/env python3
"""The built man pages (helpgen/man_pages.py) say what --help says: every command of
`inmost --help` has its section in inmost.1 with its usage lines and every option of
`inmost COMMAND --help`; inmostd.8 has every verb and option of `inmostd --help`;
inmostd.conf.5 every key of its config file. The pages are exactly what the built
programs' --help makes now (so none is stale), and groff reads them without a warning.
Usage: check_man_pages.py INMOST INMOSTD BUILD_DIR HELPGEN_DIR"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import help_listing  # noqa: E402
from help_listing import command_help, commands, daemon_help, options_in, run  # noqa: E402

PAGES = ["man1/inmost.1", "man8/inmostd.8", "man5/inmostd.conf.5"]


def plain(roff):
    """Roff source as text: font changes and escapes dropped, '\\-' as '-'."""
    text = re.sub(r"\\f[BIRP]", "", roff)
    text = text.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")
    return re.sub(r"\\\[u([0-9A-F]{4,})\]", lambda m: chr(int(m[1], 16)), text)


def sections(roff):
    """{".SH NAME" or ".SS name": its text, plain}, and {the same: the tags of its .TP
    items (an option's "-h, --help"), plain} of a page."""
    text, tags, title, after_tp = {}, {}, "", False
    for line in roff.splitlines():
        if line.startswith((".SH ", ".SS ")):
            title = plain(line)
            text[title], tags[title] = "", ""
        elif title:
            text[title] += plain(line) + "\n"
            if after_tp:
                tags[title] += plain(line) + "\n"
        after_tp = line == ".TP"
    return text, tags


def has_option(tags, option):
    """Whether `option` is one of the options an item's tag names."""
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", tags) is not None


def squeeze(text):
    return " ".join(text.split())


def check_inmost(page, inmost):
    failures, (parts, tags) = [], sections(page)
    globals_text = tags.get(".SH GLOBAL OPTIONS", "")
    for option in options_in(run(inmost, "--help").splitlines()):
        if not has_option(globals_text, option):
            failures.append(f"inmost.1: GLOBAL OPTIONS lacks {option}")
    for name in commands(inmost):
        text = parts.get(f".SS {name}")
        if text is None:
            failures.append(f"inmost.1: no section for the command {name}")
            continue
        usage, own, global_options = command_help(inmost, name)
        for line in usage:
            if squeeze(line) not in squeeze(text):
                failures.append(f"inmost.1: {name} lacks its usage line {line!r}")
        for option in own:
            if option not in ("-h", "--help") and not has_option(tags[f".SS {name}"], option):
                failures.append(f"inmost.1: {name} lacks its option {option}")
        for option in global_options:
            if not has_option(globals_text, option):
                failures.append(f"inmost.1: GLOBAL OPTIONS lacks {option} (of inmost {name})")
    return failures


def check_inmostd(page, inmostd):
    failures, (parts, tags) = [], sections(page)
    usage, verbs, groups = daemon_help(inmostd)
    for line in usage:
        if squeeze(line) not in squeeze(parts.get(".SH SYNOPSIS", "")):
            failures.append(f"inmostd.8: SYNOPSIS lacks {line!r}")
    for verb in verbs:
        if not re.search(rf"^{verb}\b", parts.get(".SH DESCRIPTION", ""), re.M):
            failures.append(f"inmostd.8: DESCRIPTION does not describe {verb}")
    for caption, options in groups.items():
        text = tags.get(f".SS {caption}")
        if text is None:
            failures.append(f"inmostd.8: no section {caption!r}")
            continue
        failures += [f"inmostd.8: {caption!r} lacks {option}" for option in options
                     if not has_option(text, option)]
    return failures


def check_config(page, inmostd, example):
    """Every option of the group the --config file may set is a key, and so is every
    key the example config file sets."""
    failures, (_, tags) = [], sections(page)
    keys = set(re.findall(r"^([\w-]+) = ", tags.get(".SH OPTIONS", ""), re.M))
    _, _, groups = daemon_help(inmostd)
    in_file = [options for caption, options in groups.items() if "--config file" in caption]
    if len(in_file) != 1:
        return [f"inmostd --help has no one option group for the config file: {list(groups)}"]
    expected = {o[2:] for o in in_file[0] if o.startswith("--")} - {"help", "config"}
    failures += [f"inmostd.conf.5: lacks the key {key}" for key in sorted(expected - keys)]
    failures += [f"inmostd.conf.5: documents {key}, not an option"
                 for key in sorted(keys - expected)]
    if example and os.path.exists(example):
        with open(example, encoding="utf-8") as f:
            used = set(re.findall(r"^#? ?([\w-]+) = ", f.read(), re.M))
        failures += [f"{example}: sets {key}, which is no key" for key in sorted(used - expected)]
    return failures


def check_regenerated(share, inmost, inmostd, helpgen, example):
    """The built pages are what the programs' --help makes now (same date)."""
    with open(os.path.join(share, PAGES[0]), encoding="utf-8") as f:
        date = re.search(r'^\.TH "\S+" "\d" "([^"]*)"', f.read(), re.M)[1]
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-B", os.path.join(helpgen, "man_pages.py"), "--inmost", inmost,
                   "--inmostd", inmostd, "--date", date, "--out", out]
        subprocess.run(command + (["--example", example] if os.path.exists(example) else []),
                       check=True)
        failures = []
        for page in PAGES:
            with open(os.path.join(out, page), encoding="utf-8") as fresh, \
                    open(os.path.join(share, page), encoding="utf-8") as built:
                if fresh.read() != built.read():
                    failures.append(f"{page}: stale: --help now makes another page (rebuild)")
        return failures


def check_groff(paths):
    if shutil.which("groff") is None:
        help_listing.skip_or_fail("groff is missing (scripts/setup installs groff-base); "
                                  "the pages were not typeset")
        return []
    failures = []
    for path in paths:
        result = subprocess.run(["groff", "-man", "-ww", "-z", "-Tutf8", path],
                                capture_output=True, text=True)
        if result.returncode != 0 or result.stderr:
            failures.append(f"{path}: groff: {result.stderr.strip() or result.returncode}")
    return failures


def main():
    inmost, inmostd, build, helpgen = sys.argv[1:5]
    share = os.path.join(build, "share", "man")
    example = os.path.join(os.path.dirname(helpgen), "scripts", "inmostd.conf")
    pages = {}
    for page in PAGES:
        with open(os.path.join(share, page), encoding="utf-8") as f:
            pages[page] = f.read()
    failures = check_inmost(pages[PAGES[0]], inmost)
    failures += check_inmostd(pages[PAGES[1]], inmostd)
    failures += check_config(pages[PAGES[2]], inmostd, example)
    failures += check_regenerated(share, inmost, inmostd, helpgen, example)
    failures += check_groff([os.path.join(share, page) for page in PAGES])
    # The check itself must see a page that lost an option: drop one and look again.
    send_option = command_help(inmost, "send")[1][0]
    dropped = "\n".join(line for line in pages[PAGES[0]].splitlines()
                        if not plain(line).startswith(send_option + " "))
    if not any(send_option in failure for failure in check_inmost(dropped, inmost)):
        failures.append(f"the check missed inmost.1 without send's {send_option}")
    for failure in failures:
        print(failure)
    if failures:
        return 1
    print(f"man pages: {len(commands(inmost))} commands and their options in inmost.1; "
          f"inmostd.8 and inmostd.conf.5 complete; regenerated the same; groff reads them cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
