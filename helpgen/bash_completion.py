"""The bash completion script of a program, from its completion Spec (completions.py):
commands, each command's options and the values they take. Works with bash-completion's
helpers when they are loaded, and with plain COMP_WORDS when they are not."""


def words_of(context):
    return " ".join(n for w in context.options for n in w.names)


def valued_pattern(context):
    return "|".join(n for w in context.options if w.takes_value for n in w.names)


def action_body(fn, action):
    """Bash that fills COMPREPLY for a value completed by `action` (nothing: no offer)."""
    if not action:
        return ""
    if action[0] == "words":
        return f"COMPREPLY=($(compgen -W '{' '.join(action[1])}' -- \"$cur\"))"
    return f"{fn}_files{' -d' if action[0] == 'dirs' else ''}"


def prev_case(fn, context, indent):
    """A `case $prev` completing the value of the option just typed, options that
    complete alike in one branch."""
    pad = " " * indent
    branches = {}
    for word in context.options:
        if word.takes_value:
            branches.setdefault(action_body(fn, word.action), []).extend(word.names)
    if not branches:
        return []
    lines = [f"{pad}case $prev in"]
    for body, names in branches.items():
        lines.append(f"{pad}  {'|'.join(names)}) {body + '; ' if body else ''}return ;;")
    return lines + [f"{pad}esac"]


def skip_loop(context, start, end, found, indent):
    """A loop over words[start..end) that skips options and their values and runs
    `found` on each other word (the positional arguments)."""
    pad = " " * indent
    valued = valued_pattern(context)
    lines = [f"{pad}for ((i = {start}; i < {end}; i++)); do",
             f"{pad}  case ${{words[i]}} in",
             f"{pad}    =) ((i++)) ;;  # --option = value, split by COMP_WORDBREAKS"]
    if valued:
        lines.append(f"{pad}    {valued}) [[ ${{words[i+1]}} == = ]] || ((i++)) ;;")
    return lines + [f"{pad}    -*) ;;", f"{pad}    *) {found} ;;", f"{pad}  esac", f"{pad}done"]


def positional_case(fn, context, indent):
    """Completes the n-th positional argument ($n) from the usage lines."""
    pad = " " * indent
    lines = []
    for index, word in enumerate(context.positionals):
        if word.action:
            pattern = "*" if word.variadic and index == len(context.positionals) - 1 else str(index)
            lines.append(f"{pad}  {pattern}) {action_body(fn, word.action)} ;;")
    return [f"{pad}case $n in"] + lines + [f"{pad}esac"] if lines else []


def command_branch(fn, command):
    lines = [f"    {command.name})"]
    lines += prev_case(fn, command, 6)
    lines += ["      if [[ $cur == -* ]]; then",
              f"        COMPREPLY=($(compgen -W '{words_of(command)}' -- \"$cur\"))",
              "        return",
              "      fi"]
    if any(word.action for word in command.positionals):
        lines += skip_loop(command, "at + 1", "cword", "n=$((n + 1))", 6)
        lines += positional_case(fn, command, 6)
    return lines + ["      ;;"]


def render(spec):
    fn = "_" + spec.program
    commands = " ".join(c.name for c in spec.commands)
    lines = [f"# bash completion for {spec.program}, generated from `{spec.program} --help` by",
             "# helpgen/completions.py: do not edit. Offers the commands, each command's options",
             "# and the values --help names (files, directories, fixed words).",
             "",
             "# Completes file names, or directories with -d, into COMPREPLY.",
             f"{fn}_files() {{",
             "  if declare -F _filedir >/dev/null; then _filedir \"$@\"; return; fi",
             "  compopt -o filenames 2>/dev/null",
             "  local kind=-f",
             "  [[ $1 == -d ]] && kind=-d",
             "  mapfile -t COMPREPLY < <(compgen \"$kind\" -- \"$cur\")",
             "}",
             "",
             f"{fn}() {{",
             "  local cur prev words cword",
             "  if declare -F _init_completion >/dev/null; then",
             "    _init_completion -s || return  # -s: --option=value gives prev=--option",
             "  else",
             "    words=(\"${COMP_WORDS[@]}\") cword=$COMP_CWORD",
             "    cur=${COMP_WORDS[COMP_CWORD]} prev=",
             "    ((cword > 0)) && prev=${COMP_WORDS[cword-1]}",
             "    if [[ $cur == = ]]; then",
             "      cur=",
             "    elif [[ $prev == = ]] && ((cword > 1)); then",
             "      prev=${COMP_WORDS[cword-2]}",
             "    fi",
             "  fi",
             "  COMPREPLY=()",
             "  # The command: the first word that is neither an option nor an option's value.",
             "  local i at=0 n=0 command="]
    lines += skip_loop(spec.top, 1, "cword", "at=$i command=${words[i]}; break", 2)
    lines += ["  if [[ -z $command ]]; then"]
    lines += prev_case(fn, spec.top, 4)
    lines += ["    if [[ $cur == -* ]]; then",
              f"      COMPREPLY=($(compgen -W '{words_of(spec.top)}' -- \"$cur\"))",
              "    else",
              f"      COMPREPLY=($(compgen -W '{commands}' -- \"$cur\"))",
              "    fi",
              "    return",
              "  fi",
              "  case $command in"]
    for command in spec.commands:
        lines += command_branch(fn, command)
    lines += ["  esac", "}", f"complete -F {fn} {spec.program}", ""]
    return "\n".join(lines)
