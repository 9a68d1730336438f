// A backend's own hash table that is emptied all at once (the module's caches of catalog
// facts, which an invalidation makes stale): the table and everything its entries point to
// live in one memory context under CacheMemoryContext, so that emptying it is one reset.
// Internal to pgext/. Thread-safety: one backend, one thread.
#pragma once

struct HTAB;
struct MemoryContextData;

namespace dbvault::pgext {

// Resets *context (creating it on first use, identified by `name`, which must be a string
// literal or otherwise outlive the backend) and makes in it an empty hash
// table of `entry_size`-byte entries whose first `key_size` bytes are the key, compared as
// bytes. Every pointer into the previous table or context is then dangling. Calls
// PostgreSQL (may ereport: out of memory).
HTAB* reset_backend_hash(MemoryContextData** context, const char* name, unsigned long key_size,
                         unsigned long entry_size, long expected_entries);

}  // namespace dbvault::pgext
