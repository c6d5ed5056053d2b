#!/usr/bin/env bash
# krtool is one program for every subcommand: serve runs as the process the user started, help and usage
# errors look the same for every command, no library is ever taken from the current folder, and an
# install (with relative or absolute folders, as packagers pass them) finds its libraries. How fast a
# command starts is measured by bench/certgen.sh, not here.
source "$(dirname "$0")/lib.sh"

it "runs serve as the process the user started, with the user's arguments, and stops cleanly on SIGTERM"
"$KRTOOL" serve --port 0 --self-signed >serve.out 2>serve.err &
pid=$!
for _ in $(seq 100); do grep -q 'Now listening on:' serve.out && break; sleep 0.1; done
grep -q 'Now listening on: https://' serve.out && pass || fail "serve did not start: $(cat serve.err)"
expect_eq "$(readlink "/proc/$pid/exe")" "$KRTOOL" "the program running as serve's PID"
expect_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "$KRTOOL serve --port 0 --self-signed " "serve's command line"
kill -TERM "$pid"
wait "$pid"
expect_eq "$?" "0" "serve's exit code after SIGTERM"

it "lists every subcommand in krtool --help, and shows each one's own flags"
krtool --help
expect_rc 0
for command in new-selfsigned new-csr import export test-cert serve test-client; do
  expect_out_contains "  $command "
done
expect_out_contains "  serve           run the development HTTPS server"
expect_out_contains "  test-client     call an HTTPS URL"
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
expect_out_contains "Usage: krtool test-client URL [OPTIONS]"

it "reports every command's usage errors the same way"
for command in new-selfsigned serve "test-client https://127.0.0.1:1/"; do
  # shellcheck disable=SC2086  # the command's words
  krtool $command --no-such-flag
  expect_error 2 "--no-such-flag"
  expect_err_contains "see 'krtool ${command%% *} --help'"
done

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
krtool new-selfsigned --dns planted --out planted.pem
expect_rc 0
# An empty RUNPATH entry would be the current folder (CMake's own build RPATH ends in one).
runpath=$(readelf -d "$KRTOOL" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
case ":$runpath:" in *::*) fail "krtool's RUNPATH has an empty entry: '$runpath'" ;; *) pass ;; esac
cd "$WORK" || exit 1

it "stops at the loader, naming the library, when krtool is copied without its libraries"
mkdir -p partial/bin
cp "$KRTOOL" partial/bin/krtool
run partial/bin/krtool new-selfsigned --dns partial --out partial.pem
expect_rc 127
expect_err_contains "libkrtool"
expect_err_contains "cannot open shared object file"
expect_no_file partial.pem

# install_and_run PREFIX [CMAKE ARGS...]: configures a second build tree with the given install folders,
# installs it into PREFIX and runs a certificate command and test-client from there.
build_dir=$(cd "$(dirname "$KRTOOL")/.." && pwd)
it "works installed: cmake --install lays out bin/ and the libraries so that they find each other, with the man page and the completion"
cmake --install "$build_dir" --prefix "$WORK/installed" >/dev/null && pass || fail "cmake --install failed"
expect_file "$WORK/installed/share/man/man1/krtool.1"
expect_file "$WORK/installed/share/bash-completion/completions/krtool"
# Moved away from the build tree, the installed krtool must use its own libraries.
mv "$WORK/installed" "$WORK/moved"
run "$WORK/moved/bin/krtool" new-selfsigned --dns installed --out installed.pem
expect_rc 0
expect_file installed.pem
run "$WORK/moved/bin/krtool" test-client "https://127.0.0.1:1/" --timeout 1
expect_rc 5
expect_out_contains "outcome: connect-failed"

it "installs with absolute folders, as packagers pass them"
cmake -S "$SOURCE_DIR" -B absolute-build -G Ninja -DKRTOOL_BUILD_TESTS=OFF -DCMAKE_INSTALL_PREFIX="$WORK/abs" \
  -DCMAKE_INSTALL_LIBDIR="$WORK/abs/lib/x86_64-linux-gnu" -DCMAKE_INSTALL_BINDIR="$WORK/abs/bin" >cmake.out 2>&1
expect_eq "$?" 0 "configuring with absolute install folders: $(tail -5 cmake.out)"
# Configuring is enough to see the link line: krtool's RUNPATH is the absolute library folder first.
grep -qF -- "-Wl,-rpath,\"$WORK/abs/lib/x86_64-linux-gnu:\\\$\$ORIGIN/../lib\"" absolute-build/build.ninja && pass ||
  fail "krtool is not linked with RUNPATH $WORK/abs/lib/x86_64-linux-gnu: $(grep -o -- '-Wl,-rpath,[^ ]*' absolute-build/build.ninja | sort -u)"

finish
