#!/usr/bin/env bash
# Checks that `cmake --install` puts the man pages and completions made from --help
# (helpgen/) where man, bash-completion and zsh look for them, under a temporary prefix.
# Usage: check_help_docs_install.sh BUILD_DIR
set -euo pipefail
build=$1
prefix=$(mktemp -d "${TMPDIR:-/tmp}/inmost-help-docs.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix/usr" --component help_docs >/dev/null
expected=(
  share/man/man1/inmost.1 share/man/man8/inmostd.8 share/man/man5/inmostd.conf.5
  share/bash-completion/completions/inmost share/bash-completion/completions/inmostd
  share/zsh/vendor-completions/_inmost share/zsh/vendor-completions/_inmostd
)
for path in "${expected[@]}"; do
  [[ -s $prefix/usr/$path ]] || { echo "not installed: $path" >&2; exit 1; }
done
installed=$(cd "$prefix/usr" && find . -type f | sort | sed 's|^\./||')
if [[ $installed != "$(printf '%s\n' "${expected[@]}" | sort)" ]]; then
  echo "installed other files than expected:" >&2
  echo "$installed" >&2
  exit 1
fi
echo "installed: ${expected[*]}"
