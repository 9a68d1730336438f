// The relations whose rows a relation's rows are, for the realm check (docs/postgresql.md §4,
// "Relations that hold a table's rows"). Realm membership is by name, but PostgreSQL keeps a
// table's rows in relations of other names: a partitioned table's rows live in its partitions,
// an inheritance parent shows its children's rows, and long values live in the table's TOAST
// relation. Reading (or writing) any of those is reading (or writing) the named table, so the
// check of a relation also checks these owners with the same command. Internal to pgext/.
//
// Cached per backend (one hash lookup on the hot path), cleared by every relcache
// invalidation (attaching, detaching, INHERIT / NO INHERIT and CREATE ... PARTITION OF all
// invalidate the relations they change).
#pragma once

struct List;

namespace dbvault::pgext {

// The relations `relid`'s rows belong to (an OID list, possibly NIL, in the current memory
// context): for a TOAST relation the table whose values it stores, then, transitively, every
// inheritance or partition ancestor of the relation (or of that table). REQUIRES: the caller
// holds a lock on `relid`. Calls PostgreSQL (may ereport).
List* data_owners(unsigned int relid);

// For a partitioned table: every partition below it (an OID list, NIL otherwise), where an
// INSERT or COPY FROM into it may route rows without the partition appearing in any range
// table. Calls PostgreSQL (may ereport).
List* routing_targets(unsigned int relid);

// Registers the relcache invalidation callback (once, from _PG_init).
void install_data_owners_cache();

}  // namespace dbvault::pgext
