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
