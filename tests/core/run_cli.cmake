# The supermachine-kernel CLI: every command, its output and exit codes,
# and one-line failure messages naming the path and the cause.
#   cmake -DCLI=... -DWORK=... -DVERSION=... -DMANIFEST=... -P run_cli.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

function(run expect_rc)
  execute_process(COMMAND "${CLI}" ${ARGN}
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc STREQUAL "${expect_rc}")
    message(FATAL_ERROR "supermachine-kernel ${ARGN}: exit ${rc}, want ${expect_rc}\nstdout: ${out}\nstderr: ${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

function(expect_one_line_error what must_contain)
  string(REGEX MATCHALL "\n" nl "${err}")
  list(LENGTH nl n)
  if(NOT n EQUAL 1 OR NOT err MATCHES "^supermachine-kernel: ")
    message(FATAL_ERROR "${what}: not one error line: '${err}'")
  endif()
  if(NOT err MATCHES "${must_contain}")
    message(FATAL_ERROR "${what}: '${err}' lacks '${must_contain}'")
  endif()
endfunction()

run(0 --version)
if(NOT out STREQUAL "supermachine-kernel ${VERSION}\n")
  message(FATAL_ERROR "--version printed '${out}'")
endif()
run(0 --help)
foreach(word extract ensure verify info --json --version)
  if(NOT out MATCHES "${word}")
    message(FATAL_ERROR "--help does not mention ${word}")
  endif()
endforeach()

# info: the table names every asset with the manifest's size and digest
# (with build-time overrides, with the library's own: checked elsewhere).
if(OVERRIDDEN)
  execute_process(COMMAND "${CLI}" info --json OUTPUT_VARIABLE manifest)
else()
  file(READ "${MANIFEST}" manifest)
endif()
run(0 info)
foreach(i 0 1 2)
  string(JSON name GET "${manifest}" assets ${i} name)
  string(JSON size GET "${manifest}" assets ${i} size)
  string(JSON sha GET "${manifest}" assets ${i} sha256)
  if(NOT out MATCHES "${name}[^\n]* ${size} +${sha} ")
    message(FATAL_ERROR "info lacks ${name} ${size} ${sha}:\n${out}")
  endif()
endforeach()
if(NOT out MATCHES "kernel release ")
  message(FATAL_ERROR "info lacks the kernel release:\n${out}")
endif()

# info --json parses, and agrees with the manifest.
run(0 info --json)
string(JSON n ERROR_VARIABLE jerr LENGTH "${out}" assets)
if(jerr OR NOT n EQUAL 3)
  message(FATAL_ERROR "info --json is not the expected JSON: ${jerr}\n${out}")
endif()
foreach(i 0 1 2)
  foreach(field name size sha256 mode)
    string(JSON want GET "${manifest}" assets ${i} ${field})
    string(JSON got GET "${out}" assets ${i} ${field})
    if(field STREQUAL "mode" AND want MATCHES "^[0-9][0-9][0-9]$")
      set(want "0${want}")
    endif()
    if(NOT got STREQUAL want)
      message(FATAL_ERROR "info --json: asset ${i} ${field} = ${got}, manifest ${want}")
    endif()
  endforeach()
endforeach()
string(JSON release GET "${out}" kernel release)
string(JSON image_size GET "${out}" kernel image_size)

# extract creates the directory; verify approves; modes are right.
run(0 extract "${WORK}/out/nested")
foreach(f kernel init-oci supermachine-agent)
  if(NOT EXISTS "${WORK}/out/nested/${f}")
    message(FATAL_ERROR "extract did not write ${f}")
  endif()
endforeach()
# verify checks size, mode and every byte of each.
run(0 verify "${WORK}/out/nested")
if(NOT out MATCHES "kernel: ok" OR NOT out MATCHES "init-oci: ok" OR NOT out MATCHES "supermachine-agent: ok")
  message(FATAL_ERROR "verify output: ${out}")
endif()

# A damaged file: verify fails naming it and the cause.  Of the right size
# and mode but other bytes: only the comparison can tell.
file(SIZE "${WORK}/out/nested/init-oci" isize)
string(REPEAT "x" ${isize} same_size)
file(WRITE "${WORK}/out/nested/init-oci" "${same_size}")
run(1 verify "${WORK}/out/nested")
expect_one_line_error("verify altered" "/out/nested/init-oci: content differs")
file(WRITE "${WORK}/out/nested/init-oci" "not the binary")
run(1 verify "${WORK}/out/nested")
expect_one_line_error("verify damaged" "/out/nested/init-oci: size differs")

# ensure repairs it and prints the directory; a second ensure is a no-op.
run(0 ensure "${WORK}/out/nested")
if(NOT out STREQUAL "${WORK}/out/nested\n")
  message(FATAL_ERROR "ensure printed '${out}'")
endif()
run(0 verify "${WORK}/out/nested")
run(0 ensure "${WORK}/out/nested")

# ensure with no DIR uses the per-version cache under XDG_CACHE_HOME.
set(ENV{XDG_CACHE_HOME} "${WORK}/xdg")
run(0 ensure)
if(NOT out STREQUAL "${WORK}/xdg/supermachine-kernel/${VERSION}\n")
  message(FATAL_ERROR "ensure (default) printed '${out}'")
endif()
run(0 verify "${WORK}/xdg/supermachine-kernel/${VERSION}")

# Failures: one line naming the path and the cause, non-zero exit.
file(WRITE "${WORK}/a-file" "x")
run(1 extract "${WORK}/a-file")
expect_one_line_error("extract into a file" "a-file(/kernel)?: Not a directory")
run(1 verify "${WORK}/missing")
if(NOT err MATCHES "missing/kernel: No such file or directory")
  message(FATAL_ERROR "verify missing: '${err}'")
endif()
run(1 ensure "${WORK}/a-file")
expect_one_line_error("ensure into a file" "a-file: Not a directory")

# An empty DIR names no directory: never the root directory's files.
# (run() would drop an empty argument.)
foreach(cmd verify extract)
  execute_process(COMMAND "${CLI}" ${cmd} ""
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc STREQUAL "1")
    message(FATAL_ERROR "supermachine-kernel ${cmd} '': exit ${rc}, want 1\n${err}")
  endif()
  expect_one_line_error("${cmd} ''" "^supermachine-kernel: '': No such file or directory")
endforeach()

# Usage errors exit 2.
run(2)
run(2 frobnicate)
expect_one_line_error("unknown command" "unknown command 'frobnicate'")
run(2 extract)
run(2 verify a b)
run(2 info --yaml)
message(STATUS "CLI ok")
