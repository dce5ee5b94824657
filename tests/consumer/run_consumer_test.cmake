# Installs the built library into a scratch prefix, then configures, builds and runs a
# separate project that finds it with find_package(elbo).
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${ELBO_BINARY_DIR} --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "install failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build
                        -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer failed: ${rc}")
endif()
execute_process(COMMAND ${WORK_DIR}/build/consumer RESULT_VARIABLE rc OUTPUT_VARIABLE out)
# The installed interface must not carry in-tree-only flags (sanitizers, -march).
file(GLOB targets_files ${WORK_DIR}/prefix/lib*/cmake/elbo/elboTargets*.cmake)
foreach(f IN LISTS targets_files)
  file(READ ${f} text)
  if(text MATCHES "-fsanitize|-march")
    message(FATAL_ERROR "${f} exports build-only flags: ${CMAKE_MATCH_0}")
  endif()
endforeach()
message(STATUS "consumer printed: ${out}")
if(rc)
  message(FATAL_ERROR "the consumer exited with ${rc}")
endif()
if(NOT out MATCHES "consumer ok")
  message(FATAL_ERROR "the consumer did not print 'consumer ok'")
endif()
