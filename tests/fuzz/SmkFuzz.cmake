# libFuzzer targets, the pattern of tests/agent's agent_frame_fuzz: clang
# with -fsanitize=fuzzer,address,undefined builds each harness through a
# custom command (so a gcc build gets them too), a probe skips them all if
# that clang cannot link libFuzzer, and each ctest case is a bounded run of
# tests/fuzz/run_fuzz.py, which writes the target's seed corpus first.
#
#   smk_add_fuzzer(<test name> TARGET <binary> HARNESS <file.c> SECONDS <n>
#                  [SOURCES <c files linked in>] [INCLUDES <dirs>]
#                  [DEPENDS <headers and other inputs>] [FLAGS <more flags>])
#
# <binary> is also run_fuzz.py's --target name; SMK_FUZZ_SECONDS_<binary>
# (a cache variable, default SECONDS) bounds its ctest run.
include_guard(GLOBAL)

if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  set(SMK_FUZZ_CC ${CMAKE_C_COMPILER})
else()
  find_program(SMK_FUZZ_CLANG NAMES clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14)
  set(SMK_FUZZ_CC ${SMK_FUZZ_CLANG})
endif()
set(SMK_FUZZ_FLAGS -std=c11 -g -O1 -Wall -Wextra -Werror
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
# A cross build's harnesses are for the target, run under the emulator
# (cmake/SmkTestRun.cmake).
list(APPEND SMK_FUZZ_FLAGS ${SMK_FUZZ_TARGET_FLAGS})
if(SMK_FUZZ_CC)
  # Probe once: a clang without the libFuzzer runtime must not break the build.
  set(_smk_probe ${CMAKE_CURRENT_BINARY_DIR}/smk_fuzz_probe.c)
  file(WRITE ${_smk_probe}
    "#include <stddef.h>\n#include <stdint.h>\n"
    "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n")
  execute_process(COMMAND ${SMK_FUZZ_CC} ${SMK_FUZZ_FLAGS} ${_smk_probe}
                  -o ${CMAKE_CURRENT_BINARY_DIR}/smk_fuzz_probe
                  RESULT_VARIABLE _smk_probe_rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT _smk_probe_rc EQUAL 0)
    message(STATUS "fuzz: ${SMK_FUZZ_CC} ${SMK_FUZZ_FLAGS} cannot link libFuzzer, fuzz tests skipped")
    set(SMK_FUZZ_CC "")
  endif()
else()
  message(STATUS "fuzz: no clang with libFuzzer, fuzz tests skipped")
endif()
find_package(Python3 COMPONENTS Interpreter)
set(SMK_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})

function(smk_add_fuzzer test_name)
  if(NOT SMK_FUZZ_CC)
    return()
  endif()
  cmake_parse_arguments(F "" "TARGET;HARNESS;SECONDS" "SOURCES;INCLUDES;DEPENDS;FLAGS" ${ARGN})
  set(bin ${CMAKE_CURRENT_BINARY_DIR}/${F_TARGET})
  list(TRANSFORM F_INCLUDES PREPEND -I OUTPUT_VARIABLE includes)
  add_custom_command(OUTPUT ${bin}
    COMMAND ${SMK_FUZZ_CC} ${SMK_FUZZ_FLAGS} ${F_FLAGS} -I${SMK_FUZZ_DIR} ${includes}
            ${F_HARNESS} ${F_SOURCES} -o ${bin}
    DEPENDS ${F_HARNESS} ${F_SOURCES} ${F_DEPENDS} ${SMK_FUZZ_DIR}/fuzz_common.h
    COMMENT "Building ${F_TARGET} with ${SMK_FUZZ_CC}" VERBATIM)
  add_custom_target(smk_${F_TARGET} ALL DEPENDS ${bin})
  set(SMK_FUZZ_SECONDS_${F_TARGET} ${F_SECONDS} CACHE STRING
      "Seconds the ${test_name} test fuzzes")
  set(seconds ${SMK_FUZZ_SECONDS_${F_TARGET}})
  smk_fuzz_program(run ${F_TARGET} ${bin})
  if(Python3_Interpreter_FOUND)
    add_test(NAME ${test_name}
      COMMAND ${Python3_EXECUTABLE} ${SMK_FUZZ_DIR}/run_fuzz.py --target ${F_TARGET}
              --fuzzer ${run} --workdir ${CMAKE_CURRENT_BINARY_DIR}/${F_TARGET}.work
              --seconds ${seconds})
  else()
    # Without the seed generators: libFuzzer starts from an empty corpus.
    add_test(NAME ${test_name}
      COMMAND ${run} -max_total_time=${seconds} -timeout=10)
  endif()
  set_tests_properties(${test_name} PROPERTIES TIMEOUT 600)
endfunction()
