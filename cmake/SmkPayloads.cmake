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
# Architectures: the manifest holds one complete set (kernel, init-oci,
# agent) per guest architecture.  SMK_ARCHS (cache variable; a list, e.g.
# "x86_64") chooses the sets to embed; empty (the default) embeds every set
# the manifest has.  The default architecture, whose set the names without
# an architecture mean, is the target's (CMAKE_SYSTEM_PROCESSOR) when it is
# embedded, else the first embedded; the C sources work it out again from
# the compiler's predefined macros, and this file only warns when the
# target's set is left out.
#
# Overrides: SUPERMACHINE_KERNEL_PATH, SUPERMACHINE_INIT_OCI_PATH and
# SUPERMACHINE_AGENT_PATH (cache variables, else environment variables read
# at configure time) name uncompressed files to embed instead in the default
# architecture's set; SUPERMACHINE_<ARCH>_KERNEL_PATH and so on (ARCH
# AARCH64 or X86_64) in a given architecture's.  They are embedded raw, not
# compressed: no xz tool needed at build time, and a custom kernel under
# development rebuilds in seconds.  Such an asset is marked COMPRESSED 0;
# its size and sha256 are those of the file, its file name and mode those
# of the manifest (or the defaults below when there is no manifest), and
# for a kernel the release is read from its "Linux version" banner.

# kind id;name in the manifest;override suffix;file name;mode
set(_SMK_KIND_KERNEL "kernel;KERNEL_PATH;kernel;0644")
set(_SMK_KIND_INIT_OCI "init_oci;INIT_OCI_PATH;init-oci;0755")
set(_SMK_KIND_SUPERMACHINE_AGENT "supermachine_agent;AGENT_PATH;supermachine-agent;0755")
set(SMK_ASSET_KINDS KERNEL INIT_OCI SUPERMACHINE_AGENT)
# The architectures this file knows, in table order, and how CMake's
# processor names map onto them.
set(SMK_KNOWN_ARCHS aarch64 x86_64)

