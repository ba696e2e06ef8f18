# Turns payloads/manifest.json and the payload files into smk_payloads.h,
# the one generated header through which build-specific facts reach the C
# sources (see core/README.md for its macros).
#
# Each .xz named in the manifest is checked against the manifest's xz_size
# and xz_sha256 here, at configure time; the manifest, the payloads and any
# override file are configure dependencies, so changing one re-runs this and
# rewrites the header (whose text carries every payload's digest, so the
# embedding source recompiles).
#
# Overrides: SUPERMACHINE_KERNEL_PATH, SUPERMACHINE_INIT_OCI_PATH and
# SUPERMACHINE_AGENT_PATH (cache variables, else environment variables read
# at configure time) name uncompressed files to embed instead.  They are
# embedded raw, not compressed: no xz tool needed at build time, and a
# custom kernel under development rebuilds in seconds.  Such an asset is
# marked COMPRESSED 0; its size and sha256 are those of the file, its file
# name, mode and arch those of the manifest (or the defaults below when
# there is no manifest), and for the kernel the release is read from the
# Image's "Linux version" banner.

# name in the manifest;override variable;file name;mode;arch
set(_SMK_ASSETS_KERNEL "kernel;SUPERMACHINE_KERNEL_PATH;kernel;0644;aarch64")
set(_SMK_ASSETS_INIT_OCI "init_oci;SUPERMACHINE_INIT_OCI_PATH;init-oci;0755;aarch64")
set(_SMK_ASSETS_SUPERMACHINE_AGENT
    "supermachine_agent;SUPERMACHINE_AGENT_PATH;supermachine-agent;0755;aarch64")
set(SMK_ASSET_IDS KERNEL INIT_OCI SUPERMACHINE_AGENT)

# A C string literal of `value` (backslashes, quotes and newlines escaped).
function(smk_c_string out value)
  string(REPLACE "\\" "\\\\" value "${value}")
  string(REPLACE "\"" "\\\"" value "${value}")
  string(REPLACE "\n" "\\n" value "${value}")
  set(${out} "\"${value}\"" PARENT_SCOPE)
endfunction()

# Write `text` to `path` only when it differs, so that an unchanged
# generated file rebuilds nothing.
function(smk_write_if_changed path text)
  set(old "")
  if(EXISTS "${path}")
    file(READ "${path}" old)
  endif()
  if(NOT old STREQUAL text)
    file(WRITE "${path}" "${text}")
  endif()
endfunction()

function(_smk_json_get out json)
  string(JSON value ERROR_VARIABLE err GET "${json}" ${ARGN})
  if(err)
    set(${out} "" PARENT_SCOPE)
  else()
    set(${out} "${value}" PARENT_SCOPE)
  endif()
endfunction()

# Refuses a kernel override that is not an arm64 Image: the header is 64
# bytes with the magic "ARM\x64" at offset 56 (Documentation/arch/arm64/
# booting.rst), which is what kernel_info and the VMMs rely on.
function(_smk_check_arm64_image path what)
  file(SIZE "${path}" size)
  if(size LESS 64)
    message(FATAL_ERROR "${what}: ${size} bytes, too short for an arm64 Image (64-byte header)")
  endif()
  file(READ "${path}" magic OFFSET 56 LIMIT 4 HEX)
  if(NOT magic STREQUAL "41524d64")
    message(FATAL_ERROR "${what}: not an arm64 Image (no \"ARM\\x64\" magic at offset 56)")
  endif()
endfunction()

# The release in an Image's banner: "Linux version 6.12.117 (...)".
function(_smk_kernel_release_of out path)
  file(STRINGS "${path}" banner LIMIT_COUNT 1 LENGTH_MINIMUM 16
       REGEX "Linux version [^ ]+")
  string(REGEX MATCH "Linux version ([^ ]+)" _ "${banner}")
  set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

