# Build-time overrides: SUPERMACHINE_INIT_OCI_PATH as a cache variable and
# SUPERMACHINE_AGENT_PATH from the environment name uncompressed files that
# the library embeds instead of the committed payloads. A nested build of
# the whole project with both set must extract exactly those files (with the
# assets' modes), keep the committed kernel, and report the new sizes.
#   cmake -DSOURCE=... -DWORK=... -DGENERATOR=... -DCC=...
#         [-DTOOLCHAIN_ARGS=-DCMAKE_TOOLCHAIN_FILE=... -DEMULATOR=...] -P run_override.cmake
# (the last two in a cross build: the nested build is for the target, its
# CLI runs under the emulator).
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
file(WRITE "${WORK}/custom-init" "#!/bin/sh\n# a custom init, embedded raw by the override\n")
file(WRITE "${WORK}/custom-agent" "custom agent bytes\n")

set(ENV{SUPERMACHINE_AGENT_PATH} "${WORK}/custom-agent")
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${SOURCE}" -B "${WORK}/build" -G "${GENERATOR}"
          ${TOOLCHAIN_ARGS} -DCMAKE_C_COMPILER=${CC} -DBUILD_TESTING=OFF
          "-DSUPERMACHINE_INIT_OCI_PATH=${WORK}/custom-init"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure with overrides failed:\n${out}\n${err}")
endif()
unset(ENV{SUPERMACHINE_AGENT_PATH})
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK}/build" --target supermachine-kernel
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "build with overrides failed:\n${out}\n${err}")
endif()

set(cli "${WORK}/build/core/supermachine-kernel")
execute_process(COMMAND ${EMULATOR} "${cli}" extract "${WORK}/out" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "extract failed: ${err}")
endif()
foreach(pair "custom-init;init-oci" "custom-agent;supermachine-agent")
  list(GET pair 0 want)
  list(GET pair 1 got)
  file(SHA256 "${WORK}/${want}" a)
  file(SHA256 "${WORK}/out/${got}" b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "${got}: extracted bytes are not the override ${want}")
  endif()
  execute_process(COMMAND stat -c %a "${WORK}/out/${got}" OUTPUT_VARIABLE mode
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT mode STREQUAL "755")
    message(FATAL_ERROR "${got}: mode ${mode}, want 755")
  endif()
endforeach()

# The default architecture's kernel: the set the plain variables override.
execute_process(COMMAND ${EMULATOR} "${cli}" info --json OUTPUT_VARIABLE info RESULT_VARIABLE rc)
string(JSON default_arch GET "${info}" default_arch)
file(READ "${SOURCE}/payloads/manifest.json" manifest)
string(JSON n LENGTH "${manifest}" assets)
math(EXPR last "${n} - 1")
set(ksha "")
foreach(i RANGE ${last})
  string(JSON name GET "${manifest}" assets ${i} name)
  string(JSON arch GET "${manifest}" assets ${i} arch)
  if(name STREQUAL "kernel" AND arch STREQUAL default_arch)
    string(JSON ksha GET "${manifest}" assets ${i} sha256)
  endif()
endforeach()
file(SHA256 "${WORK}/out/kernel" k)
if(NOT k STREQUAL ksha)
  message(FATAL_ERROR "kernel: not the committed payload although not overridden")
endif()

execute_process(COMMAND ${EMULATOR} "${cli}" info --json OUTPUT_VARIABLE info RESULT_VARIABLE rc)
file(SIZE "${WORK}/custom-agent" asize)
if(NOT rc EQUAL 0 OR NOT info MATCHES "\"size\": *${asize}[,}\n ]")
  message(FATAL_ERROR "info --json does not report the override's size ${asize}:\n${info}")
endif()
message(STATUS "overrides embedded: init-oci (cache variable), agent (environment)")
