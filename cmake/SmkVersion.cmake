# Reads the version from the public header, the only place it is written.
# smk_read_version(<header>) sets SMK_VERSION_MAJOR/MINOR/PATCH and
# SMK_VERSION in the caller's scope.
function(smk_read_version header)
  file(STRINGS "${header}" lines REGEX "^#define SMK_VERSION_(MAJOR|MINOR|PATCH) +[0-9]+")
  foreach(part MAJOR MINOR PATCH)
    string(REGEX MATCH "SMK_VERSION_${part} +([0-9]+)" _ "${lines}")
    if(CMAKE_MATCH_1 STREQUAL "")
      message(FATAL_ERROR "${header}: no SMK_VERSION_${part}")
    endif()
    set(SMK_VERSION_${part} ${CMAKE_MATCH_1} PARENT_SCOPE)
    set(${part} ${CMAKE_MATCH_1})
  endforeach()
  set(SMK_VERSION "${MAJOR}.${MINOR}.${PATCH}" PARENT_SCOPE)
endfunction()
