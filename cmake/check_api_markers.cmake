# Fails when a public header (include/elbo/**/*.hpp) that declares something in a namespace
# does not put it between ELBO_API_BEGIN and ELBO_API_END (docs/ARCHITECTURE.md, "What a
# shared library exports"): a shared libelbo would hide its declarations.
# Usage: cmake -DINCLUDE_DIR=<repo>/include -P check_api_markers.cmake
file(GLOB_RECURSE headers ${INCLUDE_DIR}/elbo/*.hpp)
set(bad)
foreach(h IN LISTS headers)
  file(READ ${h} text)
  if(NOT text MATCHES "\nnamespace ")
    continue()  # an umbrella header: includes only
  endif()
  string(FIND "${text}" "ELBO_API_BEGIN\nnamespace " begin)
  string(FIND "${text}" "\nnamespace " first_namespace)
  string(FIND "${text}" "ELBO_API_END" end REVERSE)
  string(FIND "${text}" "}  // namespace" last_close REVERSE)
  math(EXPR expected_begin "${first_namespace} - 14")  # "ELBO_API_BEGIN" is 14 characters
  if(NOT begin EQUAL expected_begin OR end LESS last_close OR NOT text MATCHES "#include \"elbo/export.hpp\"")
    list(APPEND bad ${h})
  endif()
endforeach()
if(bad)
  string(REPLACE ";" "\n  " bad "${bad}")
  message(FATAL_ERROR "public headers without ELBO_API_BEGIN before their first namespace, ELBO_API_END "
                      "after their last, or the include of elbo/export.hpp:\n  ${bad}")
endif()
list(LENGTH headers n)
message(STATUS "${n} public headers checked")
