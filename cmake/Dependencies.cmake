# Every dependency comes from a Debian package (scripts/setup installs them).
find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS unit_test_framework)
find_package(antlr4-runtime 4.9 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)

# The Debian antlr4 package ships the tool (4.7.2) as a shell wrapper around the jar.
find_program(ANTLR4_TOOL antlr4 REQUIRED)

# asio is header-only (libasio-dev); libpg_query is a static library without a CMake config.
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
find_path(PG_QUERY_INCLUDE_DIR pg_query.h REQUIRED)
find_library(PG_QUERY_LIBRARY NAMES libpg_query.a pg_query REQUIRED)

if(DBVAULT_BENCH)
  find_package(benchmark REQUIRED)
endif()
