#!/usr/bin/env bash
# What a krtool run loads: the certificate commands start without the network library (libssl,
# cpp-httplib, zlib, brotli), serve finds it beside libkrtool.so, and no library is ever taken from the
# current folder. Start-up is most of the time of a certificate command (bench/README.md).
source "$(dirname "$0")/lib.sh"

LIB_DIR=$(dirname "$KRTOOL")/../lib

# loaded_files CMD...: the libraries the dynamic loader maps for a run, one soname per line.
loaded_files() { LD_DEBUG=files "$@" 2>&1 >/dev/null | sed -n 's/.*file=\([^ ]*\) .*generating link map.*/\1/p'; }

it "loads neither the network library nor libssl for a certificate command"
loaded=$(loaded_files "$KRTOOL" new-selfsigned --dns bench --key-type ecdsa --out loads.pem)
grep -qx 'libkrtool.so.0' <<<"$loaded" && pass || fail "libkrtool.so.0 is not in the load list (is LD_DEBUG working?): $loaded"
for unwanted in libkrtool_net.so.0 libssl.so.3 libcpp-httplib.so.0.11 libz.so.1; do
  grep -qx "$unwanted" <<<"$loaded" && fail "new-selfsigned loaded $unwanted" || pass
done
expect_file loads.pem

it "loads the network library only when serve starts"
loaded=$(loaded_files "$KRTOOL" serve --port 0 --config missing-config.json)
grep -qx 'libkrtool_net.so.0' <<<"$loaded" && pass || fail "serve did not load libkrtool_net.so.0: $loaded"

it "loads the network library when test-client runs"
loaded=$(loaded_files "$KRTOOL" test-client "https://127.0.0.1:1/" --timeout 1)
grep -qx 'libkrtool_net.so.0' <<<"$loaded" && pass || fail "test-client did not load libkrtool_net.so.0: $loaded"

it "never takes a library from the current folder"
mkdir planted && cd planted || exit 1
printf '#include <unistd.h>\n__attribute__((constructor)) static void planted(void) { _exit(97); }\n' >planted.c
cc -shared -fPIC -o libfmt.so.9 planted.c && pass || fail "cannot build the planted library with cc"
# The control: with the current folder on the search path the planted library runs and exits 97.
run env LD_LIBRARY_PATH=: "$KRTOOL" new-selfsigned --dns planted --out control.pem
expect_rc 97
krtool new-selfsigned --dns planted --out planted.pem
expect_rc 0
expect_file planted.pem
cd "$WORK" || exit 1

it "serve says which library is missing when libkrtool_net.so is not installed"
mkdir -p partial/bin partial/lib
cp "$KRTOOL" partial/bin/krtool
cp "$(realpath "$LIB_DIR/libkrtool.so.0")" partial/lib/libkrtool.so.0
run partial/bin/krtool new-selfsigned --dns partial --out partial.pem
expect_rc 0
run partial/bin/krtool serve --port 0 --self-signed
expect_error 1 "cannot load the network library libkrtool_net.so.0"
expect_hint
expect_out_not_contains "Now listening on:"

finish
