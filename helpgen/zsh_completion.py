"""The zsh completion function of a program, from its completion Spec (completions.py):
an _arguments call for the program and one for each of its commands, with each
option's description and the values --help names."""


def quote(text):
    """`text` as one single-quoted zsh word."""
    return "'" + text.replace("'", "'\\''") + "'"


def bracketed(text):
    """A description for an _arguments spec's [...]."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def message(text):
    """A message for an _arguments spec's :message: part."""
    return text.replace("\\", "\\\\").replace(":", "\\:") or " "


def action_text(action):
    if not action:
        return " "
    if action[0] == "words":
        return "(" + " ".join(action[1]) + ")"
    return "_files -/" if action[0] == "dirs" else "_files"


def option_specs(word):
    specs = []
    for name in word.names:
        if name in ("-h", "--help", "--version"):
            prefix = "(- *)"   # answers by itself: nothing else goes with it
        else:
            prefix = "*" if word.repeatable else ""
        spec = f"{prefix}{name}{'=' if word.takes_value and name.startswith('--') else ''}"
        if word.description:
            spec += f"[{bracketed(word.description)}]"
        if word.takes_value:
            label = "value" if word.value_name == "arg" else word.value_name
            spec += f":{message(label)}:{action_text(word.action)}"
        specs.append(quote(spec))
    return specs


def positional_specs(context):
    specs = []
    for index, word in enumerate(context.positionals):
        label = message(word.value_name)
        if word.variadic and index == len(context.positionals) - 1:
            specs.append(quote(f"*:{label}:{action_text(word.action)}"))
        else:
            specs.append(quote(f"{index + 1}:{label}:{action_text(word.action)}"))
    return specs


def arguments(specs, indent, tail=""):
    pad = " " * indent
    lines = [f"{pad}_arguments -S \\"]
    lines += [f"{pad}  {spec} \\" for spec in specs]
    lines[-1] = lines[-1][:-2] + tail
    return lines


def render(spec):
    fn = "_" + spec.program
    lines = [f"#compdef {spec.program}",
             f"# zsh completion for {spec.program}, generated from `{spec.program} --help` by",
             "# helpgen/completions.py: do not edit. Offers the commands, each command's options",
             "# and the values --help names (files, directories, fixed words).",
             "",
             f"{fn}() {{",
             "  local curcontext=$curcontext state state_descr line ret=1",
             "  typeset -A opt_args",
             "  local -a commands"]
    top = [s for w in spec.top.options for s in option_specs(w)]
    top += [quote("1:command:->command"), quote("*::argument:->argument")]
    lines += [line.replace("_arguments -S", "_arguments -C -S") if i == 0 else line
              for i, line in enumerate(arguments(top, 2, " && ret=0"))]
    lines += ["  case $state in",
              "    command)",
              "      commands=("]
    lines += [f"        {quote(c.name + ':' + c.summary)}" for c in spec.commands]
    lines += ["      )",
              f"      _describe -t commands {quote(spec.program + ' command')} commands && ret=0",
              "      ;;",
              "    argument)",
              f"      curcontext=${{curcontext%:*:*}}:{spec.program}-$words[1]:",
              "      case $words[1] in"]
    for command in spec.commands:
        specs = [s for w in command.options for s in option_specs(w)] + positional_specs(command)
        lines.append(f"        {command.name})")
        if specs:
            lines += arguments(specs, 10, " && ret=0")
        else:
            lines.append("          _message 'no more arguments'")
        lines.append("          ;;")
    lines += ["      esac",
              "      ;;",
              "  esac",
              "  return ret",
              "}",
              "",
              f'{fn} "$@"',
              ""]
    return "\n".join(lines)
