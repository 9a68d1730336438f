# decision_bench: the vault's whole decision (realms -> command rules -> RBAC) for a statement
# touching 8 objects with 1,000 realms, 10,000 rules and 100,000 objects loaded; p50/p99 on one
# thread, and again while another thread publishes policy snapshots. Figures:
# docs/performance.md, "## vault".
add_executable(decision_bench ${CMAKE_CURRENT_LIST_DIR}/decision_bench.cpp)
dbvault_warnings(decision_bench)
target_link_libraries(decision_bench PRIVATE dbvault_vault benchmark::benchmark Threads::Threads)
