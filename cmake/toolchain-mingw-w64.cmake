# Cross-compiling certvault for 64-bit Windows with Debian's mingw-w64 (posix thread model,
# so std::thread and std::mutex work). Used by scripts/build-windows.sh, which also passes
# CERTVAULT_WINDOWS_DEPS: the folder holding the Windows builds of zstd and SQLite and the
# header-only dependencies (see cmake/DependenciesWindows.cmake).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(mingw_prefix x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${mingw_prefix}-gcc-posix)
set(CMAKE_CXX_COMPILER ${mingw_prefix}-g++-posix)
set(CMAKE_RC_COMPILER ${mingw_prefix}-windres)
set(CMAKE_AR ${mingw_prefix}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${mingw_prefix}-ranlib CACHE FILEPATH "")

# Only the mingw sysroot (and the deps folder, added by the caller) is searched for
# libraries and headers, never the build machine's /usr/include or /usr/lib.
set(CMAKE_FIND_ROOT_PATH /usr/${mingw_prefix})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Windows 10 APIs (LOAD_LIBRARY_SEARCH_*, long paths); UNICODE so every Win32 call
# defaults to its W variant.
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 UNICODE _UNICODE NOMINMAX WIN32_LEAN_AND_MEAN)

# Runs on a bare Windows: libstdc++, libgcc and winpthread are linked in, so the
# executables and certadm.dll import only system DLLs.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

# -O2 as the Linux build (RelWithDebInfo): GCC 12's -O3 inlining raises false
# -Warray-bounds / -Wrestrict reports inside libstdc++'s std::string.
set(CMAKE_C_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "Release flags of the mingw build" FORCE)
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "Release flags of the mingw build" FORCE)
