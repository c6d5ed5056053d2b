# cmake -DINPUT=file -DOUTPUT=file.cpp -DFUNCTION=name -DNAMESPACE=ns -DINCLUDE=header -P EmbedText.cmake
# writes a C++ source whose function returns INPUT's text, as a raw string literal. The output is only
# rewritten when its content changes, so an unchanged header does not relink the library.
file(READ "${INPUT}" text)
set(delimiter "krtool_embed")
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )${delimiter}\"")
endif()
set(source "// Generated from ${INPUT} by cmake/EmbedText.cmake; do not edit.
#include \"${INCLUDE}\"

namespace ${NAMESPACE} {

std::string_view ${FUNCTION}() noexcept {
  static constexpr char kText[] = R\"${delimiter}(${text})${delimiter}\";
  return {kText, sizeof kText - 1};
}

}  // namespace ${NAMESPACE}
")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" previous)
  if(previous STREQUAL source)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${source}")