# smk_generate_payloads(PAYLOAD_DIR <dir> OUTPUT <header>
#                       [RESULT_VARIABLE <var>])
# Sets <var> to TRUE when the header was written, FALSE (with a warning)
# when there is neither a manifest nor a complete set of overrides, so the
# caller can skip building the core.  Also sets, in the caller's scope,
# SMK_PAYLOAD_<ID>_BLOB (the file embedded) for each asset id.
function(smk_generate_payloads)
  cmake_parse_arguments(ARG "" "PAYLOAD_DIR;OUTPUT;RESULT_VARIABLE" "" ${ARGN})
  set(manifest_path "${ARG_PAYLOAD_DIR}/manifest.json")
  set(have_manifest FALSE)
  set(all_overridden TRUE)
  foreach(id IN LISTS SMK_ASSET_IDS)
    list(GET _SMK_ASSETS_${id} 1 var)
    if(DEFINED ${var} AND NOT "${${var}}" STREQUAL "")
      set(override_${id} "${${var}}")
    elseif(NOT "$ENV{${var}}" STREQUAL "")
      set(override_${id} "$ENV{${var}}")
    else()
      set(override_${id} "")
      set(all_overridden FALSE)
    endif()
  endforeach()

  if(EXISTS "${manifest_path}")
    set(have_manifest TRUE)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${manifest_path}")
    file(READ "${manifest_path}" manifest)
    string(JSON format ERROR_VARIABLE err GET "${manifest}" format)
    if(err OR NOT format EQUAL 1)
      message(FATAL_ERROR "${manifest_path}: unsupported or missing \"format\" (want 1)")
    endif()
    string(JSON count ERROR_VARIABLE err LENGTH "${manifest}" assets)
    if(err)
      message(FATAL_ERROR "${manifest_path}: no \"assets\" array")
    endif()
  elseif(NOT all_overridden)
    message(WARNING "${manifest_path}: not found, and not every asset is overridden; "
                    "the core library will not be built")
    if(ARG_RESULT_VARIABLE)
      set(${ARG_RESULT_VARIABLE} FALSE PARENT_SCOPE)
    endif()
    return()
  endif()

  string(CONCAT text
    "/* Generated by cmake/SmkPayloads.cmake from ${manifest_path}.\n"
    " * Do not edit; re-run CMake. */\n"
    "#ifndef SMK_PAYLOADS_H\n#define SMK_PAYLOADS_H\n\n")
  foreach(id IN LISTS SMK_ASSET_IDS)
    list(GET _SMK_ASSETS_${id} 0 name)
    list(GET _SMK_ASSETS_${id} 2 file)
    list(GET _SMK_ASSETS_${id} 3 mode)
    list(GET _SMK_ASSETS_${id} 4 arch)
    set(entry "")
    if(have_manifest)
      math(EXPR last "${count} - 1")
      foreach(i RANGE ${last})
        string(JSON n GET "${manifest}" assets ${i} name)
        if(n STREQUAL name)
          string(JSON entry GET "${manifest}" assets ${i})
        endif()
      endforeach()
      if(entry STREQUAL "" AND override_${id} STREQUAL "")
        message(FATAL_ERROR "${manifest_path}: no asset named \"${name}\"")
      endif()
    endif()
    set(release "")
    if(NOT entry STREQUAL "")
      foreach(field file mode arch)
        _smk_json_get(v "${entry}" ${field})
        if(v STREQUAL "")
          message(FATAL_ERROR "${manifest_path}: asset \"${name}\" lacks \"${field}\"")
        endif()
        set(${field} "${v}")
      endforeach()
      _smk_json_get(release "${entry}" release)
    endif()
    if(NOT mode MATCHES "^0?(644|755)$")
      message(FATAL_ERROR "${manifest_path}: asset \"${name}\": mode \"${mode}\" is not 0644 or 0755")
    endif()
    if(mode MATCHES "^(644|755)$")
      set(mode "0${mode}")
    endif()

    if(NOT override_${id} STREQUAL "")
      get_filename_component(blob "${override_${id}}" ABSOLUTE)
      if(NOT EXISTS "${blob}" OR IS_DIRECTORY "${blob}")
        list(GET _SMK_ASSETS_${id} 1 var)
        message(FATAL_ERROR "${var}=${override_${id}}: no such file")
      endif()
      file(SIZE "${blob}" size)
      list(GET _SMK_ASSETS_${id} 1 var)
      if(size EQUAL 0)
        # /dev/null and other devices read as empty too.
        message(FATAL_ERROR "${var}=${override_${id}}: empty, or not a regular file")
      endif()
      if(id STREQUAL "KERNEL")
        _smk_check_arm64_image("${blob}" "${var}=${override_${id}}")
      endif()
      file(SHA256 "${blob}" sha256)
      set(embedded_size ${size})
      set(compressed 0)
      if(id STREQUAL "KERNEL")
        _smk_kernel_release_of(release "${blob}")
      endif()
      message(STATUS "supermachine-kernel: ${name} embedded raw from ${blob}")
    else()
      foreach(field xz size sha256 xz_size xz_sha256)
        _smk_json_get(${field} "${entry}" ${field})
        if("${${field}}" STREQUAL "")
          message(FATAL_ERROR "${manifest_path}: asset \"${name}\" lacks \"${field}\"")
        endif()
      endforeach()
      set(blob "${ARG_PAYLOAD_DIR}/${xz}")
      if(NOT EXISTS "${blob}")
        message(FATAL_ERROR "${blob}: missing (named by ${manifest_path})")
      endif()
      file(SIZE "${blob}" actual_size)
      if(NOT actual_size EQUAL xz_size)
        message(FATAL_ERROR "${blob}: size ${actual_size} differs from xz_size ${xz_size} in ${manifest_path}")
      endif()
      file(SHA256 "${blob}" actual_sha)
      if(NOT actual_sha STREQUAL xz_sha256)
        message(FATAL_ERROR "${blob}: sha256 ${actual_sha} differs from xz_sha256 ${xz_sha256} in ${manifest_path}")
      endif()
      string(LENGTH "${sha256}" sha_len)
      if(NOT sha256 MATCHES "^[0-9a-f]+$" OR NOT sha_len EQUAL 64)
        message(FATAL_ERROR "${manifest_path}: asset \"${name}\": sha256 is not 64 lowercase hex digits")
      endif()
      if(NOT size MATCHES "^[0-9]+$")
        message(FATAL_ERROR "${manifest_path}: asset \"${name}\": size is not a number")
      endif()
      set(embedded_size ${xz_size})
      set(compressed 1)
    endif()
    if(blob MATCHES "[\"\\\n]")
      message(FATAL_ERROR "${blob}: a payload path must not contain quotes, backslashes or newlines")
    endif()
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${blob}")
    file(SHA256 "${blob}" embedded_sha256)
    set(SMK_PAYLOAD_${id}_BLOB "${blob}" PARENT_SCOPE)

    smk_c_string(file_c "${file}")
    smk_c_string(arch_c "${arch}")
    smk_c_string(blob_c "${blob}")
    string(APPEND text
      "#define SMK_PAYLOAD_${id}_FILE ${file_c}\n"
      "#define SMK_PAYLOAD_${id}_MODE ${mode}\n"
      "#define SMK_PAYLOAD_${id}_ARCH ${arch_c}\n"
      "#define SMK_PAYLOAD_${id}_SIZE ${size}ULL\n"
      "#define SMK_PAYLOAD_${id}_SHA256 \"${sha256}\"\n"
      "#define SMK_PAYLOAD_${id}_COMPRESSED ${compressed}\n"
      "#define SMK_PAYLOAD_${id}_EMBEDDED_SIZE ${embedded_size}ULL\n"
      "#define SMK_PAYLOAD_${id}_EMBEDDED_SHA256 \"${embedded_sha256}\"\n"
      "#define SMK_PAYLOAD_${id}_BLOB ${blob_c}\n")
    if(id STREQUAL "KERNEL")
      smk_c_string(release_c "${release}")
      string(APPEND text "#define SMK_PAYLOAD_KERNEL_RELEASE ${release_c}\n")
      set(SMK_KERNEL_RELEASE "${release}" PARENT_SCOPE)
    endif()
    string(APPEND text "\n")
  endforeach()
  string(APPEND text "#endif\n")

  smk_write_if_changed("${ARG_OUTPUT}" "${text}")
  if(ARG_RESULT_VARIABLE)
    set(${ARG_RESULT_VARIABLE} TRUE PARENT_SCOPE)
  endif()
endfunction()
