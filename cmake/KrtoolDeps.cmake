# Every dependency comes from Debian 12's packages; nothing is downloaded at build time.
find_package(OpenSSL 3.0 REQUIRED)
find_package(fmt 9 REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 2 REQUIRED)
find_package(Threads REQUIRED)
# zlib (zlib1g-dev) decodes an upstream's gzip or deflate answer for the proxy: route.
find_package(ZLIB REQUIRED)

# Node's http-parser (libhttp-parser-dev) reads test-client's responses; Debian ships no CMake or
# pkg-config file for it, so it is found by its header and library.
find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
find_library(HTTP_PARSER_LIBRARY http_parser REQUIRED)
add_library(http_parser::http_parser UNKNOWN IMPORTED)
set_target_properties(http_parser::http_parser PROPERTIES
  IMPORTED_LOCATION ${HTTP_PARSER_LIBRARY} INTERFACE_INCLUDE_DIRECTORIES ${HTTP_PARSER_INCLUDE_DIR})

# Standalone Asio (libasio-dev, header-only) runs the development server's event loops: sockets,
# timers and C++20 coroutines. clang 14 has coroutines but Asio 1.22 only detects them in GCC, so the
# detection is stated here; ASIO_NO_DEPRECATED keeps the old io_service names out. Asio picks
# aligned_alloc or operator new by whether a libstdc++ header came before its own, so two files could
# allocate with one and free with the other (ASan: alloc-dealloc-mismatch); operator new everywhere.
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(asio::asio INTERFACE IMPORTED)
set_target_properties(asio::asio PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES ${ASIO_INCLUDE_DIR}
  INTERFACE_COMPILE_DEFINITIONS "ASIO_STANDALONE;ASIO_NO_DEPRECATED;ASIO_HAS_CO_AWAIT;ASIO_HAS_STD_COROUTINE;ASIO_DISABLE_STD_ALIGNED_ALLOC")
