// dbvault_mask(mode, value): the one function the mask views call (storage/masking.h).
#include <strings.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "common/sqlstate.h"
#include "crypto/mac.h"
#include "storage/masking.h"

namespace dbvault::storage {
namespace {

constexpr char kMasked[] = "***";
constexpr int kPartialKept = 4;  // characters PARTIAL keeps

// The start of the last `n` UTF-8 characters of `s`, or npos when `s` has `n` or fewer.
std::size_t last_chars(std::string_view s, int n) {
  std::size_t i = s.size();
  int seen = 0;
  while (i > 0) {
    --i;
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++seen == n) break;
  }
  if (seen < n || i == 0) return std::string_view::npos;
  return i;
}

void result_text(sqlite3_context* ctx, const std::string& text) {
  sqlite3_result_text64(ctx, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void partial(sqlite3_context* ctx, sqlite3_value* v) {
  if (sqlite3_value_type(v) == SQLITE_BLOB) return result_text(ctx, kMasked);
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  const std::string_view text(p != nullptr ? p : "",
                              static_cast<std::size_t>(sqlite3_value_bytes(v)));
  const std::size_t from = last_chars(text, kPartialKept);
  if (from == std::string_view::npos) return result_text(ctx, kMasked);
  result_text(ctx, kMasked + std::string(text.substr(from)));
}

// HMAC-SHA256 over a type byte and the value: 't' and the text for text and numbers (so that
// 42 in an INTEGER column and '42' in a TEXT one hash alike and joins across them match),
// 'b' and the bytes for a blob.
void hash(sqlite3_context* ctx, sqlite3_value* v, const crypto::SecretBytes& key) {
  if (key.empty()) {
    sqlite3_result_error(ctx, "the masking key is not available: HASH masks cannot be applied", -1);
    return;
  }
  const bool blob = sqlite3_value_type(v) == SQLITE_BLOB;
  const auto* p = static_cast<const std::uint8_t*>(
      blob ? sqlite3_value_blob(v) : static_cast<const void*>(sqlite3_value_text(v)));
  const auto n = static_cast<std::size_t>(sqlite3_value_bytes(v));
  std::vector<std::uint8_t> data;
  data.reserve(n + 1);
  data.push_back(blob ? 'b' : 't');
  if (p != nullptr) data.insert(data.end(), p, p + n);
  auto tag = crypto::hmac_sha256(key, data);
  std::fill(data.begin(), data.end(), 0);  // the clear value
  if (!tag) {
    sqlite3_result_error(ctx, "the masking hash failed", -1);
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : *tag) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  result_text(ctx, out);
}

struct MaskKey {
  std::shared_ptr<const crypto::SecretBytes> key;  // nullptr: none (HASH fails)
};
void destroy_key(void* p) { delete static_cast<MaskKey*>(p); }

void mask(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  static const crypto::SecretBytes kNoKey;
  const auto* holder = static_cast<const MaskKey*>(sqlite3_user_data(ctx));
  const crypto::SecretBytes& key = holder->key ? *holder->key : kNoKey;
  const auto* m = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const std::string_view mode = m != nullptr ? m : "";
  if (argc != 2 || mode == "NULL" || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
  } else if (mode == "PARTIAL") {
    partial(ctx, argv[1]);
  } else if (mode == "HASH") {
    hash(ctx, argv[1], key);
  } else {  // FULL, and anything else: the strictest text
    result_text(ctx, kMasked);
  }
}

}  // namespace

bool names_mask_objects(std::string_view sql) {
  if (sql.size() < kMaskPrefix.size()) return false;
  for (std::size_t i = 0; i + kMaskPrefix.size() <= sql.size(); ++i) {
    if (strncasecmp(sql.data() + i, kMaskPrefix.data(), kMaskPrefix.size()) == 0) return true;
  }
  return false;
}

std::string mask_view_name(std::string_view table) {
  return std::string(kMaskPrefix) + "_" + vault::fold_name(table);
}

Status register_mask_function(sqlite3* db, std::shared_ptr<const crypto::SecretBytes> hash_key) {
  auto holder = std::make_unique<MaskKey>(MaskKey{std::move(hash_key)});
  // SQLite owns the holder from here, and destroys it with the connection (or at once, when
  // the registration fails).
  const int rc =
      sqlite3_create_function_v2(db, "dbvault_mask", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                 holder.release(), &mask, nullptr, nullptr, &destroy_key);
  if (rc != SQLITE_OK) {
    return make_error(sqlstate::kIoError, "engine: cannot register the masking function");
  }
  return ok_status();
}

}  // namespace dbvault::storage
