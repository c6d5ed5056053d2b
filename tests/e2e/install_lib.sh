# Shared by install_test.sh and deb_package_test.sh (sourced after lib.sh): the build tree that made
# $KRTOOL, read from its CMake cache, so that both tests install what was built instead of building again.
BUILD=$(cd "$(dirname "$KRTOOL")/.." && pwd)  # build/bin/krtool -> build
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  echo "$(basename "$0"): $KRTOOL is not in a CMake build tree (no $BUILD/CMakeCache.txt)" >&2
  exit 1
fi
# cache NAME: a variable of the build tree's cache.
cache() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt"; }
LIBDIR=$(cache CMAKE_INSTALL_LIBDIR)
VERSION=$(cache CMAKE_PROJECT_VERSION)
# A consumer of the sanitizer tree's libraries is compiled by the same compiler and linked with the
# same runtime, as krtool is (KRTOOL_FUZZ turns KRTOOL_SANITIZE on without changing the cache).
CXX=$(cache CMAKE_CXX_COMPILER)
SANITIZE_FLAGS=""
if [ "$(cache KRTOOL_SANITIZE)" = ON ] || [ "$(cache KRTOOL_FUZZ)" = ON ]; then
  SANITIZE_FLAGS="-fsanitize=address,undefined"
fi

# expect_loaded_from PROGRAM LIBRARY FOLDER: the loader resolves LIBRARY (libkrtool.so.0) for PROGRAM
# to FOLDER/LIBRARY, as ldd shows, and not to a copy elsewhere (the build tree's build/lib).
expect_loaded_from() {
  local resolved
  # ldd shows the path as the RUNPATH spelled it ($ORIGIN/../lib/...): compared without the dots.
  resolved=$(ldd "$1" | sed -n "s|^[[:space:]]*$2 => \([^ ]*\) .*|\1|p")
  expect_eq "$(realpath -m "$resolved")" "$(realpath -m "$3/$2")" "where $1 loads $2 from"
}

# expect_installed_krtool_runs BIN LIBDIR: an installed krtool prints its version, with the libraries
# beside it (LIBDIR) and not a copy elsewhere (the build tree's build/lib, or a system install).
expect_installed_krtool_runs() {
  run "$1" --version
  expect_rc 0
  expect_out_contains "$VERSION"
  expect_loaded_from "$1" libkrtool.so.0 "$2"
  expect_loaded_from "$1" libkrtool_net.so.0 "$2"
}
