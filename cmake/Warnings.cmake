# Our warnings, for our own code only. Generated code (the ANTLR parser) is compiled in its
# own target without these flags.
set(DBVAULT_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)

# Warnings become errors only where the project asks for it: the presets its own CI uses
# (default, asan, fuzz) set DBVAULT_WERROR=ON. A packager's or user's plain build
# (`cmake -DCMAKE_BUILD_TYPE=Release`) leaves it OFF, so a compiler's new or false-positive
# warning (GCC 12's -Wrestrict at -O3 in char_traits.h) never stops it.
option(DBVAULT_WERROR "Treat compiler warnings in dbvault's own code as errors" OFF)
if(DBVAULT_WERROR)
  list(APPEND DBVAULT_WARNINGS -Werror)
endif()

# dbvault_component(<name> SOURCES ... DEPS ...): a component library with our warnings,
# the repository root as its include root (so headers read "grammar/parser.h").
function(dbvault_component name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${DBVAULT_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# dbvault_warnings(<target>): apply our warnings to a test, tool or benchmark target.
function(dbvault_warnings target)
  target_compile_options(${target} PRIVATE ${DBVAULT_WARNINGS})
endfunction()
