"""The --help texts of inmost and inmostd, read from the built programs and parsed into
commands, usage lines, text blocks and option groups: the one source that the man
pages (man_pages.py) and the shell completions (completions.py) are made from."""

import re
import subprocess
from dataclasses import dataclass, field

# A Boost.Program_options option as --help shows it: "-h [ --help ]" or "--name",
# then perhaps a value name ("arg", "DIR", "auto|off") and a default "(=20)".
SPEC = re.compile(r"(?:-(?P<short>\w) \[ --(?P<long1>[\w-]+) \]|--(?P<long2>[\w-]+))"
                  r"(?: (?P<value>[^\s(]\S*))?(?: \(=(?P<default>.*)\))?")


@dataclass
class Option:
    name: str                 # "data-dir", without the dashes
    short: str = ""           # "h" for -h, else empty
    value: str = ""           # the value's name, empty for a flag
    default: str = ""         # the default as --help shows it, empty for none
    description: str = ""     # one line, rewrapped


@dataclass
class OptionGroup:
    caption: str              # "Options", "Global options (before or after the command)" or ""
    options: list


@dataclass
class Command:
    name: str
    summary: str              # its line in `inmost --help`
    usage: list = field(default_factory=list)        # "inmost send [options] TEXT... | -", ...
    description: list = field(default_factory=list)  # text blocks, each a list of lines
    groups: list = field(default_factory=list)       # its OptionGroups, global ones left out
    global_groups: list = field(default_factory=list)  # the global options it also takes
    epilogue: list = field(default_factory=list)  # text blocks after its options


@dataclass
class Program:
    name: str
    version: str              # "0.1.0 (git 5dad84dfec99)"
    usage: list               # the usage lines, without "Usage: "
    description: list         # text blocks before the options
    groups: list              # option groups
    epilogue: list            # text blocks after the options
    commands: list = field(default_factory=list)  # inmost's Commands (inmostd: none)


def run(argv):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {result.returncode}: {result.stderr}")
    return result.stdout


def blocks_of(text):
    """The text's blocks: runs of non-blank lines, trailing spaces removed."""
    blocks, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def split_option_line(line, column):
    """(spec match, description start) of an option's first line: the description at
    `column`, or after the first gap of two spaces, or on the next lines."""
    text = line[2:]
    candidates = []
    if column and len(line) > column and line[column - 1] == " ":
        candidates.append((line[2:column].strip(), line[column:].strip()))
    gap = re.search(r"\s{2,}", text)
    if gap:
        candidates.append((text[:gap.start()], text[gap.end():]))
    candidates.append((text.strip(), ""))
    for spec, rest in candidates:
        match = SPEC.fullmatch(spec)
        if match:
            return match, rest
    raise ValueError(f"not an option line: {line!r}")


def parse_option_group(block):
    """An OptionGroup if `block` is one (a caption line ending in ':' or none, then
    option lines indented by two, their descriptions wrapped further in), else None."""
    caption, lines = "", block
    if not block[0].startswith(" "):
        if not block[0].endswith(":") or len(block) < 2:
            return None
        caption, lines = block[0][:-1], block[1:]
    if not lines[0].startswith("  -") or lines[0].startswith("   "):
        return None
    wrapped = [line for line in lines if line.startswith("   ")]
    column = min((len(line) - len(line.lstrip()) for line in wrapped), default=0)
    options = []
    try:
        for line in lines:
            if line.startswith("   "):
                if not options:
                    return None
                options[-1].description = (options[-1].description + " " + line.strip()).strip()
                continue
            if not line.startswith("  -"):
                return None
            match, rest = split_option_line(line, column)
            options.append(Option(name=match["long1"] or match["long2"], short=match["short"] or "",
                                  value=match["value"] or "", default=match["default"] or "",
                                  description=rest))
    except ValueError:
        return None
    return OptionGroup(caption=caption, options=options)


def usage_lines(block, prefix):
    """The usage block's lines without `prefix` ("Usage: ") or the indent under it."""
    assert block[0].startswith(prefix), f"no {prefix!r} line: {block[0]!r}"
    return [block[0][len(prefix):]] + [line.strip() for line in block[1:]]


def split_sections(blocks):
    """(text blocks before the options, option groups, text blocks after)."""
    before, groups, after = [], [], []
    for block in blocks:
        group = parse_option_group(block)
        if group is not None and not after:
            groups.append(group)
        elif groups:
            after.append(block)
        else:
            before.append(block)
    return before, groups, after


def parse_command_list(block):
    """[(name, summary)] of the "Commands:" block of `inmost --help`."""
    assert block[0] == "Commands:", f"expected the Commands: block, got {block[0]!r}"
    return [tuple(line.strip().split(None, 1)) for line in block[1:]]


