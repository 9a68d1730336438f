// The planner's statistics of realm tables (docs/postgresql.md §4, "Statistics"). The
// planner reads pg_statistic (most common values, histograms) and pg_statistic_ext_data
// (extended statistics) to estimate selectivity, and calls the operator of a clause on those
// values: a role with SELECT privilege passes PostgreSQL's own check
// (statistic_proc_security_check), so a non-leakproof operator of its own
// (`CREATE OPERATOR <<< (FUNCTION = noisy, RESTRICT = scalarltsel)`) would receive a realm
// column's values while the realm is locked — during planning, before the executor's check
// refuses the statement (`EXPLAIN SELECT * FROM secret WHERE v <<< 5`).
//
// Mechanism: get_relation_stats_hook and get_index_stats_hook answer "no statistics" for a
// column (or an index of a table) the session may not read now (its realm locked: the
// session's vault decision, unlocks included), and get_relation_info_hook drops the
// relation's extended statistics then. The planner then estimates as for a table never
// analysed. A session that may read the table plans as before. Internal to pgext/.
#pragma once

namespace dbvault::pgext {

// Installs the three planner hooks, chaining any previous ones (once, from _PG_init).
void install_planner_stats_hooks();

}  // namespace dbvault::pgext
