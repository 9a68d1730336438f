# rules_bench: command-rule decisions for a statement touching 8 objects against 10,000 rules
# over 1,000 realms and 100,000 objects, with p50/p99 per decision and an empty-index baseline
# measured in the same run. Figures: docs/performance.md, "## rules".
add_executable(rules_bench ${CMAKE_CURRENT_LIST_DIR}/rules_bench.cpp)
dbvault_warnings(rules_bench)
target_link_libraries(rules_bench PRIVATE dbvault_rules dbvault_grammar benchmark::benchmark)
