# Cross build for aarch64 Linux hosts with Debian's cross toolchain
# (gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu) and the arm64 libraries of
# Debian's multiarch (liblzma-dev:arm64 in /usr/lib/aarch64-linux-gnu);
# scripts/install-deps installs them.  Tests run under qemu-user through
# cmake/qemu-aarch64-run (CMAKE_CROSSCOMPILING_EMULATOR):
#
#   cmake -S . -B build/cross-aarch64 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64-linux-gnu.cmake
#   cmake --build build/cross-aarch64 && ctest --test-dir build/cross-aarch64
#
# (tests/cross/c-aarch64.sh does exactly that.)
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(SMK_CROSS_TRIPLE aarch64-linux-gnu)

find_program(SMK_CROSS_CC ${SMK_CROSS_TRIPLE}-gcc)
if(NOT SMK_CROSS_CC)
  message(FATAL_ERROR "${SMK_CROSS_TRIPLE}-gcc not found: install gcc-aarch64-linux-gnu (scripts/install-deps)")
endif()
set(CMAKE_C_COMPILER ${SMK_CROSS_CC})
# C++ only builds tests (the header's C++ check): the C++ compiler is set
# when installed, so check_language(CXX) never falls back to the host's.
find_program(SMK_CROSS_CXX ${SMK_CROSS_TRIPLE}-g++)
if(SMK_CROSS_CXX)
  set(CMAKE_CXX_COMPILER ${SMK_CROSS_CXX})
endif()

# Debian multiarch: arm64 libraries in /usr/lib/aarch64-linux-gnu, headers
# in /usr/include (lzma.h is the same for every architecture).  Libraries
# and packages are searched for there only, never among the host's;
# programs (python3, pkg-config, nm's fallback) are the host's.
set(CMAKE_LIBRARY_ARCHITECTURE ${SMK_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH /usr/${SMK_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu)
# pkg-config (the consumer test) reads the arm64 .pc files only.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${SMK_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)

# Built programs run under qemu-user (no binfmt set-up needed).
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/qemu-aarch64-run)
