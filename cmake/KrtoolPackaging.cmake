# `cpack -G DEB` in a build tree makes krtool_<version>_<arch>.deb: everything `cmake --install`
# puts in place (cmake/KrtoolInstall.cmake), under /usr. Its Depends line is computed by dpkg-shlibdeps
# (dpkg-dev) from what the programs and libraries are linked against, so it names exactly the Debian
# packages of libssl, the C++ runtime and the rest: nothing here lists them by hand.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME krtool)
set(CPACK_PACKAGE_VENDOR "krtool")
set(CPACK_PACKAGE_CONTACT "krtool maintainers <krtool@example.org>")  # a placeholder, as the homepage
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "krtool makes and converts certificates in every format, runs a development HTTPS server that
authenticates client certificates (Kestrun's client-certificate guide), and tests mTLS endpoints
with a client that explains every failure. The libraries, headers, CMake package and pkg-config
file let C++ programs do the same.")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # krtool_<version>_<arch>.deb, as Debian names packages
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Stripped, as Debian ships programs and libraries (dh_strip): the debug info is most of the build's size.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# dpkg-shlibdeps finds libkrtool.so.0 in the package itself, through krtool's $ORIGIN RUNPATH
# (apps/CMakeLists.txt), and CPack tells it that a library of the package needs no dependency. The
# shlibs file lets a package built against libkrtool depend on this one.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# The tests' programs and the build tools are not installed; the package holds what install rules name.
include(CPack)
