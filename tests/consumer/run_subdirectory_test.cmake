# add_subdirectory(elbo) with BUILD_SHARED_LIBS=ON in a project that cannot find GTest,
# benchmark, CLI11 or nlohmann_json; runs its consumer; installs that shared libelbo and
# runs the find_package consumer (tests/consumer/CMakeLists.txt) against the install.
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()
function(expect_consumer_ok exe)
  run("running ${exe}" ${exe})
  if(NOT out MATCHES "consumer ok")
    message(FATAL_ERROR "${exe} did not print 'consumer ok': ${out}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
# Debug without -g: this test is about the build (targets, exports, SONAME, visibility), not
# speed, and an unoptimised libelbo without debug information compiles several times faster
# (the CI run builds it once more here).
set(launcher)
if(LAUNCHER)
  set(launcher -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()
run("configuring the add_subdirectory consumer"
    ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR}/subdirectory -B ${WORK_DIR}/sub -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0 -DCMAKE_CXX_COMPILER=${CXX_COMPILER} ${launcher}
    -DELBO_SOURCE_DIR=${ELBO_SOURCE_DIR} -DBUILD_SHARED_LIBS=ON
    -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON
    -DCMAKE_DISABLE_FIND_PACKAGE_CLI11=ON -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON)
run("building the add_subdirectory consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/sub -j2)
expect_consumer_ok(${WORK_DIR}/sub/consumer)

# The shared install: libelbo.so.<major>.<minor> with that SONAME, and its consumer.
run("installing the shared libelbo" ${CMAKE_COMMAND} --install ${WORK_DIR}/sub --prefix ${WORK_DIR}/prefix)
file(GLOB libs ${WORK_DIR}/prefix/lib*/libelbo.so.*.*.*)
if(NOT libs)
  message(FATAL_ERROR "no libelbo.so.X.Y.Z in ${WORK_DIR}/prefix")
endif()
# Its dynamic symbols: the public API (declared in include/elbo/) and not the internals
# (src/), which -fvisibility=hidden and ELBO_API_BEGIN/END keep out.
list(GET libs 0 lib)
run("listing libelbo's dynamic symbols" nm -D --defined-only -C ${lib})
set(symbols "${out}")
foreach(public "elbo::matmul(elbo::Expr, elbo::Expr)" "typeinfo for elbo::InvalidArgument"
               "elbo::load_approximation(" "elbo::find_likelihood(")
  string(FIND "${symbols}" "${public}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the shared libelbo does not export ${public}")
  endif()
endforeach()
foreach(internal "elbo::ops::matmul_op" "elbo::detail::apply(")
  string(FIND "${symbols}" "${internal}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "the shared libelbo exports the internal ${internal}")
  endif()
endforeach()
file(GLOB static_libs ${WORK_DIR}/prefix/lib*/libelbo.a)
if(static_libs)
  message(FATAL_ERROR "the shared install holds a static libelbo.a")
endif()
run("building the find_package consumer against the shared install"
    ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/fp -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} ${launcher} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
run("building the find_package consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/fp)
run("reading the consumer's dynamic section" readelf -d ${WORK_DIR}/fp/consumer)
if(NOT out MATCHES "NEEDED[^\n]*libelbo\\.so\\.[0-9]+\\.[0-9]+\\]")
  message(FATAL_ERROR "the consumer does not need libelbo.so.<major>.<minor>:\n${out}")
endif()
expect_consumer_ok(${WORK_DIR}/fp/consumer)
message(STATUS "add_subdirectory (shared) and find_package against the shared install: ok")
