#include "pgext/backend_hash.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "utils/hsearch.h"
#include "utils/memutils.h"
}
// clang-format on

namespace dbvault::pgext {

HTAB* reset_backend_hash(MemoryContextData** context, const char* name, unsigned long key_size,
                         unsigned long entry_size, long expected_entries) {
  if (*context == nullptr) {
    *context = AllocSetContextCreate(CacheMemoryContext, "dbvault cache", ALLOCSET_DEFAULT_SIZES);
    MemoryContextSetIdentifier(*context, name);  // `name` outlives the context: a literal
  }
  MemoryContextReset(*context);  // the previous table lived in it too
  HASHCTL ctl;
  ctl.keysize = key_size;
  ctl.entrysize = entry_size;
  ctl.hcxt = *context;
  return hash_create(name, expected_entries, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

}  // namespace dbvault::pgext
