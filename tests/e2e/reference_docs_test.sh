#!/usr/bin/env bash
# The man pages, the bash, zsh and fish completions and docs/cli.md, generated from the commands' own
# CLI11 definitions (apps/krtool/reference_docs.cpp): the pages render cleanly and document every flag
# that each command's --help lists, the completions complete commands, flags, choices (with their .NET
# spellings) and file names only where a file goes, and the committed docs/cli.md is the one the
# definitions give. Also the hand-written reference of test-client (docs/troubleshooting.md, README.md):
# every outcome the code can produce, with its exit code, and every field of its --json document.
source "$(dirname "$0")/lib.sh"
export LC_ALL=C  # candidates are compared sorted, capitals first

BUILD=$(dirname "$KRTOOL")/..
DOCGEN=$BUILD/tools/krtool-docgen
MAN_DIR=$BUILD/share/man/man1
MAN_PAGE=$MAN_DIR/krtool.1
COMPLETION=$BUILD/share/bash-completion/completions/krtool
ZSH_FOLDER=$BUILD/share/zsh/site-functions
FISH_COMPLETION=$BUILD/share/fish/vendor_completions.d/krtool.fish
# The commands are the ones krtool's --help lists, each followed by the commands its own --help lists
# under Commands: ("policy test"): a command added to krtool is checked with no edit here. A command's
# words are passed to krtool unquoted, so that "policy test" is two of them.
mapfile -t TOP_COMMANDS < <("$KRTOOL" --help | grep -oE '^ {2,}[a-z][a-z0-9-]+( {2,}|$)' | tr -d ' ' | grep -vx krtool)
COMMANDS=()
for command in "${TOP_COMMANDS[@]}"; do
  COMMANDS+=("$command")
  while read -r sub; do
    COMMANDS+=("$command $sub")
  done < <("$KRTOOL" "$command" --help | sed -n '/^Commands:$/,/^$/p' | grep -oE '^  [a-z][a-z0-9-]+' | tr -d ' ')
done

# help_flags COMMAND: every long flag name that `krtool COMMAND --help` lists (all the names of an
# option such as -k,--skip-certificate-check,--insecure), one per line.
declare -A HELP_FLAGS
help_flags() {
  [ -n "${HELP_FLAGS[$1]:-}" ] ||
    HELP_FLAGS[$1]=$("$KRTOOL" $1 --help | grep -oE '^ +-[-A-Za-z0-9,]+' | grep -oE -- '--[a-z0-9-]+' |
      grep -vx -- --help | sort -u)
  printf '%s\n' "${HELP_FLAGS[$1]}"
}

# man_headings COMMAND: the heading line of each option entry (the line after .TP) in the man page's
# section for one command, with roff's \- turned back into -: where an option is documented, as
# opposed to merely mentioned in another option's text.
man_headings() {
  sed 's/\\-/-/g' "$MAN_PAGE" |
    awk -v want=".SS \"krtool $1\"" '$0 == want {on = 1; next} on && /^\.S[SH] / {exit} on && tp {print} {tp = ($0 == ".TP")}'
}

# page_headings COMMAND: the same for krtool-COMMAND(1), all of its OPTIONS section (under any heading).
page_headings() {
  sed 's/\\-/-/g' "$MAN_DIR/krtool-${1// /-}.1" |
    awk '/^\.SH OPTIONS/ {on = 1; next} on && /^\.SH / {exit} on && tp {print} {tp = ($0 == ".TP")}'
}

# has_every_flag WHAT COMMAND HEADINGS: each flag of `krtool COMMAND --help` heads an entry in HEADINGS.
has_every_flag() {
  local flag
  while read -r flag; do
    grep -qE -- "(^|[ \",\`])$flag([ \",\`]|\$)" <<<"$3" && pass || fail "$1 has no entry for krtool $2 $flag"
  done <<<"$(help_flags "$2")"
}

[ "${#COMMANDS[@]}" -ge 7 ] && pass || fail "could not read the commands of krtool --help: ${COMMANDS[*]}"
printf '%s\n' "${COMMANDS[@]}" | grep -qx 'policy test' && pass || fail "could not read policy's commands: ${COMMANDS[*]}"
for command in "${COMMANDS[@]}"; do help_flags "$command" >/dev/null; done  # fills the cache in this shell
# The commands with flags of their own: help has none, and policy only a command below it (policy test).
FLAGGED=()
for command in "${COMMANDS[@]}"; do [ -n "$(help_flags "$command")" ] && FLAGGED+=("$command"); done

