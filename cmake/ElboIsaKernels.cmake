# elbo_add_isa_kernels(<level> <flags>...): compiles the engine's kernels
# (src/graph/ops/*.cpp) once more with <flags> and adds them to libelbo as ONE object file
# in which every symbol is local except `elbo_isa_kernels_<level>`, the table that
# src/graph/isa.cpp reads at start-up.
#
# Why one object with local symbols: the kernels instantiate inline functions and templates
# (Eigen's, the standard library's, elbo's) that baseline code instantiates too. Compiled
# with -mavx2 those are different code under the same names, and the linker keeps one copy
# of each: it could keep the AVX2 one for baseline callers, an illegal instruction on a CPU
# without AVX2. So:
#   1. compile with -fvisibility=hidden (our symbols; the standard library's stay default)
#      and, with GCC, -fno-gnu-unique (function-local statics and inline static members
#      would otherwise be STB_GNU_UNIQUE, a binding objcopy does not localise),
#   2. `ld -r --force-group-allocation`: one relocatable object, its COMDAT groups dissolved
#      (a group would otherwise still be merged by its signature's name with the baseline's
#      group of the same name, whatever the symbol's binding),
#   3. `objcopy --keep-global-symbol=elbo_isa_kernels_<level>`: every other defined symbol
#      becomes local; undefined references (to baseline functions) are left as they are.
# The test isa.<level>_object_is_sealed (tests/CMakeLists.txt, cmake/check_isa_object.cmake)
# fails if the object defines any other global or weak symbol or keeps a section group.
function(elbo_add_isa_kernels level)
  set(flags ${ARGN})
  if(NOT CMAKE_OBJCOPY OR NOT CMAKE_LINKER)
    message(WARNING "elbo: no objcopy or ld found; the kernels are built for baseline x86-64 only")
    return()
  endif()
  file(GLOB kernel_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/graph/ops/*.cpp)
  set(target elbo_isa_${level})
  add_library(${target} OBJECT ${kernel_sources} ${PROJECT_SOURCE_DIR}/src/graph/isa_variant_entry.cpp)
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_compile_definitions(${target} PRIVATE ELBO_ISA_VARIANT=${level}
                                               $<TARGET_PROPERTY:elbo,COMPILE_DEFINITIONS>)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/include
                                               ${PROJECT_SOURCE_DIR}/src)
  target_include_directories(${target} SYSTEM PRIVATE ${RANDOM123_INCLUDE_DIR})
  target_link_libraries(${target} PRIVATE Eigen3::Eigen)
  target_compile_options(${target} PRIVATE ${ELBO_WARNINGS} ${ELBO_LIBRARY_FLAGS} ${flags} -fvisibility=hidden
                                           -fvisibility-inlines-hidden ${ELBO_SANITIZER_FLAGS}
                                           $<$<CXX_COMPILER_ID:GNU>:-fno-gnu-unique>)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)

  set(dir ${PROJECT_BINARY_DIR}/isa)
  set(partial ${dir}/kernels_${level}.partial.o)
  set(sealed ${dir}/kernels_${level}.o)
  add_custom_command(
    OUTPUT ${sealed} ${partial}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${CMAKE_LINKER} -r --force-group-allocation -o ${partial} $<TARGET_OBJECTS:${target}>
    COMMAND ${CMAKE_OBJCOPY} --keep-global-symbol=elbo_isa_kernels_${level} ${partial} ${sealed}
    DEPENDS ${target} $<TARGET_OBJECTS:${target}>
    COMMENT "Sealing the ${level} kernels into one object with local symbols"
    COMMAND_EXPAND_LISTS VERBATIM)
  set_source_files_properties(${sealed} PROPERTIES EXTERNAL_OBJECT ON GENERATED ON)
  target_sources(elbo PRIVATE ${sealed})
  string(TOUPPER ${level} LEVEL)
  set_property(SOURCE ${PROJECT_SOURCE_DIR}/src/graph/isa.cpp APPEND PROPERTY COMPILE_DEFINITIONS
               ELBO_HAVE_ISA_${LEVEL})
  set(ELBO_ISA_LEVELS ${ELBO_ISA_LEVELS} ${level} PARENT_SCOPE)
  set_property(GLOBAL APPEND PROPERTY ELBO_ISA_OBJECTS "${level}|${partial}|${sealed}")
endfunction()
