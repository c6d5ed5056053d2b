#!/usr/bin/env bash
# krtool(1) and the bash completion script, generated at build time from the commands' own CLI11
# definitions (apps/krtool/reference_docs.cpp): the page renders cleanly, documents every flag that
# each command's --help lists, and the completion completes commands, flags, choices and file names.
# Also the hand-written reference of test-client (docs/troubleshooting.md, README.md): every outcome the
# code can produce, with its exit code, and every field of its --json document.
source "$(dirname "$0")/lib.sh"

BUILD=$(dirname "$KRTOOL")/..
MAN_PAGE=$BUILD/share/man/man1/krtool.1
COMPLETION=$BUILD/share/bash-completion/completions/krtool
COMMANDS=(new-selfsigned new-csr import export test-cert serve test-client new-crl revoke)

# help_flags COMMAND: every long flag name that `krtool COMMAND --help` lists (all the names of an
# option such as -k,--skip-certificate-check,--insecure), one per line.
help_flags() {
  "$KRTOOL" "$1" --help | grep -oE '^ +-[-A-Za-z0-9,]+' | grep -oE -- '--[a-z0-9-]+' | grep -vx -- --help
}

# man_headings COMMAND: the heading line of each option entry (the line after .TP) in the man page's
# section for one command, with roff's \- turned back into -: where an option is documented, as
# opposed to merely mentioned in another option's text.
man_headings() {
  sed 's/\\-/-/g' "$MAN_PAGE" |
    awk -v want=".SS \"krtool $1\"" '$0 == want {on = 1; next} on && /^\.S[SH] / {exit} on && tp {print} {tp = ($0 == ".TP")}'
}

it "renders the man page without a warning"
expect_file "$MAN_PAGE"
run groff -man -Tutf8 -ww -z "$MAN_PAGE"
expect_rc 0
expect_eq "$ERR" "" "groff's warnings"
run groff -man -Tutf8 -P-cbou "$MAN_PAGE"
expect_out_contains "krtool - certificates, a development HTTPS server and a test client for"
expect_out_contains "EXIT STATUS"

it "documents every command, and every flag each command's --help lists"
for command in "${COMMANDS[@]}"; do
  headings=$(man_headings "$command")
  [ -n "$headings" ] && pass || fail "no section for krtool $command in the man page"
  flags=$(help_flags "$command")
  [ "$(wc -l <<<"$flags")" -gt 2 ] && pass || fail "could not read the flags of krtool $command --help: $flags"
  while read -r flag; do
    grep -qE -- "(^|[ \",])$flag([ \",]|\$)" <<<"$headings" && pass ||
      fail "the man page's krtool $command section has no entry for $flag"
  done <<<"$flags"
done
help_flags test-client | grep -qx -- --insecure && pass || fail "help_flags misses the second long name of -k"

it "keeps flags whole: no hyphenation"
grep -qx '\.nh' "$MAN_PAGE" && pass || fail "the man page does not turn hyphenation off (.nh)"

it "lists the contract's exit codes"
for code in 0 1 2 3 4 5 130; do
  awk '/^\.SH EXIT STATUS/ {on = 1} /^\.SH ENVIRONMENT/ {on = 0} on' "$MAN_PAGE" | grep -qx "\.B $code" && pass ||
    fail "exit code $code is not under EXIT STATUS"
done

# complete WORD...: what the completion offers for a command line whose last word is being typed.
# Candidates print sorted, each followed by a space; complete_count prints how many there are.
complete_line() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _krtool
           [ "${#COMPREPLY[@]}" -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort' \
    completion "$COMPLETION" "$@" | tr '\n' ' '
}
complete_count() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _krtool; echo "${#COMPREPLY[@]}"' \
    completion "$COMPLETION" "$@"
}

it "completes command names, flags and the choices of a flag"
expect_file "$COMPLETION"
expect_eq "$(complete_line krtool new-)" "new-crl new-csr new-selfsigned " "krtool new-<TAB>"
expect_eq "$(complete_line krtool serve --client-cert-m)" "--client-cert-mode " "serve --client-cert-m<TAB>"
expect_eq "$(complete_line krtool new-selfsigned --key-type e)" "ecdsa ed25519 " "--key-type e<TAB>"
expect_eq "$(complete_line krtool serve --client-cert-mode '')" "allow none require " "--client-cert-mode <TAB>"
expect_eq "$(complete_line krtool test-client https://x/ --tls-max '')" "1.2 1.3 " "--tls-max <TAB>"
expect_eq "$(complete_line krtool new-selfsigned --key-type rsa --pfx)" "--pfx-profile " "a flag after a choice"
expect_eq "$(complete_line krtool new-selfsigned --key-type = e)" "ecdsa ed25519 " "--key-type=e<TAB>"
expect_eq "$(complete_line krtool new-selfsigned --key-type =)" "ecdsa ed25519 rsa " "--key-type=<TAB>"
expect_eq "$(complete_line krtool -h se)" "serve " "krtool -h se<TAB>"
expect_eq "$(complete_line krtool -h serve --client-cert-mode r)" "require " "a command after -h"
expect_eq "$(KRTOOL_COMPLETION_TEST_VAR=1 complete_line krtool import --password-env KRTOOL_COMPLETION_TEST_)" \
  "KRTOOL_COMPLETION_TEST_VAR " "--password-env completes environment variables"
