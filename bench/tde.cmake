# tde_bench: point read, bulk insert and full scan on one table, plain SQLite against the
# encrypting VFS (storage/vfs/), in one run; prints `ratio name=... value=...` lines.
add_executable(tde_bench ${CMAKE_CURRENT_LIST_DIR}/tde_bench.cpp)
dbvault_warnings(tde_bench)
target_link_libraries(tde_bench PRIVATE dbvault_tde)

# dbvault_bench_plain: the server with every database file passing through its VFS unencrypted
# (DBVAULT_BENCH_PLAINTEXT in storage/vfs/tde_file.cpp and server/runtime/services.cpp), for the
# "TDE off" side of bench/pgbench_tde.sh only. Its two objects take the place of those of
# libdbvault_tde.a and libdbvault_server.a (an archive member is linked only for a symbol not
# yet defined), so the libraries and the dbvault binary never contain the switch. Not built by
# default (cmake --build build --target dbvault_bench_plain) and never installed.
add_executable(dbvault_bench_plain EXCLUDE_FROM_ALL
  ${PROJECT_SOURCE_DIR}/server/main.cpp
  ${PROJECT_SOURCE_DIR}/storage/vfs/tde_file.cpp
  ${PROJECT_SOURCE_DIR}/server/runtime/services.cpp)
target_compile_definitions(dbvault_bench_plain PRIVATE DBVAULT_BENCH_PLAINTEXT)
dbvault_warnings(dbvault_bench_plain)
target_link_libraries(dbvault_bench_plain PRIVATE dbvault_server)
