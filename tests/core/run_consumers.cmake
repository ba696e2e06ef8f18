# Installs the core (component "core") into a prefix, moves the prefix
# elsewhere (both the pkg-config file and the CMake package must be
# relocatable), then builds and runs a consumer through pkg-config and one
# through find_package, whose build also stages the assets.
#   cmake -DBUILD_DIR=... -DSOURCE=... -DWORK=... -DGENERATOR=... -DCC=...
#         [-DTOOLCHAIN_ARGS=-DCMAKE_TOOLCHAIN_FILE=... -DEMULATOR=...
#          -DPKG_CONFIG_LIBDIR=...] -P run_consumers.cmake
# (the last three in a cross build: the consumers are built for the target
# and run under the emulator).
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

function(run what)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

run("install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --component core
    --prefix "${WORK}/installed")
file(RENAME "${WORK}/installed" "${WORK}/moved")
set(prefix "${WORK}/moved")
file(GLOB_RECURSE pcs "${prefix}/*/supermachine-kernel.pc")
list(GET pcs 0 pc)
get_filename_component(pcdir "${pc}" DIRECTORY)
get_filename_component(libdir "${pcdir}" DIRECTORY)
foreach(f include/supermachine_kernel.h bin/supermachine-kernel)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()

# pkg-config
find_program(PKG_CONFIG_EXE NAMES pkg-config pkgconf)
if(NOT PKG_CONFIG_EXE)
  message(WARNING "pkg-config not found: the pkg-config consumer is not tested")
else()
  set(ENV{PKG_CONFIG_PATH} "${pcdir}")
  if(PKG_CONFIG_LIBDIR)
    set(ENV{PKG_CONFIG_LIBDIR} "${PKG_CONFIG_LIBDIR}")
  endif()
  run("pkg-config" "${PKG_CONFIG_EXE}" --cflags --libs supermachine-kernel)
  string(STRIP "${out}" flags)
  if(NOT flags MATCHES "${prefix}")
    message(FATAL_ERROR "pkg-config flags do not point into the moved prefix: ${flags}")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  # A sanitized build's libraries need the sanitizer runtime in the consumer.
  separate_arguments(san UNIX_COMMAND "${SANITIZE_FLAGS}")
  run("pkg-config consumer build" "${CC}" -std=c99 -Wall -Werror
      ${san} "${SOURCE}/tests/core/consumer/consumer.c" ${flags} -o "${WORK}/pc-consumer")
  set(ENV{LD_LIBRARY_PATH} "${libdir}")
  run("pkg-config consumer" ${EMULATOR} "${WORK}/pc-consumer")
  message(STATUS "pkg-config consumer: ${out}")
  unset(ENV{LD_LIBRARY_PATH})
endif()

# find_package, the staging function, and the static library
run("cmake consumer configure" "${CMAKE_COMMAND}"
    -S "${SOURCE}/tests/core/consumer" -B "${WORK}/cmake-consumer"
    -G "${GENERATOR}" ${TOOLCHAIN_ARGS} -DCMAKE_C_COMPILER=${CC} -DCMAKE_PREFIX_PATH=${prefix}
    "-DCMAKE_C_FLAGS=${SANITIZE_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${SANITIZE_FLAGS}")
run("cmake consumer build" "${CMAKE_COMMAND}" --build "${WORK}/cmake-consumer")
set(bundle "${WORK}/cmake-consumer/bundle/Resources")
foreach(f kernel init-oci supermachine-agent)
  if(NOT EXISTS "${bundle}/${f}")
    message(FATAL_ERROR "supermachine_kernel_stage_assets did not stage ${f}")
  endif()
endforeach()
set(ENV{LD_LIBRARY_PATH} "${libdir}")
run("cmake consumer" ${EMULATOR} "${WORK}/cmake-consumer/consumer" "${bundle}")
message(STATUS "cmake consumer: ${out}")
unset(ENV{LD_LIBRARY_PATH})
run("cmake static consumer" ${EMULATOR} "${WORK}/cmake-consumer/consumer_static" "${bundle}")
message(STATUS "cmake static consumer: ${out}")
