# certvault_module(NAME TARGET PUBLIC_DEPS a b PRIVATE_DEPS c d)
#
# One module = one folder = one static library: <module>/include/certvault/<module>/ is its
# contract (the only include root it exports), <module>/src/ holds everything else. OS calls live
# in *_posix.cc / *_win32.cc pairs; each build compiles its own half. Which module may include
# which is the graph in docs/development.md, enforced by tests/architecture.
function(certvault_module target)
  cmake_parse_arguments(ARG "" "" "PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cc)
  if(WIN32)
    list(FILTER sources EXCLUDE REGEX "_posix\\.cc$")
  else()
    list(FILTER sources EXCLUDE REGEX "_win32\\.cc$")
  endif()
  add_library(${target} STATIC ${sources})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                       PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()
