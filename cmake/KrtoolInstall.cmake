# What `cmake --install` puts in place besides the programs and libraries (lib/ and apps/ install
# those): the CMake package, the pkg-config file, the generated man pages and completions, and the
# docs and samples. docs/library.md shows a C++ program using the first two.
include(CMakePackageConfigHelpers)

# find_package(krtool CONFIG): krtool::krtool (both libraries), krtool::krtool_lib, krtool::krtool_net.
set(KRTOOL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/krtool)
install(EXPORT krtoolTargets NAMESPACE krtool:: DESTINATION ${KRTOOL_CMAKE_DIR})
configure_package_config_file(cmake/krtoolConfig.cmake.in ${PROJECT_BINARY_DIR}/krtoolConfig.cmake
                              INSTALL_DESTINATION ${KRTOOL_CMAKE_DIR})
# Before 1.0 a minor version may change the API: 0.1 satisfies a request for 0.1.x, not for 0.2.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/krtoolConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/krtoolConfig.cmake ${PROJECT_BINARY_DIR}/krtoolConfigVersion.cmake
        DESTINATION ${KRTOOL_CMAKE_DIR})

# krtool.pc. With a relative library folder the file finds the prefix from its own place (${pcfiledir}),
# so it stays right wherever the tree is installed: `--prefix`, DESTDIR, or CPack's /usr.
set(KRTOOL_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(KRTOOL_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(KRTOOL_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  cmake_path(ABSOLUTE_PATH KRTOOL_PC_DIR BASE_DIRECTORY /prefix OUTPUT_VARIABLE pc_dir)
  file(RELATIVE_PATH pc_to_prefix ${pc_dir} /prefix)
  string(REGEX REPLACE "/$" "" pc_to_prefix "${pc_to_prefix}")
  set(KRTOOL_PC_PREFIX "\${pcfiledir}/${pc_to_prefix}")
  set(KRTOOL_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(KRTOOL_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(KRTOOL_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(cmake/krtool.pc.in ${PROJECT_BINARY_DIR}/krtool.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/krtool.pc DESTINATION ${KRTOOL_PC_DIR})

# The man pages and completions krtool-docgen generates (apps/CMakeLists.txt), folder by folder as
# build/share holds them, so that every page and shell it adds is installed without a line here.
# OPTIONAL: a shell's folder exists only once the generator writes that shell's completion.
install(DIRECTORY ${PROJECT_BINARY_DIR}/share/man/ DESTINATION ${CMAKE_INSTALL_MANDIR})
foreach(folder bash-completion zsh fish)
  install(DIRECTORY ${PROJECT_BINARY_DIR}/share/${folder} DESTINATION ${CMAKE_INSTALL_DATADIR} OPTIONAL)
endforeach()

# share/doc/krtool: the README, docs/ and samples/ as in the source tree, so that their links to each
# other still lead somewhere; scripts keep their execute bit.
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY samples DESTINATION ${CMAKE_INSTALL_DOCDIR} USE_SOURCE_PERMISSIONS)
