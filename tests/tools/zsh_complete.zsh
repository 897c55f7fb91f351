# Prints, one a line, what zsh's completion offers for a command line, as if Tab were
# pressed at its end in an interactive zsh (driven through zsh/zpty) whose fpath starts
# with DIR. For tests/tools/check_completions.py. Usage: zsh -f zsh_complete.zsh DIR LINE
zmodload zsh/zpty || exit 2
zpty shell zsh -f -i
zpty -w shell "fpath=(${(q)1} \$fpath); PROMPT=''; autoload -Uz compinit; compinit -u -D"
# Tab completes; the completion is framed by two NUL lines, then the shell exits.
zpty -w shell 'bindkey "^I" complete-word; frame() { echo -E - $'"'"'\0'"'"' }'
zpty -w shell 'compprefuncs=(frame); comppostfuncs=(frame exit)'
zpty -w shell "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
# Every candidate added is printed as OFFERED:word (compadd's own queries pass through).
zpty -w shell 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a hits
  builtin compadd -A hits "$@"
  local h
  for h in $hits; do echo -E - "OFFERED:$h"; done
}'
zpty -w -n shell "$2"$'\t'
integer frames=0
while zpty -r shell; do :; done | while IFS= read -r line; do
  if [[ $line == *$'\0'* ]]; then
    (( ++frames == 2 )) && break
  elif (( frames == 1 )) && [[ $line == OFFERED:* ]]; then
    print -r -- "${${line#OFFERED:}%$'\r'}"
  fi
done
zpty -d shell
