#!/usr/bin/env bash
# Checks that the installed client library stands alone: installs BUILD_DIR into a
# temporary prefix, compiles each installed public header on its own, then builds
# client/examples against the prefix only (find_package(inmost)) and runs the echo
# bot. It fails when a public header includes something that is not installed.
# Usage: client_install.sh BUILD_DIR SOURCE_DIR CXX_COMPILER
set -euo pipefail
build=$1 source=$2 cxx=$3
prefix=$(mktemp -d "${TMPDIR:-/tmp}/inmost-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT

cmake --install "$build" --prefix "$prefix/usr" >/dev/null
for program in inmost inmostd; do
  [[ -x $prefix/usr/bin/$program ]] || { echo "not installed: bin/$program" >&2; exit 1; }
done

# Each header alone, seeing only the prefix (and the system's protobuf).
for header in "$prefix"/usr/include/inmost/*.h; do
  name=inmost/$(basename "$header")
  printf '#include "%s"\n' "$name" >"$prefix/header.cc"
  "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Werror -I"$prefix/usr/include" \
    "$prefix/header.cc" || { echo "installed $name does not stand alone" >&2; exit 1; }
done

# The example, out of the source tree so no quoted include can find the sources.
cp -r "$source/client/examples" "$prefix/examples"
cmake -S "$prefix/examples" -B "$prefix/build" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$prefix/usr" >/dev/null
cmake --build "$prefix/build" >/dev/null

# No daemon runs in an empty data dir: the bot must say so and fail cleanly.
set +e
output=$("$prefix/build/inmost_example_echo_bot" "$prefix/no-daemon" --once 2>&1)
status=$?
set -e
if [[ $status -ne 1 || $output != *"echo_bot: "* ]]; then
  echo "echo bot without a daemon: exit $status, output: $output" >&2
  exit 1
fi
echo "installed client library OK: $(ls "$prefix/usr/include/inmost" | tr '\n' ' ')"