def read_inmost(path):
    """inmost: `inmost --help`, then `inmost COMMAND --help` for every command listed."""
    blocks = blocks_of(run([path, "--help"]))
    listed = next(i for i, block in enumerate(blocks) if block[0] == "Commands:")
    before, groups, after = split_sections(blocks[listed + 1:])
    assert not before, f"text between the commands and the global options: {before}"
    program = Program(name="inmost", version=run([path, "--version"]).split(None, 1)[1].strip(),
                      usage=usage_lines(blocks[0], "Usage: "), description=blocks[1:listed],
                      groups=groups, epilogue=after)
    for name, summary in parse_command_list(blocks[listed]):
        command_blocks = blocks_of(run([path, name, "--help"]))
        description, command_groups, rest = split_sections(command_blocks[1:])
        program.commands.append(Command(
            name=name, summary=summary, usage=usage_lines(command_blocks[0], "Usage: "),
            description=description,
            groups=[g for g in command_groups if not g.caption.startswith("Global options")],
            global_groups=[g for g in command_groups if g.caption.startswith("Global options")],
            epilogue=rest))
    return program


def read_inmostd(path):
    """inmostd: its one `inmostd --help` (every verb prints the same)."""
    blocks = blocks_of(run([path, "--help"]))
    description, groups, after = split_sections(blocks[1:])
    return Program(name="inmostd", version=run([path, "--version"]).split(None, 1)[1].strip(),
                   usage=usage_lines(blocks[0], "usage: "), description=description,
                   groups=groups, epilogue=after)


def verbs_of(program):
    """inmostd's verbs, as its usage lines name them: ["init", "run", "restore"]."""
    verbs = []
    for line in program.usage:
        words = line.split()
        if len(words) > 1 and re.fullmatch(r"[a-z][a-z-]*", words[1]):
            verbs.append(words[1])
    return verbs


def group_verbs(group, verbs):
    """The verbs an inmostd option group's caption names ("Options for init and run")."""
    head = re.split(r"[(:]", group.caption, maxsplit=1)[0]
    return [verb for verb in verbs if re.search(rf"\b{re.escape(verb)}\b", head)]


def config_file_group(program):
    """(group, option naming the file) of the options a config file may set: the group
    whose caption says "accepted in the --config file"."""
    for group in program.groups:
        match = re.search(r"(--[\w-]+) file", group.caption)
        if match:
            return group, match[1][2:]
    raise ValueError(f"{program.name} --help has no option group for the config file")


def first_sentence(text):
    """`text` up to its first full stop or semicolon outside parentheses ("e.g." goes on)."""
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if (depth == 0 and char in ".;" and text[i + 1:i + 2] in ("", " ")
                and not text[:i + 1].endswith(("e.g.", "i.e."))):
            return text[:i]
    return text.rstrip(".;")


def choices_of(option, placeholder=""):
    """The values an option takes when --help lists them: "auto|off" as its value
    name or in the usage line, or a description starting "debug, info or error"."""
    for name in (option.value, placeholder):
        if "|" in name:
            return name.split("|")
    words = r"[a-z][a-z0-9-]*"
    match = re.fullmatch(rf"({words}(?:, {words})*) or ({words})",
                         first_sentence(option.description))
    if option.value and match:
        return match[1].split(", ") + [match[2]]
    return []


def usage_values(lines):
    """{option: placeholder} from usage lines: "[--format markdown|json]" gives
    {"format": "markdown|json"}."""
    return {m[1]: m[2] for line in lines
            for m in re.finditer(r"--([\w-]+)[ =]([^\s\[\]|-][^\s\[\]]*(?:\|[^\s\[\]]+)*)", line)}


@dataclass
class Slot:
    """One positional argument of a usage line: its placeholders and literal words."""
    names: list = field(default_factory=list)   # "ID", "FILE", "here", "-"

    def literals(self):
        return [n for n in self.names if re.fullmatch(r"[a-z][a-z0-9-]*", n)]

    def takes(self, kind):
        return kind in self.names


def positional_slots(lines, skip, valued):
    """The positional arguments of usage `lines` (after their first `skip` words), merged
    by position over the lines; `valued` names the options that take a value."""
    slots = []
    for line in lines:
        index, alternative, skip_next = 0, False, False
        for word in line.split()[skip:]:
            token = word.strip("[]").removesuffix("...").strip("[]")
            if skip_next or not token or token == "options":
                skip_next = False
                continue
            if token == "|":
                alternative = True
                continue
            if token.startswith("-") and token != "-":
                skip_next = token.lstrip("-").split("=")[0] in valued and "=" not in token
                continue
            at = index - 1 if alternative and index > 0 else index
            if at == len(slots):
                slots.append(Slot())
            slots[at].names.extend(n for n in token.split("|") if n not in slots[at].names)
            index, alternative = at + 1, False
    return slots