touch VALUE-looking-file
expect_eq "$(complete_line krtool import --password V)" "" "--password VALUE completes nothing"
expect_eq "$(complete_line krtool serve --port '')" "" "--port INT completes nothing"

it "completes file names for certificates and for flags that take a file"
touch ca.pem ca.key server.pem
expect_eq "$(complete_line krtool import ca)" "ca.key ca.pem " "krtool import ca<TAB>"
expect_eq "$(complete_line krtool serve --cert ser)" "server.pem " "serve --cert ser<TAB>"
touch 'x[1].pem' x1.pem 'with space.pem'
expect_eq "$(complete_line krtool import 'x[')" "x[1].pem " "a wildcard character in a file name stays literal"
expect_eq "$(complete_line krtool import with)" "with space.pem " "a file name with a space"
expect_eq "$(complete_count krtool import with)" "1" "a file name with a space is one candidate"

it "offers every flag that each command's --help lists"
for command in "${COMMANDS[@]}"; do
  offered=$(complete_line krtool "$command" --)
  while read -r flag; do
    grep -qF -- " $flag " <<<" $offered" && pass || fail "completion of krtool $command -- lacks $flag"
  done < <(help_flags "$command")
done

it "documents every outcome test-client can produce, with its exit code"
# The outcome table in the code (lib/src/client/report_json.cpp): {Outcome::Name, "name", exit},
# and the enumeration it names (a value without an entry would be a crash, not an outcome).
outcomes=$(grep -oE '\{Outcome::[A-Za-z]+, "[a-z-]+", [0-9]+\}' "$SOURCE_DIR/lib/src/client/report_json.cpp" |
  sed -E 's/\{Outcome::([A-Za-z]+), "([a-z-]+)", ([0-9]+)\}/\1 \2 \3/')
enumerators=$(sed -n '/^enum class Outcome {/,/^};/p' "$SOURCE_DIR/lib/include/krtool/client/test_client.hpp" |
  grep -oE '^ +[A-Za-z]+' | tr -d ' ')
[ "$(wc -l <<<"$enumerators")" -ge 9 ] && pass || fail "could not read enum class Outcome: $enumerators"
while read -r enumerator; do
  grep -q "^$enumerator " <<<"$outcomes" && pass || fail "Outcome::$enumerator has no name in report_json.cpp"
done <<<"$enumerators"
while read -r _ name code; do
  grep -qE "^\| \`$name\` \|.*\| $code \|\$" "$SOURCE_DIR/docs/troubleshooting.md" && pass ||
    fail "docs/troubleshooting.md's outcome table has no row '| \`$name\` | ... | $code |'"
  grep -qF "\`$name\`" "$SOURCE_DIR/README.md" && pass || fail "README.md's test-client paragraph lacks \`$name\`"
done <<<"$outcomes"

it "documents every field of test-client's --json document"
# Two runs against openssl s_server -Verify: one refused (alert, chain problems of the server's
# self-signed certificate under -k), one answered (status, headers), so that every object is filled in.
"$KRTOOL" new-selfsigned --key-type ecdsa --dns localhost --out srv.pem >/dev/null 2>&1
"$KRTOOL" new-selfsigned --key-type ecdsa --subject CN=client --purpose client --out client.pem >/dev/null 2>&1
"$KRTOOL" new-selfsigned --key-type ecdsa --subject CN=other --purpose client --out other.pem >/dev/null 2>&1
coproc SERVER { exec openssl s_server -accept 127.0.0.1:0 -cert srv.pem -key srv.key -CAfile client.pem \
  -Verify 1 -verify_return_error -www -naccept 2 2>&1; }
port=""
for _ in $(seq 50); do
  read -r -t 10 line <&"${SERVER[0]}" || break
  case $line in ACCEPT*) port=${line##*:}; break ;; esac
done
[ -n "$port" ] && pass || fail "openssl s_server did not start"
fields=$(for cert in other.pem client.pem; do
  "$KRTOOL" test-client "https://localhost:$port/" -k --cert "$cert" --timeout 10 --json
done | /usr/bin/python3 -c '
import json, sys
def walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            print(key)
            if key != "headers":  # header names come from the server: not fields of the document
                walk(value)
    elif isinstance(node, list):
        for item in node:
            walk(item)
for text in sys.stdin.read().replace("}\n{", "}\0{").split("\0"):
    walk(json.loads(text))' | sort -u)
[ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null  # gone already after its two connections
[ "$(wc -l <<<"$fields")" -gt 30 ] && pass || fail "too few JSON fields read: $fields"
json_reference=$(awk '/^`--json` prints/ {on = 1} on && /^$/ {exit} on' "$SOURCE_DIR/docs/troubleshooting.md")
[ -n "$json_reference" ] && pass || fail "docs/troubleshooting.md has no paragraph starting '\`--json\` prints'"
while read -r field; do
  grep -qF "\`$field\`" <<<"$json_reference" && pass ||
    fail "docs/troubleshooting.md's --json reference does not name the field '$field'"
done <<<"$fields"

finish
