# Builds the core from damaged payloads.
#  1. kernel.xz with one flipped byte, manifest unchanged: the build refuses.
#  2. The manifest updated to accept the damaged kernel.xz and a truncated
#     supermachine-agent.xz: the build succeeds, and at run time both fail
#     with SMK_ERR_CORRUPT and leave no file, and verifying a correct kernel
#     file reports the payload, not the file (corrupt/corrupt_check.c).
#   cmake -DSOURCE=... -DPAYLOADS=... -DWORK=... -DGENERATOR=... -DCC=...
#         -P run_corrupt.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/payloads" "${WORK}/out")
file(READ "${PAYLOADS}/manifest.json" manifest)

function(asset_field out name field)
  string(JSON n LENGTH "${manifest}" assets)
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    string(JSON nm GET "${manifest}" assets ${i} name)
    if(nm STREQUAL name)
      string(JSON v GET "${manifest}" assets ${i} ${field})
      set(${out} "${v}" PARENT_SCOPE)
      set(${out}_index ${i} PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

foreach(name kernel init_oci supermachine_agent)
  asset_field(xz ${name} xz)
  file(COPY "${PAYLOADS}/${xz}" DESTINATION "${WORK}/payloads")
endforeach()
file(WRITE "${WORK}/payloads/manifest.json" "${manifest}")

# Flip one bit of a byte a third of the way into kernel.xz (inside some
# block's compressed data).
asset_field(kxz kernel xz)
set(kfile "${WORK}/payloads/${kxz}")
file(SIZE "${kfile}" ksize)
math(EXPR off "${ksize} / 3")
file(READ "${kfile}" byte OFFSET ${off} LIMIT 1 HEX)
math(EXPR flipped "0x${byte} ^ 1")
math(EXPR o1 "${flipped} / 64")
math(EXPR o2 "(${flipped} / 8) % 8")
math(EXPR o3 "${flipped} % 8")
execute_process(
  COMMAND sh -c "printf '\\${o1}${o2}${o3}' | dd of='${kfile}' bs=1 seek=${off} conv=notrunc 2>/dev/null"
  RESULT_VARIABLE rc)
file(READ "${kfile}" after OFFSET ${off} LIMIT 1 HEX)
if(NOT rc EQUAL 0 OR after STREQUAL byte)
  message(FATAL_ERROR "could not flip byte ${off} of ${kfile}")
endif()

set(cfg -S "${SOURCE}/tests/core/corrupt" -G "${GENERATOR}"
        -DSMK_SOURCE=${SOURCE} -DSMK_PAYLOAD_DIR=${WORK}/payloads
        -DCMAKE_C_COMPILER=${CC})

# 1. The build checks each .xz against the manifest.
execute_process(COMMAND "${CMAKE_COMMAND}" ${cfg} -B "${WORK}/build1"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(rc EQUAL 0 OR NOT err MATCHES "differs[ \n]+from[ \n]+xz_sha256")
  message(FATAL_ERROR "configure accepted a payload that does not match the manifest:\n${out}\n${err}")
endif()
message(STATUS "mismatching payload refused by the build")

# 2. Accept the damage in the manifest; truncate the agent too.
asset_field(axz supermachine_agent xz)
set(afile "${WORK}/payloads/${axz}")
file(SIZE "${afile}" asize)
math(EXPR keep "${asize} - 100")
execute_process(COMMAND sh -c "head -c ${keep} '${afile}' > '${afile}.cut' && mv '${afile}.cut' '${afile}'"
  RESULT_VARIABLE rc)
foreach(name kernel supermachine_agent)
  asset_field(xz ${name} xz)
  file(SHA256 "${WORK}/payloads/${xz}" sha)
  file(SIZE "${WORK}/payloads/${xz}" size)
  string(JSON manifest SET "${manifest}" assets ${xz_index} xz_sha256 "\"${sha}\"")
  string(JSON manifest SET "${manifest}" assets ${xz_index} xz_size ${size})
endforeach()
file(WRITE "${WORK}/payloads/manifest.json" "${manifest}")

execute_process(COMMAND "${CMAKE_COMMAND}" ${cfg} -B "${WORK}/build2"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure failed:\n${out}\n${err}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK}/build2"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "build failed:\n${out}\n${err}")
endif()
# The kernel as it should be, for verify: a correct file must not be
# blamed for the payload's damage.
execute_process(COMMAND sh -c "xz -dc '${PAYLOADS}/${kxz}' > '${WORK}/good-kernel' && chmod 0644 '${WORK}/good-kernel'"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "could not decode ${PAYLOADS}/${kxz} with xz")
endif()
execute_process(COMMAND "${WORK}/build2/corrupt_check" "${WORK}/out" "${WORK}/good-kernel"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
message(STATUS "${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "damaged payloads were not rejected as expected")
endif()
