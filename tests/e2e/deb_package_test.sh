#!/usr/bin/env bash
# `cpack -G DEB` of the tree under test: the package's control data (dependencies computed by
# dpkg-shlibdeps), its contents, and krtool run from a temporary root it is installed into. Neither
# the network nor the system's dpkg database is touched.
e2e="$(cd "$(dirname "$0")" && pwd)"  # before lib.sh moves to a temporary folder
source "$e2e/lib.sh"
source "$e2e/install_lib.sh"
ARCH=$(dpkg --print-architecture)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
DEB="$WORK/packages/krtool_${VERSION}_${ARCH}.deb"

it "cpack -G DEB makes krtool_<version>_<arch>.deb"
# -B keeps CPack's staging folder out of the build tree, so that this test can run beside others.
run cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/packages"
expect_rc 0
expect_file "$DEB"

it "its control data: Debian's dependencies as dpkg-shlibdeps computed them, and who and what it is"
run dpkg-deb --field "$DEB" Depends
expect_rc 0
depends=$OUT
# dpkg-shlibdeps writes each library's package with the lowest version providing the symbols used;
# a hand-written list would not carry them.
for package in libssl3 libstdc++6 libc6 libgcc-s1; do
  if [[ ", $depends" == *", $package (>= "[0-9]* ]]; then pass; else fail "Depends lacks '$package (>= ...)': $depends"; fi
done
run dpkg-deb --info "$DEB"
expect_rc 0
expect_out_contains "Package: krtool"
expect_out_contains "Version: $VERSION"
expect_out_contains "Architecture: $ARCH"
expect_out_contains "Maintainer: "
expect_out_contains "Section: devel"
expect_out_contains "Homepage: https://"
expect_out_contains " shlibs"  # the shlibs file, for packages built against libkrtool
run dpkg-deb --field "$DEB" Description
expect_out_contains "development HTTPS server"

it "its contents: the program, the libraries in the multiarch folder, headers, packages, man pages, completions, docs"
run dpkg-deb --contents "$DEB"
expect_rc 0
for f in usr/bin/krtool "usr/lib/$MULTIARCH/libkrtool.so.$VERSION" "usr/lib/$MULTIARCH/libkrtool_net.so.$VERSION" \
  "usr/lib/$MULTIARCH/cmake/krtool/krtoolConfig.cmake" "usr/lib/$MULTIARCH/pkgconfig/krtool.pc" \
  usr/include/krtool/cert/builder.hpp usr/share/man/man1/krtool.1 usr/share/bash-completion/completions/krtool \
  usr/share/doc/krtool/README.md usr/share/doc/krtool/docs/library.md usr/share/doc/krtool/samples/library-consumer/main.cpp; do
  expect_out_contains " ./$f"
done
for f in $(cd "$BUILD/share" && find . -type f | sed 's|^\./||'); do expect_out_contains " ./usr/share/$f"; done
expect_out_contains "./usr/lib/$MULTIARCH/libkrtool.so.0 -> libkrtool.so.$VERSION"

it "installed into a temporary root, its krtool runs with the root's libraries"
ROOT="$WORK/root"
# dpkg itself, with a database of its own in the root (an empty status file is a valid one): the
# package's files and symbolic links land as apt would put them, and the system's database is neither
# read nor written. --unpack rather than -i: configuring runs the postinst, which runs ldconfig, and dpkg
# runs it chrooted into the root, where there is no shell (so -i fails), or with
# --force-script-chrootless on the real system, refreshing its loader cache; neither is this test's to
# do. krtool needs no configuring, as it finds its libraries through its RUNPATH. Unpacking checks no
# Depends (the root holds no libssl3 or libc6 package: the loader uses the system's files);
# --force-not-root lets the same run unprivileged.
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates"
touch "$ROOT/var/lib/dpkg/status"
run dpkg --root="$ROOT" --force-not-root --log=/dev/null --unpack "$DEB"
expect_rc 0
run dpkg --root="$ROOT" --status krtool
expect_out_contains "Status: install ok unpacked"
expect_file "$ROOT/usr/lib/$MULTIARCH/libkrtool.so.0"
# Its RUNPATH ($ORIGIN/../lib/<multiarch>) finds the root's libraries, not /usr/lib/<multiarch>'s.
expect_installed_krtool_runs "$ROOT/usr/bin/krtool" "$ROOT/usr/lib/$MULTIARCH"

finish
