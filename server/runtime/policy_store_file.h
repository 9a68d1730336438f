// The policy store's file (policy.db) at rest: sealed page by page by a TdeVfs, like the engine
// database, under a key of its own derived from the `policy` TEK (docs/encryption.md, "The
// policy store and the key store"). Every program that opens a server's policy.db goes through
// here: `dbvault serve` and `dbvault init` (open_services), the offline `dbvault audit recover`,
// the backup's copy and the restore's check.
//
// Thread-safety: the functions are; a VFS is shared by every connection to the file.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "common/result.h"
#include "crypto/secret_bytes.h"
#include "crypto/tek_store.h"
#include "storage/vfs/tde_vfs.h"
#include "vault/policy_connector.h"

namespace dbvault::server {

// The labels of the subkeys of the `policy` TEK (HKDF, crypto::derive_subkey). Each purpose
// has its own, so that none of them reveals another: the page key of policy.db is neither the
// vault's token MAC root nor the key of HASH masks.
inline constexpr std::string_view kTokenRootLabel = "dbvault vault-token root v1";
inline constexpr std::string_view kMaskingHashLabel = "dbvault masking hash v1";
inline constexpr std::string_view kPolicyPagesLabel = "dbvault policy store pages v1";

// The subkey `label` of the `policy` TEK. `create`: make the TEK first (init; 42710 if it
// exists). 58000 when the key store has no `policy` TEK or the master key cannot unwrap it.
Result<crypto::SecretBytes> policy_subkey(crypto::TekStore& keys, bool create,
                                          std::string_view label);

// The VFS policy.db is read and written through (key: policy_subkey(kPolicyPagesLabel), AES-256-
// GCM, the TEK's version). REQUIRES: the `policy` TEK exists (58000 otherwise).
Result<std::unique_ptr<storage::vfs::TdeVfs>> open_policy_vfs(crypto::TekStore& keys);

// The vault's connector (vault::Options::policy_connector) through `vfs`: 58000 when the key
// does not open the file (another directory's policy.db, an altered page 1), XX001 when a page
// does not authenticate. REQUIRES: `vfs` outlives every connection it opens.
vault::PolicyConnector policy_connector(storage::vfs::TdeVfs& vfs);

// Whether `path` begins with SQLite's own header, i.e. is a plaintext SQLite database (an
// encrypted file's first 16 bytes are the dbvault file header). false if it is missing or
// shorter.
bool is_plaintext_sqlite(const std::filesystem::path& path);

// A data directory from before policy.db was encrypted: if `path` is a plaintext SQLite
// database, rewrites it once into the encrypted form, atomically (a copy through `vfs` next to
// it, synced, renamed over it; a crash leaves either the old file or the new one, and a copy
// left by a crash is discarded), its WAL checkpointed into it first. Ok and nothing done when
// the file is missing or already encrypted. On error the plaintext file is left as it was.
// The old file's blocks are freed, not overwritten: docs/encryption.md says what that means.
Status encrypt_plaintext_policy_store(const std::filesystem::path& path, storage::vfs::TdeVfs& vfs);

}  // namespace dbvault::server
