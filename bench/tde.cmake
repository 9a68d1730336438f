# tde_bench: point read, bulk insert and full scan on one table, plain SQLite against the
# encrypting VFS (storage/vfs/), in one run; prints `ratio name=... value=...` lines.
add_executable(tde_bench ${CMAKE_CURRENT_LIST_DIR}/tde_bench.cpp)
dbvault_warnings(tde_bench)
target_link_libraries(tde_bench PRIVATE dbvault_tde)
