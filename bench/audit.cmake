# audit_bench: group-commit throughput and append_sync latency of the audit log on this disk.
add_executable(audit_bench ${CMAKE_CURRENT_LIST_DIR}/audit_bench.cpp)
dbvault_warnings(audit_bench)
target_link_libraries(audit_bench PRIVATE dbvault_audit)
