#!/usr/bin/env bash
# What a krtool run loads, and how it hands serve and test-client to krtool-net (apps/CMakeLists.txt):
# a certificate command loads libcrypto and libc and nothing else (no C++ runtime, no network library);
# serve and test-client run in krtool-net, in the same process, with libkrtool_net; and no library is
# ever taken from the current folder. Start-up is most of the time of a certificate command
# (bench/README.md).
source "$(dirname "$0")/lib.sh"

NET_PROGRAM=$(dirname "$KRTOOL")/../libexec/krtool/krtool-net

# loaded_files CMD...: the libraries the dynamic loader maps for a run, one soname per line.
loaded_files() { LD_DEBUG=files "$@" 2>&1 >/dev/null | sed -n 's/.*file=\([^ ]*\) .*generating link map.*/\1/p'; }

it "loads only libcrypto and libc for a certificate command"
loaded=$(loaded_files "$KRTOOL" new-selfsigned --dns bench --key-type ecdsa --out loads.pem)
expect_eq "$(sort <<<"$loaded" | tr '\n' ' ')" "libc.so.6 libcrypto.so.3 " "libraries loaded by new-selfsigned"
expect_file loads.pem

it "loads the network library when serve starts"
loaded=$(loaded_files "$KRTOOL" serve --port 0 --config missing-config.json)
grep -qx 'libkrtool_net.so.0' <<<"$loaded" && pass || fail "serve did not load libkrtool_net.so.0: $loaded"

it "loads the network library when test-client runs"
loaded=$(loaded_files "$KRTOOL" test-client "https://127.0.0.1:1/" --timeout 1)
grep -qx 'libkrtool_net.so.0' <<<"$loaded" && pass || fail "test-client did not load libkrtool_net.so.0: $loaded"

it "runs serve as the process the user started, with the user's arguments"
"$KRTOOL" serve --port 0 --self-signed >serve.out 2>serve.err &
pid=$!
for _ in $(seq 100); do grep -q 'Now listening on:' serve.out && break; sleep 0.1; done
grep -q 'Now listening on: https://' serve.out && pass || fail "serve did not start: $(cat serve.err)"
expect_eq "$(readlink "/proc/$pid/exe")" "$(realpath "$NET_PROGRAM")" "the program running as serve's PID"
expect_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "$KRTOOL serve --port 0 --self-signed " "serve's command line"
kill -TERM "$pid"
wait "$pid"
expect_eq "$?" "0" "serve's exit code after SIGTERM"

it "lists serve and test-client in krtool --help, and shows their own flags"
krtool --help
expect_rc 0
expect_out_contains "serve                       Run a development HTTPS server"
expect_out_contains "test-client                 Call an HTTPS URL"
krtool serve --help
expect_rc 0
expect_out_contains "Usage: krtool serve [OPTIONS]"
expect_out_contains "--client-cert-mode"
krtool test-client --help
expect_rc 0
expect_out_contains "--cacert"
krtool -h serve
expect_rc 0
expect_out_contains "--client-cert-mode"
krtool --help test-client
expect_rc 0
expect_out_contains "url TEXT REQUIRED"

it "reports serve's usage errors as krtool's"
krtool serve --no-such-flag
expect_error 2 "--no-such-flag"
expect_err_contains "see 'krtool serve --help'"

it "never takes a library from the current folder"
mkdir planted && cd planted || exit 1
printf '#include <unistd.h>\n__attribute__((constructor)) static void planted(void) { _exit(97); }\n' >planted.c
cc -shared -fPIC -o libhttp_parser.so.2.9 planted.c && pass || fail "cannot build the planted library with cc"
# The control: with the current folder on the search path the planted library runs and exits 97.
run env LD_LIBRARY_PATH=: "$KRTOOL" test-client "https://127.0.0.1:1/" --timeout 1
expect_rc 97
krtool test-client "https://127.0.0.1:1/" --timeout 1
expect_rc 5
expect_out_contains "outcome: connect-failed"
# krtool itself has no search path of its own to get wrong: it needs only system libraries.
readelf -d "$KRTOOL" | grep -qE 'RPATH|RUNPATH' && fail "krtool has a RUNPATH: $(readelf -d "$KRTOOL" | grep PATH)" || pass
cd "$WORK" || exit 1

it "makes certificates with the krtool binary alone, and names krtool-net when serve cannot find it"
mkdir -p partial/bin
cp "$KRTOOL" partial/bin/krtool
run partial/bin/krtool new-selfsigned --dns partial --out partial.pem
expect_rc 0
expect_file partial.pem
run partial/bin/krtool serve --port 0 --self-signed
expect_error 1 "cannot run $WORK/partial/libexec/krtool/krtool-net for krtool's network commands: No such file or directory"
expect_hint
expect_err_contains "cmake --install build"
expect_out_not_contains "Now listening on:"

it "stops at the loader, naming the library, when krtool-net is installed without its libraries"
mkdir -p partial/libexec/krtool
cp "$NET_PROGRAM" partial/libexec/krtool/krtool-net
run partial/bin/krtool test-client "https://127.0.0.1:1/" --timeout 1
expect_rc 127
expect_err_contains "libkrtool"
expect_err_contains "cannot open shared object file"

it "works installed: cmake --install lays out bin/, libexec/krtool/ and the libraries so that they find each other, with the man page and the completion"
cmake --install "$(dirname "$KRTOOL")/.." --prefix "$WORK/installed" >/dev/null && pass || fail "cmake --install failed"
expect_file "$WORK/installed/share/man/man1/krtool.1"
expect_file "$WORK/installed/share/bash-completion/completions/krtool"
run "$WORK/installed/bin/krtool" new-selfsigned --dns installed --out installed.pem
expect_rc 0
run "$WORK/installed/bin/krtool" test-client "https://127.0.0.1:1/" --timeout 1
expect_rc 5
expect_out_contains "outcome: connect-failed"

finish
