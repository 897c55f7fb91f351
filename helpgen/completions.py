#!/usr/bin/env python3
"""Writes the bash and zsh completions of inmost and inmostd from the built programs'
--help (help_text.py): what each command and option is, and what its values may be.
Usage: completions.py --inmost BIN --inmostd BIN --bash-dir DIR --zsh-dir DIR"""

import argparse
import os
import re
import sys
from dataclasses import dataclass, field

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import bash_completion  # noqa: E402
import help_text  # noqa: E402
import zsh_completion  # noqa: E402


@dataclass
class Word:
    """An option, or a positional argument, and how to complete its value."""
    names: list               # ["-h", "--help"]; for a positional, its placeholders
    description: str = ""
    takes_value: bool = False
    value_name: str = ""      # "PATH", "ID|today"
    action: tuple = ()        # ("files",), ("dirs",), ("words", [...]) or () for anything
    repeatable: bool = False
    variadic: bool = False    # a positional that takes the rest ("TEXT...")


@dataclass
class Context:
    """The words completed at one place: before a command, or after one."""
    name: str                 # "" before a command
    summary: str = ""
    options: list = field(default_factory=list)
    positionals: list = field(default_factory=list)


@dataclass
class Spec:
    program: str
    top: Context
    commands: list


def value_action(value_name, choices):
    if choices:
        return ("words", choices)
    if re.search(r"DIR$", value_name):
        return ("dirs",)
    if re.search(r"(FILE|PATH)$", value_name):
        return ("files",)
    return ()


def option_word(option, usage):
    placeholder = help_text.usage_values(usage).get(option.name, "")
    value_name = placeholder if option.value in ("", "arg") and placeholder else option.value
    repeated = (re.search(r"\brepeat", option.description) is not None or
                any(re.search(rf"\[--{option.name}\b[^\]]*\]\.\.\.", line) or
                    line.count(f"--{option.name} ") > 1 for line in usage))
    names = ([f"-{option.short}"] if option.short else []) + [f"--{option.name}"]
    return Word(names=names, description=help_text.first_sentence(option.description),
                takes_value=bool(option.value), value_name=value_name,
                action=value_action(value_name, help_text.choices_of(option, placeholder))
                if option.value else (), repeatable=repeated)


def positional_words(usage, skip, valued):
    words = []
    for slot in help_text.positional_slots(usage, skip, valued):
        literals = slot.literals()
        action = (("words", literals) if literals else
                  ("dirs",) if slot.takes("DIR") else
                  ("files",) if slot.takes("FILE") or slot.takes("PATH") else ())
        variadic = any(re.search(rf"\b{re.escape(n)}\.\.\.", line)
                       for n in slot.names for line in usage)
        words.append(Word(names=slot.names, value_name="|".join(slot.names), action=action,
                          variadic=variadic))
    return words


def context_of(name, summary, options, usage, skip):
    words = [option_word(option, usage) for option in options]
    valued = {n.lstrip("-") for w in words if w.takes_value for n in w.names}
    return Context(name=name, summary=summary, options=words,
                   positionals=positional_words(usage, skip, valued))


def inmost_spec(cli):
    top = Context(name="", options=[option_word(o, cli.usage)
                                    for g in cli.groups for o in g.options])
    commands = []
    for command in cli.commands:
        options = [o for g in command.groups + command.global_groups for o in g.options]
        commands.append(context_of(command.name, command.summary, options, command.usage, 2))
    return Spec(program="inmost", top=top, commands=commands)


def verb_summary(lines, verb):
    """The first sentence of the "  run      runs the daemon ..." line (and the lines
    wrapped under it) of inmostd's description."""
    for at, line in enumerate(lines):
        match = re.match(rf"(\s+){verb}\s+(\S.*)", line)
        if match:
            text = [match[2]]
            for more in lines[at + 1:]:
                if len(more) - len(more.lstrip()) <= len(match[1]):
                    break
                text.append(more.strip())
            return help_text.first_sentence(" ".join(text))
    return ""


def inmostd_spec(daemon):
    verbs = help_text.verbs_of(daemon)
    every = {o.name: o for g in daemon.groups for o in g.options}
    top_options = [every["help"]] if "help" in every else []
    for line in daemon.usage:
        if line.split()[1:2] and line.split()[1].startswith("--"):
            top_options += [help_text.Option(name=n) for n in re.findall(r"--([\w-]+)", line)
                            if n not in every]
    top = Context(name="", options=[option_word(o, daemon.usage) for o in top_options])
    text = [line for block in daemon.description for line in block]
    commands = []
    for verb in verbs:
        usage = [line for line in daemon.usage if line.split()[1:2] == [verb]]
        options = [o for g in daemon.groups if verb in help_text.group_verbs(g, verbs)
                   for o in g.options]
        named = {o.name for o in options}
        options += [every[n] for line in usage for n in re.findall(r"--([\w-]+)", line)
                    if n in every and n not in named]
        commands.append(context_of(verb, verb_summary(text, verb), options, usage, 2))
    return Spec(program="inmostd", top=top, commands=commands)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inmost", required=True)
    parser.add_argument("--inmostd", required=True)
    parser.add_argument("--bash-dir", required=True)
    parser.add_argument("--zsh-dir", required=True)
    args = parser.parse_args()
    specs = [inmost_spec(help_text.read_inmost(args.inmost)),
             inmostd_spec(help_text.read_inmostd(args.inmostd))]
    for spec in specs:
        write(os.path.join(args.bash_dir, spec.program), bash_completion.render(spec))
        write(os.path.join(args.zsh_dir, "_" + spec.program), zsh_completion.render(spec))


if __name__ == "__main__":
    main()