function(smk_normalize_arch out processor)
  string(TOLOWER "${processor}" p)
  if(p MATCHES "^(aarch64|arm64)$")
    set(${out} aarch64 PARENT_SCOPE)
  elseif(p MATCHES "^(x86_64|amd64|x64)$")
    set(${out} x86_64 PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

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

# Refuses a kernel override that is not its architecture's format:
# aarch64, an arm64 Image (a 64-byte header with the magic "ARM\x64" at
# offset 56, Documentation/arch/arm64/booting.rst); x86_64, a 64-bit
# little-endian x86-64 ELF (a vmlinux).  kernel_info and the VMMs rely on it.
function(_smk_check_kernel path arch what)
  file(SIZE "${path}" size)
  if(size LESS 64)
    message(FATAL_ERROR "${what}: ${size} bytes, too short for a kernel (64-byte header)")
  endif()
  if(arch STREQUAL "aarch64")
    file(READ "${path}" magic OFFSET 56 LIMIT 4 HEX)
    if(NOT magic STREQUAL "41524d64")
      message(FATAL_ERROR "${what}: not an arm64 Image (no \"ARM\\x64\" magic at offset 56)")
    endif()
  else()
    file(READ "${path}" ident LIMIT 6 HEX)
    file(READ "${path}" machine OFFSET 18 LIMIT 2 HEX)
    if(NOT ident STREQUAL "7f454c460201" OR NOT machine STREQUAL "3e00")
      message(FATAL_ERROR "${what}: not an x86-64 ELF vmlinux (64-bit, little-endian, EM_X86_64)")
    endif()
  endif()
endfunction()

# The release in an Image's banner: "Linux version 6.12.117 (...)".
function(_smk_kernel_release_of out path)
  file(STRINGS "${path}" banner LIMIT_COUNT 1 LENGTH_MINIMUM 16
       REGEX "Linux version [^ ]+")
  string(REGEX MATCH "Linux version ([^ ]+)" _ "${banner}")
  set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

# The override file of one asset, from a cache or environment variable
# (the first of the names given that is set), or "".
function(_smk_override out)
  foreach(var IN LISTS ARGN)
    if(DEFINED ${var} AND NOT "${${var}}" STREQUAL "")
      set(${out} "${${var}};${var}" PARENT_SCOPE)
      return()
    elseif(NOT "$ENV{${var}}" STREQUAL "")
      set(${out} "$ENV{${var}};${var}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

# smk_generate_payloads(PAYLOAD_DIR <dir> OUTPUT <header>
#                       [RESULT_VARIABLE <var>])
# Sets <var> to TRUE when the header was written, FALSE (with a warning)
# when there is neither a manifest nor a complete set of overrides, so the
# caller can skip building the core.  Also sets, in the caller's scope,
# SMK_PAYLOAD_BLOBS (every file embedded), SMK_EMBEDDED_ARCHS (in table
# order) and SMK_KERNEL_RELEASE (the default architecture's).
function(smk_generate_payloads)
  cmake_parse_arguments(ARG "" "PAYLOAD_DIR;OUTPUT;RESULT_VARIABLE" "" ${ARGN})
  set(manifest_path "${ARG_PAYLOAD_DIR}/manifest.json")
  set(have_manifest FALSE)
  set(count 0)
  if(EXISTS "${manifest_path}")
    set(have_manifest TRUE)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${manifest_path}")
    file(READ "${manifest_path}" manifest)
    string(JSON format ERROR_VARIABLE err GET "${manifest}" format)
    if(err OR NOT format EQUAL 2)
      message(FATAL_ERROR "${manifest_path}: unsupported or missing \"format\" (want 2)")
    endif()
    string(JSON count ERROR_VARIABLE err LENGTH "${manifest}" assets)
    if(err)
      message(FATAL_ERROR "${manifest_path}: no \"assets\" array")
    endif()
  endif()

  # The architectures of the manifest, in its order.
  set(manifest_archs)
  if(count GREATER 0)
    math(EXPR last "${count} - 1")
    foreach(i RANGE ${last})
      _smk_json_get(a "${manifest}" assets ${i} arch)
      if(NOT a IN_LIST SMK_KNOWN_ARCHS)
        message(FATAL_ERROR "${manifest_path}: asset ${i}: arch \"${a}\" is not one of ${SMK_KNOWN_ARCHS}")
      endif()
      if(NOT a IN_LIST manifest_archs)
        list(APPEND manifest_archs "${a}")
      endif()
    endforeach()
  endif()
  smk_normalize_arch(target_arch "${CMAKE_SYSTEM_PROCESSOR}")

  # The architectures to embed, in the known order.
  set(wanted "${SMK_ARCHS}")
  if(wanted STREQUAL "")
    set(wanted "${manifest_archs}")
    if(NOT have_manifest)
      set(wanted "${target_arch}")
    endif()
  endif()
  set(archs)
  foreach(a IN LISTS SMK_KNOWN_ARCHS)
    if(a IN_LIST wanted)
      list(APPEND archs "${a}")
    endif()
  endforeach()
  foreach(a IN LISTS wanted)
    if(NOT a IN_LIST SMK_KNOWN_ARCHS)
      message(FATAL_ERROR "SMK_ARCHS: \"${a}\" is not an architecture (${SMK_KNOWN_ARCHS})")
    endif()
  endforeach()
  if(NOT archs)
    message(WARNING "no architecture to embed (SMK_ARCHS empty and no manifest at ${manifest_path}); "
                    "the core library will not be built")
    if(ARG_RESULT_VARIABLE)
      set(${ARG_RESULT_VARIABLE} FALSE PARENT_SCOPE)
    endif()
    return()
  endif()
  if(target_arch IN_LIST archs)
    set(default_arch "${target_arch}")
  else()
    list(GET archs 0 default_arch)
    message(WARNING "supermachine-kernel: the build target (${CMAKE_SYSTEM_PROCESSOR}) has no guest set "
                    "among SMK_ARCHS (${archs}); the names without an architecture will mean ${default_arch}'s")
  endif()

  # Every asset: its manifest entry and its override, before anything is
  # written, so that a missing manifest with incomplete overrides only
  # skips the core.
  foreach(arch IN LISTS archs)
    string(TOUPPER "${arch}" ARCH)
    foreach(kind IN LISTS SMK_ASSET_KINDS)
      list(GET _SMK_KIND_${kind} 0 name)
      list(GET _SMK_KIND_${kind} 1 suffix)
      set(vars "SUPERMACHINE_${ARCH}_${suffix}")
      if(arch STREQUAL default_arch)
        list(APPEND vars "SUPERMACHINE_${suffix}")
      endif()
      _smk_override(ov ${vars})
      set(override_${ARCH}_${kind} "${ov}")
      set(entry_${ARCH}_${kind} "")
      if(count GREATER 0)
        math(EXPR last "${count} - 1")
        foreach(i RANGE ${last})
          _smk_json_get(n "${manifest}" assets ${i} name)
          _smk_json_get(a "${manifest}" assets ${i} arch)
          if(n STREQUAL name AND a STREQUAL arch)
            string(JSON entry_${ARCH}_${kind} GET "${manifest}" assets ${i})
          endif()
        endforeach()
      endif()
      if(entry_${ARCH}_${kind} STREQUAL "" AND ov STREQUAL "")
        if(have_manifest)
          message(FATAL_ERROR "${manifest_path}: no ${arch} asset named \"${name}\" (SMK_ARCHS: ${archs})")
        endif()
        message(WARNING "${manifest_path}: not found, and ${arch}'s ${name} is not overridden "
                        "(SUPERMACHINE_${suffix}); the core library will not be built")
        if(ARG_RESULT_VARIABLE)
          set(${ARG_RESULT_VARIABLE} FALSE PARENT_SCOPE)
        endif()
        return()
      endif()
    endforeach()
  endforeach()

  list(LENGTH archs narchs)
  math(EXPR npayloads "${narchs} * 3")
  string(CONCAT text
    "/* Generated by cmake/SmkPayloads.cmake from ${manifest_path}.\n"
    " * Do not edit; re-run CMake. */\n"
    "#ifndef SMK_PAYLOADS_H\n#define SMK_PAYLOADS_H\n\n"
    "#define SMK_PAYLOAD_ARCH_COUNT ${narchs}\n"
    "#define SMK_PAYLOAD_COUNT ${npayloads}\n")
  set(arch_list "#define SMK_PAYLOAD_ARCHS(X)")
  set(payload_list "#define SMK_PAYLOADS(X)")
  foreach(arch IN LISTS archs)
    string(TOUPPER "${arch}" ARCH)
    string(APPEND arch_list " \\\n\tX(${ARCH}, \"${arch}\")")
    foreach(kind IN LISTS SMK_ASSET_KINDS)
      string(APPEND payload_list " \\\n\tX(${ARCH}_${kind}, ${ARCH}, ${kind})")
    endforeach()
  endforeach()
  string(APPEND text "${arch_list}\n${payload_list}\n\n")

  set(blobs)
  foreach(arch IN LISTS archs)
    string(TOUPPER "${arch}" ARCH)
    foreach(kind IN LISTS SMK_ASSET_KINDS)
      set(id "${ARCH}_${kind}")
      list(GET _SMK_KIND_${kind} 0 name)
      list(GET _SMK_KIND_${kind} 2 file)
      list(GET _SMK_KIND_${kind} 3 mode)
      set(entry "${entry_${id}}")
      set(release "")
      if(NOT entry STREQUAL "")
        foreach(field file mode)
          _smk_json_get(v "${entry}" ${field})
          if(v STREQUAL "")
            message(FATAL_ERROR "${manifest_path}: ${arch} asset \"${name}\" lacks \"${field}\"")
          endif()
          set(${field} "${v}")
        endforeach()
        _smk_json_get(release "${entry}" release)
      endif()
      if(NOT mode MATCHES "^0?(644|755)$")
        message(FATAL_ERROR "${manifest_path}: ${arch} asset \"${name}\": mode \"${mode}\" is not 0644 or 0755")
      endif()
      if(mode MATCHES "^(644|755)$")
        set(mode "0${mode}")
      endif()

      set(ov "${override_${id}}")
      if(NOT ov STREQUAL "")
        list(GET ov 0 ov_path)
        list(GET ov 1 var)
        get_filename_component(blob "${ov_path}" ABSOLUTE)
        if(NOT EXISTS "${blob}" OR IS_DIRECTORY "${blob}")
          message(FATAL_ERROR "${var}=${ov_path}: no such file")
        endif()
        file(SIZE "${blob}" size)
        if(size EQUAL 0)
          # /dev/null and other devices read as empty too.
          message(FATAL_ERROR "${var}=${ov_path}: empty, or not a regular file")
        endif()
        if(kind STREQUAL "KERNEL")
          _smk_check_kernel("${blob}" "${arch}" "${var}=${ov_path}")
          _smk_kernel_release_of(release "${blob}")
        endif()
        file(SHA256 "${blob}" sha256)
        set(embedded_size ${size})
        set(embedded_name "${arch}/${file}")
        set(compressed 0)
        message(STATUS "supermachine-kernel: ${arch} ${name} embedded raw from ${blob}")
      else()
        foreach(field xz size sha256 xz_size xz_sha256)
          _smk_json_get(${field} "${entry}" ${field})
          if("${${field}}" STREQUAL "")
            message(FATAL_ERROR "${manifest_path}: ${arch} asset \"${name}\" lacks \"${field}\"")
          endif()
        endforeach()
        if(xz MATCHES "(^/|(^|/)\\.\\.(/|$))")
          message(FATAL_ERROR "${manifest_path}: ${arch} asset \"${name}\": xz \"${xz}\" is not a path inside ${ARG_PAYLOAD_DIR}")
        endif()
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
          message(FATAL_ERROR "${manifest_path}: ${arch} asset \"${name}\": sha256 is not 64 lowercase hex digits")
        endif()
        if(NOT size MATCHES "^[0-9]+$")
          message(FATAL_ERROR "${manifest_path}: ${arch} asset \"${name}\": size is not a number")
        endif()
        set(embedded_size ${xz_size})
        set(embedded_name "${xz}")
        set(compressed 1)
      endif()
      if(blob MATCHES "[\"\\\n]")
        message(FATAL_ERROR "${blob}: a payload path must not contain quotes, backslashes or newlines")
      endif()
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${blob}")
      file(SHA256 "${blob}" embedded_sha256)
      list(APPEND blobs "${blob}")
      if(kind STREQUAL "KERNEL" AND arch STREQUAL default_arch)
        set(SMK_KERNEL_RELEASE "${release}" PARENT_SCOPE)
      endif()

      smk_c_string(name_c "${name}")
      smk_c_string(file_c "${file}")
      smk_c_string(arch_c "${arch}")
      smk_c_string(blob_c "${blob}")
      smk_c_string(embedded_name_c "${embedded_name}")
      smk_c_string(release_c "${release}")
      string(APPEND text
        "#define SMK_PAYLOAD_${id}_NAME ${name_c}\n"
        "#define SMK_PAYLOAD_${id}_FILE ${file_c}\n"
        "#define SMK_PAYLOAD_${id}_MODE ${mode}\n"
        "#define SMK_PAYLOAD_${id}_ARCH ${arch_c}\n"
        "#define SMK_PAYLOAD_${id}_SIZE ${size}ULL\n"
        "#define SMK_PAYLOAD_${id}_SHA256 \"${sha256}\"\n"
        "#define SMK_PAYLOAD_${id}_COMPRESSED ${compressed}\n"
        "#define SMK_PAYLOAD_${id}_EMBEDDED_SIZE ${embedded_size}ULL\n"
        "#define SMK_PAYLOAD_${id}_EMBEDDED_SHA256 \"${embedded_sha256}\"\n"
        "#define SMK_PAYLOAD_${id}_EMBEDDED_NAME ${embedded_name_c}\n"
        "#define SMK_PAYLOAD_${id}_BLOB ${blob_c}\n"
        "#define SMK_PAYLOAD_${id}_RELEASE ${release_c}\n\n")
    endforeach()
  endforeach()
  string(APPEND text "#endif\n")

  smk_write_if_changed("${ARG_OUTPUT}" "${text}")
  set(SMK_PAYLOAD_BLOBS "${blobs}" PARENT_SCOPE)
  set(SMK_EMBEDDED_ARCHS "${archs}" PARENT_SCOPE)
  if(ARG_RESULT_VARIABLE)
    set(${ARG_RESULT_VARIABLE} TRUE PARENT_SCOPE)
  endif()
endfunction()
