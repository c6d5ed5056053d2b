#!/usr/bin/env zsh
# zsh_complete.zsh FOLDER WORDS...: the candidates zsh's completion system offers for a command line
# (its last word being typed), one per line, with the completion functions of FOLDER first in $fpath.
# A real interactive zsh runs in a pseudo-terminal (zpty); compadd is wrapped to print what the
# completion functions add, in the manner of zsh-capture-completion.
emulate -L zsh
zmodload zsh/zpty || exit 2
folder=$1; shift
zpty krtool_z zsh -f -i
setup=$(mktemp)
trap 'rm -f $setup; zpty -d krtool_z 2>/dev/null' EXIT
cat > $setup <<SETUP
PROMPT=
fpath=(${(q)folder} \$fpath)
autoload -U compinit
compinit -u -D
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' menu no
bindkey '^M' undefined
bindkey '^J' undefined
bindkey '^I' complete-word
krtool_null_line() { echo -E - \$'\0' }
compprefuncs=(krtool_null_line)
comppostfuncs=(krtool_null_line exit)
compadd() {
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "\$@"
    return \$?
  fi
  typeset -a hits
  builtin compadd -A hits "\$@"
  local hit
  for hit in \$hits; do echo -E - "<hit>\$hit"; done
}
echo ok
SETUP
zpty -w krtool_z "source ${(q)setup}"
repeat 10; do
  zpty -r krtool_z line || break
  [[ $line == ok* ]] && break
done
zpty -w krtool_z "$*"$'\t'
integer nulls=0
while zpty -r krtool_z line; do
  [[ $line == *$'\0'* ]] && (( ++nulls >= 2 )) && break
  [[ $line == *'<hit>'* ]] && print -r -- ${${line#*<hit>}%%$'\r'*}
done
exit 0
