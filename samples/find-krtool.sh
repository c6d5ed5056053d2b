# Sourced by the samples: find_krtool ROOT prints the krtool to run. $KRTOOL_BIN names one explicitly;
# otherwise this checkout's build/bin/krtool when it has been built, else krtool on PATH (an installed
# krtool). With none of them it stops with what to do.
find_krtool() {
  if [ -n "${KRTOOL_BIN:-}" ]; then
    if [ ! -x "$KRTOOL_BIN" ]; then
      echo "krtool sample: error: KRTOOL_BIN='$KRTOOL_BIN' is not an executable file" >&2
      echo "  hint: point KRTOOL_BIN at a built krtool (build/bin/krtool), or unset it to use krtool on PATH" >&2
      return 2
    fi
    realpath "$KRTOOL_BIN"
  elif [ -x "$1/build/bin/krtool" ]; then
    echo "$1/build/bin/krtool"
  elif command -v krtool >/dev/null 2>&1; then
    command -v krtool
  else
    echo "krtool sample: error: no krtool found: not in \$KRTOOL_BIN, not built in $1/build, not on PATH" >&2
    echo "  hint: build it (./scripts/build), install it (cmake --install build), or set KRTOOL_BIN=/path/to/krtool" >&2
    return 2
  fi
}
