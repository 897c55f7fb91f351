#!/usr/bin/env python3
"""Writes the man pages inmost(1), inmostd(8) and inmostd.conf(5) in roff, from the
built programs' --help (help_text.py), so a page says what the program does.
Usage: man_pages.py --inmost BIN --inmostd BIN --date YYYY-MM-DD --out DIR [--example CONF]"""

import argparse
import os
import re
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import help_text  # noqa: E402

SEE_ALSO = {"inmost": ["inmostd(8)", "inmostd.conf(5)"],
            "inmostd": ["inmost(1)", "inmostd.conf(5)"],
            "inmostd.conf": ["inmostd(8)", "inmost(1)"]}


def esc(text):
    """`text` for a roff text line: backslashes, dashes and non-ASCII characters (\\[uXXXX])
    escaped, no control dot."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)
    return "\\&" + text if text.startswith((".", "'")) else text


def bold(text):
    return f"\\fB{esc(text)}\\fR"


def italic(text):
    return f"\\fI{esc(text)}\\fR"


def definition_list(lines):
    """[(term, [description lines])] of indented two-column lines ("  0  success",
    "  here    your partner ..." with its wrapped lines), or None if they are not one."""
    indent = min(len(line) - len(line.lstrip()) for line in lines)
    deeper = [len(line) - len(line.lstrip()) for line in lines
              if len(line) - len(line.lstrip()) > indent]
    column = min(deeper, default=0)
    items = []
    for line in lines:
        if len(line) - len(line.lstrip()) > indent:
            if not items:
                return None
            items[-1][1].append(line.strip())
            continue
        if column and len(line) > column and line[column - 1] == " ":
            term, rest = line[:column].strip(), line[column:].strip()
        else:
            parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            if len(parts) < 2:
                return None
            term, rest = parts
        items.append((term, [rest]))
    return items


def term_roff(term):
    head, _, tail = term.partition(" ")
    return bold(head) + (" " + esc(tail) if tail else "")


def text_roff(block):
    """A block of --help text: its plain lines as a filled paragraph, its indented
    lines as a tagged list (or as they are, when they are no list)."""
    out, runs = [], []
    for line in block:
        indented = line.startswith(" ")
        if runs and runs[-1][0] == indented:
            runs[-1][1].append(line)
        else:
            runs.append((indented, [line]))
    for position, (indented, lines) in enumerate(runs):
        if not indented:
            out.append(".PP")
            out.extend(esc(line) for line in lines)
            continue
        items = definition_list(lines)
        if items is None:
            out.extend([".RS", ".nf"] + [esc(line.strip()) for line in lines] + [".fi", ".RE"])
            continue
        for term, description in items:
            out.extend([".TP", term_roff(term)] + [esc(line) for line in description])
    return out


def option_tag(option, placeholder=""):
    names = ([bold("-" + option.short)] if option.short else []) + [bold("--" + option.name)]
    tag = ", ".join(names)
    value = option.value if option.value != "arg" or not placeholder else placeholder
    if value:
        tag += " " + italic(value)
    if option.default:
        tag += " " + esc(f"(default: {option.default})")
    return tag


def options_roff(options, placeholders=None):
    out = []
    for option in options:
        tag = option_tag(option, (placeholders or {}).get(option.name, ""))
        out.extend([".TP", tag, esc(option.description)])
    return out


def is_titled_list(block):
    """A block such as "Exit codes:" over indented lines: a section of its own."""
    return (len(block) > 1 and not block[0].startswith(" ") and block[0].endswith(":")
            and all(line.startswith(" ") for line in block[1:]))


def section_title(caption):
    return "EXIT STATUS" if caption.lower() == "exit codes" else caption.upper()


def header(name, section, manual, program, date):
    version = program.version.split()[0]
    return [f'.\\" {name}({section}), generated from --help by helpgen/man_pages.py: do not edit.',
            f'.TH "{name.upper()}" "{section}" "{date}" "inmost {version}" "{manual}"',
            ".SH NAME"]


def synopsis(lines, words):
    """Usage lines with their first `words` words (the program, a command) in bold."""
    out = [".SH SYNOPSIS", ".nf"]
    for line in lines:
        parts = line.split(None, words)
        rest = " " + esc(parts[words]) if len(parts) > words else ""
        out.append(bold(" ".join(parts[:words])) + rest)
    return out + [".fi"]


def described(blocks):
    """(roff of the plain blocks, [(section title, roff)] of the titled lists)."""
    body, sections = [], []
    for block in blocks:
        if is_titled_list(block):
            sections.append((section_title(block[0][:-1]), text_roff(block[1:])))
        else:
            body.extend(text_roff(block))
    return body, sections


def see_also(name):
    refs = [re.match(r"(.*)\((\d)\)", ref).groups() for ref in SEE_ALSO[name]]
    return [".SH SEE ALSO", ",\n".join(f".BR {page} ({section})" for page, section in refs)]


def inmost_page(cli, date):
    out = header("inmost", 1, "User Commands", cli, date)
    out.append(esc("inmost - the command line of inmost, "
                   "an encrypted conversation with one partner"))
    out += synopsis([cli.usage[0]], 1)
    body, sections = described(cli.description + cli.epilogue)
    out += [".SH DESCRIPTION"] + body
    out += [".SH COMMANDS", ".PP",
            "Every command also takes " + bold("-h") + ", " + bold("--help") +
            " and the global options below."]
    for command in cli.commands:
        out += [f".SS {command.name}", ".PP", ".nf"]
        out += [bold(" ".join(line.split()[:2])) + " " + esc(" ".join(line.split()[2:]))
                for line in command.usage]
        out.append(".fi")
        for block in command.description:
            out += text_roff(block)
        options = [o for group in command.groups for o in group.options if o.name != "help"]
        if options:
            out += [".PP", italic("Options:")]
        out += options_roff(options, help_text.usage_values(command.usage))
        for block in command.epilogue:
            out += text_roff(block)
    out += [".SH GLOBAL OPTIONS"] + options_roff([o for g in cli.groups for o in g.options])
    for title, roff in sections:
        out += [f".SH {title}"] + roff
    return out + see_also("inmost")


def inmostd_page(daemon, date):
    out = header("inmostd", 8, "System Administration", daemon, date)
    out.append(esc("inmostd - the inmost daemon: "
                   "an end-to-end encrypted conversation with one partner"))
    out += synopsis(daemon.usage, 2)
    body, sections = described(daemon.description + daemon.epilogue)
    out += [".SH DESCRIPTION"] + body + [".SH OPTIONS"]
    placeholders = help_text.usage_values(daemon.usage)
    _, file_option = help_text.config_file_group(daemon)
    for group in daemon.groups:
        out += [".SS " + esc(group.caption)] + options_roff(group.options, placeholders)
        if any(option.name == file_option for option in group.options):
            out += [".PP", "The config file is described in", ".BR inmostd.conf (5)."]
    for title, roff in sections:
        out += [f".SH {title}"] + roff
    return out + see_also("inmostd")


def config_page(daemon, date, example):
    group, file_option = help_text.config_file_group(daemon)
    placeholders = help_text.usage_values(daemon.usage)
    placeholder = placeholders.get(file_option, "FILE")
    out = header("inmostd.conf", 5, "File Formats", daemon, date)
    out.append(esc("inmostd.conf - the config file of the inmost daemon, inmostd"))
    out += [".SH SYNOPSIS", bold(f"inmostd run --{file_option}") + " " + italic(placeholder)]
    out += [".SH DESCRIPTION", ".PP",
            f"The file named by {bold('--' + file_option)} sets options of {bold('inmostd run')},",
            f"one a line, as {italic('key')} = {italic('value')}: each key below is the option of",
            "the same name without its dashes, and takes the same values.",
            "A key may appear more than once where the option may be repeated.",
            "Lines starting with # are comments; blank lines are ignored.",
            "An option given on the command line wins over the file.",
            ".SH OPTIONS"]
    for option in group.options:
        if option.name in ("help", file_option):
            continue
        value = option.value
        if value in ("", "arg"):
            value = placeholders.get(option.name, "value")
        default = " " + esc(f"(default: {option.default})") if option.default else ""
        out += [".TP", bold(option.name) + " = " + italic(value) + default, esc(option.description)]
    if example:
        with open(example, encoding="utf-8") as f:
            lines = f.read().splitlines()
        out += [".SH EXAMPLE", ".PP", "An example file, with every option explained:",
                ".PP", ".RS", ".nf"]
        out += [esc(line) if line else "" for line in lines] + [".fi", ".RE"]
    return out + see_also("inmostd.conf")


def write(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inmost", required=True)
    parser.add_argument("--inmostd", required=True)
    parser.add_argument("--date", required=True)
    parser.add_argument("--out", required=True, help="the man directory (gets man1, man5, man8)")
    parser.add_argument("--example", default="", help="an example config file for inmostd.conf(5)")
    args = parser.parse_args()
    cli, daemon = help_text.read_inmost(args.inmost), help_text.read_inmostd(args.inmostd)
    write(os.path.join(args.out, "man1", "inmost.1"), inmost_page(cli, args.date))
    write(os.path.join(args.out, "man8", "inmostd.8"), inmostd_page(daemon, args.date))
    write(os.path.join(args.out, "man5", "inmostd.conf.5"),
          config_page(daemon, args.date, args.example))


if __name__ == "__main__":
    main()
