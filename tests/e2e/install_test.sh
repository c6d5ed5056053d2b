#!/usr/bin/env bash
# `cmake --install` of the tree under test into a temporary prefix: krtool runs from there, and a C++
# program (samples/library-consumer) builds against the installed package with find_package and with
# pkg-config, makes a certificate, and calls the embedded development server.
e2e="$(cd "$(dirname "$0")" && pwd)"  # before lib.sh moves to a temporary folder
source "$e2e/lib.sh"
source "$e2e/install_lib.sh"
P="$WORK/prefix"

it "cmake --install puts the program, libraries, headers, CMake package and pkg-config file in the prefix"
run cmake --install "$BUILD" --prefix "$P"
expect_rc 0
for f in bin/krtool "$LIBDIR/libkrtool.so.$VERSION" "$LIBDIR/libkrtool_net.so.$VERSION" \
  include/krtool/cert/builder.hpp include/krtool/server/dev_server.hpp include/krtool/validation.hpp \
  "$LIBDIR/cmake/krtool/krtoolConfig.cmake" "$LIBDIR/cmake/krtool/krtoolConfigVersion.cmake" \
  "$LIBDIR/cmake/krtool/krtoolTargets.cmake" "$LIBDIR/pkgconfig/krtool.pc"; do
  expect_file "$P/$f"
done
# Every header of lib/include is installed, the same bytes.
for header in $(cd "$SOURCE_DIR/lib/include" && find krtool -name '*.hpp'); do
  if cmp -s "$SOURCE_DIR/lib/include/$header" "$P/include/$header"; then pass; else fail "$header not installed"; fi
done

it "the libraries carry their SONAME, with the linker's symbolic links"
for lib in libkrtool libkrtool_net; do
  soname=$(readelf -d "$P/$LIBDIR/$lib.so.$VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  expect_eq "$soname" "$lib.so.0" "SONAME of $lib"
  expect_eq "$(readlink "$P/$LIBDIR/$lib.so.0")" "$lib.so.$VERSION" "$lib.so.0 link"
  expect_eq "$(readlink "$P/$LIBDIR/$lib.so")" "$lib.so.0" "$lib.so link"
done

it "the man pages, completions, docs and samples are installed as the build generated them"
# Whatever krtool-docgen wrote into build/share (krtool.1, a page per subcommand, each shell's
# completion) is in the prefix's share/.
generated=$(cd "$BUILD/share" && find . -type f | sort)
[ -n "$generated" ] && pass || fail "the build tree generated nothing under $BUILD/share"
for f in $generated; do expect_file "$P/share/$f"; done
expect_file "$P/share/man/man1/krtool.1"
expect_file "$P/share/bash-completion/completions/krtool"
for f in README.md docs/library.md docs/certificates.md docs/client-certificate-authentication.md \
  docs/troubleshooting.md samples/library-consumer/main.cpp samples/library-consumer/CMakeLists.txt \
  samples/find-krtool.sh; do
  expect_file "$P/share/doc/krtool/$f"
done
if [ -x "$P/share/doc/krtool/samples/quickstart.sh" ]; then pass; else fail "samples/quickstart.sh is not executable"; fi

it "the installed krtool runs, with the prefix's libraries rather than the build tree's"
expect_installed_krtool_runs "$P/bin/krtool" "$P/$LIBDIR"

# expect_consumer_ran: the consumer's output (in $OUT) tells the whole story, and it ended well.
expect_consumer_ran() {
  expect_rc 0
  expect_out_contains "certificate: CN=consumer-client issued by CN=Consumer CA, thumbprint "
  expect_out_contains "server: listening on https://127.0.0.1:"
  expect_out_contains "call: GET /secure/cert/hello -> 200 (ok)"
  expect_out_contains "the server saw our certificate: CN=consumer-client"
  expect_out_contains "server: stopped"
}

it "a CMake project builds against the installed package with find_package(krtool) and runs"
run cmake -S "$SOURCE_DIR/samples/library-consumer" -B consumer-cmake -G Ninja -DCMAKE_PREFIX_PATH="$P" \
  -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS="$SANITIZE_FLAGS" -DCMAKE_BUILD_TYPE=Debug
expect_rc 0
# The package found is the one just installed, not a krtool on the system.
expect_eq "$(sed -n 's/^krtool_DIR:PATH=//p' consumer-cmake/CMakeCache.txt)" "$P/$LIBDIR/cmake/krtool" "krtool_DIR"
run cmake --build consumer-cmake
expect_rc 0
run consumer-cmake/krtool-library-consumer "$WORK/cmake-files"
expect_consumer_ran
expect_loaded_from consumer-cmake/krtool-library-consumer libkrtool_net.so.0 "$P/$LIBDIR"
expect_file "$WORK/cmake-files/client.pem"
expect_mode "$WORK/cmake-files/client.key" 600

it "a one-line compile builds it with pkg-config, with only the installed headers on the include path"
export PKG_CONFIG_PATH="$P/$LIBDIR/pkgconfig"
run pkg-config --cflags --libs krtool
expect_rc 0
# krtool.pc finds the prefix from its own folder, so the paths are relative to it: they lead to $P.
include_dir=$(sed -n 's/^-I\([^ ]*\) .*/\1/p' <<<"$OUT")
expect_eq "$(realpath -m "$include_dir")" "$(realpath "$P/include")" "pkg-config's include folder"
expect_out_contains "-lkrtool_net -lkrtool"
expect_out_contains "-lssl"
# One translation unit includes every installed header, then the consumer: that every header compiles
# from the prefix alone (each includes only krtool's public headers and Debian's) costs no second compile.
for header in $(cd "$P/include" && find krtool -name '*.hpp' | sort); do echo "#include <$header>"; done >consumer.cpp
echo "#include \"$SOURCE_DIR/samples/library-consumer/main.cpp\"" >>consumer.cpp
# shellcheck disable=SC2046,SC2086  # pkg-config's words are separate arguments
run "$CXX" -std=c++20 $SANITIZE_FLAGS consumer.cpp -o consumer-pc $(pkg-config --cflags --libs krtool) -Wl,-rpath,"$P/$LIBDIR"
expect_rc 0
run ./consumer-pc "$WORK/pc-files"
expect_consumer_ran
expect_loaded_from ./consumer-pc libkrtool.so.0 "$P/$LIBDIR"

finish
