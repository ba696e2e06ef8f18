# Build-time overrides the build must refuse, each with a message naming
# the variable and the file: an empty file, /dev/null, a file too short to
# be a kernel, and random bytes that are neither an arm64 Image nor an
# x86-64 ELF, for each architecture's kernel variable.  Configure
# only: nothing is built.
#   cmake -DSOURCE=... -DWORK=... -DGENERATOR=... [-DTOOLCHAIN_ARGS=...] -P run_override_refused.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
file(WRITE "${WORK}/empty" "")
file(WRITE "${WORK}/short" "not a kernel\n")
# 4 KiB of bytes that are not an Image header (no "ARM\x64" at 56).
string(REPEAT "0123456789abcdef" 256 filler)
file(WRITE "${WORK}/random" "${filler}")

# variable|file|what the message must say
set(cases
  "SUPERMACHINE_KERNEL_PATH|${WORK}/empty|empty, or not a regular file"
  "SUPERMACHINE_KERNEL_PATH|/dev/null|empty, or not a regular file"
  "SUPERMACHINE_KERNEL_PATH|${WORK}/short|too short for a kernel"
  "SUPERMACHINE_AARCH64_KERNEL_PATH|${WORK}/random|not an arm64 Image"
  "SUPERMACHINE_X86_64_KERNEL_PATH|${WORK}/random|not an x86-64 ELF vmlinux"
  "SUPERMACHINE_AARCH64_INIT_OCI_PATH|${WORK}/empty|empty, or not a regular file"
  "SUPERMACHINE_AGENT_PATH|${WORK}/empty|empty, or not a regular file")
set(n 0)
foreach(case IN LISTS cases)
  string(REPLACE "|" ";" fields "${case}")
  list(GET fields 0 var)
  list(GET fields 1 file)
  list(GET fields 2 want)
  math(EXPR n "${n} + 1")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${SOURCE}" -B "${WORK}/build${n}" -G "${GENERATOR}"
            ${TOOLCHAIN_ARGS} -DBUILD_TESTING=OFF "-D${var}=${file}"
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  string(REGEX REPLACE "[ \n]+" " " err_flat "${err}")
  if(rc EQUAL 0)
    message(FATAL_ERROR "${var}=${file}: configure succeeded, should have refused it")
  endif()
  string(FIND "${err_flat}" "${var}=${file}: " names_it)
  string(FIND "${err_flat}" "${want}" says_why)
  if(names_it EQUAL -1 OR says_why EQUAL -1)
    message(FATAL_ERROR "${var}=${file}: refused, but not with \"${want}\":\n${err}")
  endif()
endforeach()
message(STATUS "${n} bad overrides refused at configure time")
