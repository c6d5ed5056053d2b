# Shared helpers for the end-to-end tests: each *_test.sh sources this, runs the built krtool against
# real peers (openssl, curl, python3) in a fresh temporary folder, and ends with `finish`.
# Each `it` names a behaviour; every assertion that fails prints what was expected and what came.
set -u
KRTOOL=$(realpath "${KRTOOL_BIN:?KRTOOL_BIN must point at the built krtool}")
SOURCE_DIR=${KRTOOL_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/krtool-e2e.XXXXXX")
PASSED=0
FAILED=0
CURRENT=""
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

it() { CURRENT="$1"; }

pass() { PASSED=$((PASSED + 1)); }
fail() {
  FAILED=$((FAILED + 1))
  printf 'FAIL: %s\n  %s\n' "$CURRENT" "$1" >&2
}

# run CMD...: runs a command, keeping its exit code in $RC, stdout in $OUT and stderr in $ERR.
run() {
  "$@" >"$WORK/.out" 2>"$WORK/.err"
  RC=$?
  OUT=$(cat "$WORK/.out")
  ERR=$(cat "$WORK/.err")
}

# krtool ARGS...: runs the binary under test through `run`.
krtool() { run "$KRTOOL" "$@"; }

expect_rc() {
  if [ "$RC" -eq "$1" ]; then pass; else fail "expected exit $1, got $RC; stderr: $ERR; stdout: ${OUT:0:400}"; fi
}
expect_out_contains() {
  if grep -qF -- "$1" <<<"$OUT"; then pass; else fail "stdout lacks '$1': ${OUT:0:600}"; fi
}
expect_err_contains() {
  if grep -qF -- "$1" <<<"$ERR"; then pass; else fail "stderr lacks '$1': ${ERR:0:600}"; fi
}
expect_out_not_contains() {
  if grep -qF -- "$1" <<<"$OUT"; then fail "stdout should not contain '$1': ${OUT:0:600}"; else pass; fi
}
expect_eq() {  # expect_eq ACTUAL EXPECTED [WHAT]
  if [ "$1" == "$2" ]; then pass; else fail "${3:-value}: expected '$2', got '$1'"; fi
}
expect_file() { if [ -f "$1" ]; then pass; else fail "file $1 was not written"; fi; }
expect_no_file() { if [ -e "$1" ]; then fail "file $1 should not exist"; else pass; fi; }
expect_mode() {  # expect_mode FILE 600
  local mode
  mode=$(stat -c %a "$1" 2>/dev/null)
  expect_eq "$mode" "$2" "mode of $1"
}
# json FIELD_EXPR: reads $OUT as JSON and prints python's rendering of the expression, e.g. json '["subject"]'.
json() {
  /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); v=eval("d"+sys.argv[1]); print(json.dumps(v) if isinstance(v,(list,dict,bool)) or v is None else v)' "$1" <<<"$OUT"
}
# expect_error CODE FRAGMENT: a failed krtool run with the contract's shape, exit code and message.
expect_error() {
  expect_rc "$1"
  if grep -q '^krtool: error: ' <<<"$ERR"; then pass; else fail "stderr does not start with 'krtool: error: ': $ERR"; fi
  expect_err_contains "$2"
}
expect_hint() { if grep -q '^  hint: ' <<<"$ERR"; then pass; else fail "no '  hint: ' line in stderr: $ERR"; fi; }

finish() {
  printf '%s: %d passed, %d failed\n' "$(basename "$0" .sh)" "$PASSED" "$FAILED"
  [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
}