it "renders the man page without a warning"
expect_file "$MAN_PAGE"
run groff -man -Tutf8 -ww -z "$MAN_PAGE"
expect_rc 0
expect_eq "$ERR" "" "groff's warnings"
run groff -man -Tutf8 -P-cbou "$MAN_PAGE"
expect_out_contains "krtool - certificates, a development HTTPS server and a test client for"
expect_out_contains "EXIT STATUS"

it "documents every command, and every flag each command's --help lists"
for command in "${FLAGGED[@]}"; do
  headings=$(man_headings "$command")
  [ -n "$headings" ] && pass || fail "no section for krtool $command in the man page"
  flags=$(help_flags "$command")
  [ "$(wc -l <<<"$flags")" -ge 1 ] && pass || fail "could not read the flags of krtool $command --help: $flags"
  has_every_flag "krtool(1)'s section" "$command" "$headings"
done
help_flags test-client | grep -qx -- --insecure && pass || fail "help_flags misses the second long name of -k"

it "has a page per command, krtool-COMMAND(1), with every flag, its examples and no warning"
for command in "${COMMANDS[@]}"; do
  page=$MAN_DIR/krtool-${command// /-}.1
  expect_file "$page"
  run groff -man -Tutf8 -ww -z "$page"
  expect_eq "$ERR" "" "groff's warnings for $page"
  [ -z "$(help_flags "$command")" ] || has_every_flag "krtool-$command(1)" "$command" "$(page_headings "$command")"
  grep -q '^\.BR krtool (1)' "$page" && pass || fail "$page does not refer to krtool(1)"
  # The examples come from the command's --help footer, when it has them.
  examples=$("$KRTOOL" $command --help | sed -n '/^Examples:/,$p' | sed 1d | grep -m1 -E '[a-z]' | sed 's/^ *//')
  if [ -n "$examples" ]; then
    sed 's/\\-/-/g' "$page" | grep -qF -- "$examples" && pass || fail "$page lacks its example: $examples"
  fi
done
grep -qF 'krtool\-serve \- run a development HTTPS server' "$MAN_DIR/krtool-serve.1" && pass ||
  fail "krtool-serve.1's NAME line is not 'krtool-serve - <what it does>'"
pages=$(cd "$MAN_DIR" && ls krtool-*.1 | wc -l)
expect_eq "$pages" "${#COMMANDS[@]}" "one page per command, and no page of a command krtool lacks"

it "walks into a command's own commands: krtool-policy(1) lists test, krtool(1) names its page"
sed 's/\\-/-/g' "$MAN_DIR/krtool-policy.1" | awk '/^\.SH COMMANDS/ {on = 1; next} on && /^\.SH / {exit} on' |
  grep -qx '\.BR krtool-policy-test (1)' && pass || fail "krtool-policy.1 has no COMMANDS entry for krtool-policy-test(1)"
grep -qF 'krtool\-policy\-test \- dry run: ' "$MAN_DIR/krtool-policy-test.1" && pass ||
  fail "krtool-policy-test.1's NAME line is not 'krtool-policy-test - <what it does>'"
see_also=$(sed 's/\\-/-/g' "$MAN_PAGE" | awk '/^\.SH SEE ALSO/ {on = 1} on')
for command in "${COMMANDS[@]}"; do
  grep -qF ".BR krtool-${command// /-} (1)" <<<"$see_also" && pass || fail "krtool(1)'s SEE ALSO lacks krtool-${command// /-}(1)"
done
synopsis=$(sed 's/\\-/-/g' "$MAN_PAGE" | awk '/^\.SH SYNOPSIS/ {on = 1; next} on && /^\.SH / {exit} on')
grep -qx '\.B krtool policy test' <<<"$synopsis" && pass || fail "krtool(1)'s SYNOPSIS lacks krtool policy test"
run groff -man -Tutf8 -P-cbou "$MAN_DIR/krtool-policy.1"
expect_out_contains "krtool policy command --help"

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
expect_eq "$(complete_line krtool new-)" "new-crl new-csr new-lab new-selfsigned " "krtool new-<TAB>"
expect_eq "$(complete_line krtool serve --client-cert-m)" "--client-cert-mode " "serve --client-cert-m<TAB>"
expect_eq "$(complete_line krtool new-selfsigned --key-type e)" "ecdsa ed25519 " "--key-type e<TAB>"
expect_eq "$(complete_line krtool serve --client-cert-mode '')" \
  "AllowCertificate NoCertificate RequireCertificate allow none require " "--client-cert-mode <TAB>"
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

it "completes a command's own commands, then their flags"
expect_eq "$(complete_line krtool policy '')" "test " "krtool policy <TAB>"
expect_eq "$(complete_line krtool policy t)" "test " "krtool policy t<TAB>"
expect_eq "$(complete_line krtool policy test --con)" "--config " "krtool policy test --con<TAB>"
expect_eq "$(complete_line krtool policy test x.pem --rou)" "--route " "a flag after test's FILE"
expect_eq "$(complete_line krtool policy --con)" "" "test's flags are not policy's"
touch authz.json
expect_eq "$(complete_line krtool policy test x.pem --config auth)" "authz.json " "--config completes files"

it "completes the .NET spellings that the parsers accept too"
expect_eq "$(complete_line krtool serve --client-cert-mode A)" "AllowCertificate " "--client-cert-mode A<TAB>"
expect_eq "$(complete_line krtool serve --revocation-mode N)" "NoCheck " "--revocation-mode N<TAB>"
expect_eq "$(complete_line krtool serve --allowed-certificate-types '')" "All Chained SelfSigned all chained selfsigned " \
  "--allowed-certificate-types <TAB>"
expect_eq "$(complete_line krtool serve --client-cert-validation AllowA)" "AllowAny " "--client-cert-validation AllowA<TAB>"
expect_eq "$(complete_line krtool new-selfsigned --purpose c)" "client " "new-selfsigned --purpose c<TAB>"
expect_eq "$(complete_line krtool test-cert x.pem --purpose '')" "client server " "test-cert --purpose <TAB>"
expect_eq "$(complete_line krtool new-csr --curve p3)" "p384 " "--curve p3<TAB>"

it "completes file names for certificates and for flags that take a file, and only for them"
touch ca.pem ca.key server.pem
expect_eq "$(complete_line krtool import ca)" "ca.key ca.pem " "krtool import ca<TAB>"
expect_eq "$(complete_line krtool test-client https://x/ --cert ser)" "server.pem " "test-client --cert ser<TAB>"
expect_eq "$(complete_line krtool new-selfsigned --subject '')" "" "--subject <TAB> offers no file"
expect_eq "$(complete_line krtool new-selfsigned --key-usage '')" "" "--key-usage <TAB> offers no file"
touch 'x[1].pem' x1.pem 'with space.pem'
expect_eq "$(complete_line krtool import 'x[')" "x[1].pem " "a wildcard character in a file name stays literal"
expect_eq "$(complete_line krtool import with)" "with space.pem " "a file name with a space"
expect_eq "$(complete_count krtool import with)" "1" "a file name with a space is one candidate"

it "zsh: the completion parses and completes commands, choices, files and nothing for a typed value"
if command -v zsh >/dev/null; then
  expect_file "$ZSH_FOLDER/_krtool"
  run zsh -n "$ZSH_FOLDER/_krtool"
  expect_rc 0
  # zsh_complete LINE...: what zsh's completion system offers, sorted, on one line.
  zsh_complete() { timeout 20 zsh "$SOURCE_DIR/tests/e2e/zsh_complete.zsh" "$ZSH_FOLDER" "$@" | sort | tr '\n' ' '; }
  expect_eq "$(zsh_complete krtool new-)" "new-crl new-csr new-lab new-selfsigned " "zsh: krtool new-<TAB>"
  expect_eq "$(zsh_complete krtool serve --client-cert-mode "")" \
    "AllowCertificate NoCertificate RequireCertificate allow none require " "zsh: --client-cert-mode <TAB>"
  expect_eq "$(zsh_complete krtool serve --revocation-m)" "--revocation-mode " "zsh: a flag"
  expect_eq "$(zsh_complete krtool test-client https://x/ --cert ser)" "server.pem " "zsh: --cert ser<TAB>"
  expect_eq "$(zsh_complete krtool new-selfsigned --subject "")" "" "zsh: --subject <TAB> offers nothing"
  expect_eq "$(zsh_complete krtool policy "")" "test " "zsh: krtool policy <TAB>"
  expect_eq "$(zsh_complete krtool policy test --con)" "--config " "zsh: krtool policy test --con<TAB>"
  expect_eq "$(zsh_complete krtool policy test x.pem --config auth)" "authz.json " "zsh: --config auth<TAB>"
else
  pass  # zsh is not installed (scripts/bootstrap installs it)
fi

it "fish: the completion parses and completes commands, flags with descriptions, choices and files"
if command -v fish >/dev/null; then
  expect_file "$FISH_COMPLETION"
  run fish --no-execute "$FISH_COMPLETION"
  expect_rc 0
  # fish_complete LINE: what fish offers (candidate TAB description), sorted.
  fish_complete() { fish --no-config -c "source $(printf %q "$FISH_COMPLETION"); complete -C '$1'" | sort; }
  expect_eq "$(fish_complete 'krtool serve --client-cert-mode ' | cut -f1 | tr '\n' ' ')" \
    "AllowCertificate NoCertificate RequireCertificate allow none require " "fish: --client-cert-mode <TAB>"
  expect_eq "$(fish_complete 'krtool se' | tr '\t' ' ')" \
    "serve Run a development HTTPS server with client-certificate authentication" "fish: a command and its description"
  fish_complete 'krtool serve --client-cert-' | grep -qE $'^--client-cert-mode\t.+' && pass ||
    fail "fish: --client-cert-mode comes without its description"
  expect_eq "$(fish_complete 'krtool test-client https://x/ --cert ser' | cut -f1)" "server.pem" "fish: --cert ser<TAB>"
  expect_eq "$(fish_complete 'krtool new-selfsigned --subject ')" "" "fish: --subject <TAB> offers nothing"
  expect_eq "$(fish_complete 'krtool policy ' | cut -f1)" "test" "fish: krtool policy <TAB>"
  expect_eq "$(fish_complete 'krtool policy test --con' | cut -f1)" "--config" "fish: krtool policy test --con<TAB>"
  expect_eq "$(fish_complete 'krtool policy --con')" "" "fish: test's flags only once test is typed"
  expect_eq "$(fish_complete 'krtool policy test ' | cut -f1 | grep -cx test)" "0" "fish: test is not offered again"
  expect_eq "$(fish_complete 'krtool policy test x.pem --config auth' | cut -f1)" "authz.json" "fish: --config auth<TAB>"
else
  pass  # fish is not installed (scripts/bootstrap installs it)
fi

it "docs/cli.md is the one the definitions give, and documents every flag of every --help"
"$DOCGEN" markdown cli.md
run diff -u "$SOURCE_DIR/docs/cli.md" cli.md
expect_rc 0
[ "$RC" -eq 0 ] || echo "docs/cli.md is stale: run scripts/refresh-docs and commit docs/cli.md" >&2
for command in "${FLAGGED[@]}"; do
  section=$(awk -v want="## krtool $command" '$0 == want {on = 1; next} on && /^## / {exit} on' "$SOURCE_DIR/docs/cli.md")
  [ -n "$section" ] && pass || fail "docs/cli.md has no section ## krtool $command"
  entries=$(grep -oE '^- `[^`]+`' <<<"$section")
  has_every_flag "docs/cli.md's section" "$command" "$entries"
  # ... and nothing that --help does not list.
  listed=$(help_flags "$command")
  while read -r flag; do
    grep -qx -- "$flag" <<<"$listed" && pass || fail "docs/cli.md documents krtool $command $flag, which --help lacks"
  done < <(grep -oE -- '--[a-z0-9-]+' <<<"$entries" | sort -u)
done

it "docs/cli.md links each command of the table, its own commands too, to its section"
for command in "${COMMANDS[@]}"; do
  grep -qF "| [\`krtool $command\`](#krtool-${command// /-}) |" "$SOURCE_DIR/docs/cli.md" && pass ||
    fail "docs/cli.md's table has no row for krtool $command"
done
grep -qF -- '- [`krtool policy test`](#krtool-policy-test): ' "$SOURCE_DIR/docs/cli.md" && pass ||
  fail "docs/cli.md's section for krtool policy does not list its command test"

it "offers every flag that each command's --help lists"
for command in "${FLAGGED[@]}"; do
  offered=$(complete_line krtool $command --)
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
