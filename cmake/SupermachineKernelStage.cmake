# supermachine_kernel_stage_assets(<target> [DESTINATION <dir>])
#
# Stages the three guest artifacts (kernel, init-oci, supermachine-agent)
# into <dir> of the consumer's build tree before <target> builds, for
# self-contained app bundles that need no extraction on first run.  <dir>
# defaults to ${CMAKE_CURRENT_BINARY_DIR}/supermachine-kernel-assets; a
# relative <dir> is taken from ${CMAKE_CURRENT_BINARY_DIR}.  The files are
# written by the supermachine-kernel CLI (atomically, with their modes) and
# rewritten when the CLI or the library changes.  Sets
# SUPERMACHINE_KERNEL_ASSETS_DIR in the caller's scope to <dir>.
function(supermachine_kernel_stage_assets target)
  cmake_parse_arguments(ARG "" "DESTINATION" "" ${ARGN})
  if(NOT TARGET ${target})
    message(FATAL_ERROR "supermachine_kernel_stage_assets: no target '${target}'")
  endif()
  if(NOT TARGET supermachine-kernel::cli)
    message(FATAL_ERROR "supermachine_kernel_stage_assets: supermachine-kernel::cli is not available")
  endif()
  set(dir "${ARG_DESTINATION}")
  if(dir STREQUAL "")
    set(dir "${CMAKE_CURRENT_BINARY_DIR}/supermachine-kernel-assets")
  elseif(NOT IS_ABSOLUTE "${dir}")
    set(dir "${CMAKE_CURRENT_BINARY_DIR}/${dir}")
  endif()
  set(outputs "${dir}/kernel" "${dir}/init-oci" "${dir}/supermachine-agent")
  set(depends "$<TARGET_FILE:supermachine-kernel::cli>")
  if(TARGET supermachine-kernel::supermachine_kernel)
    list(APPEND depends "$<TARGET_FILE:supermachine-kernel::supermachine_kernel>")
  endif()
  # A cross build's CLI runs under its emulator (CMake does not add it for
  # an imported target).
  set(run supermachine-kernel::cli)
  if(CMAKE_CROSSCOMPILING)
    if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
      message(FATAL_ERROR "supermachine_kernel_stage_assets: a cross build runs the "
        "target's supermachine-kernel CLI to stage the assets; set CMAKE_CROSSCOMPILING_EMULATOR "
        "(e.g. qemu-user) or extract them with a host's CLI instead")
    endif()
    set(run ${CMAKE_CROSSCOMPILING_EMULATOR} "$<TARGET_FILE:supermachine-kernel::cli>")
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${run} extract "${dir}"
    DEPENDS ${depends}
    COMMENT "Staging supermachine-kernel assets into ${dir}"
    VERBATIM)
  string(MAKE_C_IDENTIFIER "${target}" id)
  add_custom_target(${id}_supermachine_kernel_assets DEPENDS ${outputs})
  add_dependencies(${target} ${id}_supermachine_kernel_assets)
  set(SUPERMACHINE_KERNEL_ASSETS_DIR "${dir}" PARENT_SCOPE)
endfunction()
