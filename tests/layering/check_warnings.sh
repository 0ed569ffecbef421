#!/usr/bin/env bash
# Build hygiene (docs/architecture.md): every file is compiled with -Wall -Wextra -Wpedantic
# (-Wextra brings -Wunused-parameter) and nothing turns a warning off, neither a -Wno-* flag nor
# a `#pragma ... diagnostic ignored` in the sources, so "zero warnings" means all of them.
# Fails listing every offender.
set -euo pipefail
root="${1:?usage: check_warnings.sh SOURCE_DIR BUILD_DIR}"
build="${2:?usage: check_warnings.sh SOURCE_DIR BUILD_DIR}"
status=0
commands="$build/compile_commands.json"
if [ ! -f "$commands" ]; then
  echo "no $commands (CMAKE_EXPORT_COMPILE_COMMANDS is on in CMakeLists.txt)" >&2
  exit 1
fi
total=$(grep -c '"file":' "$commands")
for flag in -Wall -Wextra -Wpedantic; do
  with=$(grep -c -- "\"command\": \".* $flag " "$commands" || true)
  if [ "$with" -ne "$total" ]; then
    echo "$((total - with)) of $total compile commands lack $flag" >&2
    status=1
  fi
done
if hits=$(grep -o -- ' -Wno-[a-z0-9-]*' "$commands" | sort | uniq -c); then
  echo "compile commands turn warnings off:" >&2
  echo "$hits" >&2
  status=1
fi
cd "$root"
if hits=$(git ls-files '*.cpp' '*.hpp' '*.cmake' 'CMakeLists.txt' '*/CMakeLists.txt' |
          xargs grep -nE 'diagnostic (ignored|warning)|-Wno-' ); then
  echo "sources turn warnings off:" >&2
  echo "$hits" >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "warnings: $total compile commands with -Wall -Wextra -Wpedantic, none turned off"
exit "$status"
