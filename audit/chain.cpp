#include "audit/chain.h"

#include <algorithm>

namespace dbvault::audit::internal {

Result<ChainHash> chain_hash(const crypto::SecretBytes& mac_key, const ChainHash& prev,
                             std::string_view canonical) {
  auto mac = crypto::HmacSha256::create(mac_key);
  if (!mac) return std::move(mac).error();
  DBV_RETURN_IF_ERROR(mac->update(prev));
  DBV_RETURN_IF_ERROR(
      mac->update({reinterpret_cast<const std::uint8_t*>(canonical.data()), canonical.size()}));
  auto tag = mac->finish();
  if (!tag) return std::move(tag).error();
  ChainHash out;
  std::copy(tag->begin(), tag->end(), out.begin());
  return out;
}

Result<ChainHash> mark_mac(const crypto::SecretBytes& key, std::string_view label,
                           std::uint64_t seq, const ChainHash& hash, std::uint64_t extra) {
  std::vector<std::uint8_t> msg(label.begin(), label.end());
  const auto put_u64 = [&msg](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) msg.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  msg.push_back(0);
  put_u64(seq);
  msg.insert(msg.end(), hash.begin(), hash.end());
  put_u64(extra);
  auto tag = crypto::hmac_sha256(key, msg);
  if (!tag) return std::move(tag).error();
  ChainHash out;
  std::copy(tag->begin(), tag->end(), out.begin());
  return out;
}

bool is_genesis(const Record& r) {
  return r.seq == 1 && r.event.type == EventType::kAuditAnchor &&
         r.event.detail.value("action", "") == "genesis";
}

Result<DecodedRecord> decode_record_frame(const Frame& frame) {
  if (frame.payload.size() < 34) {
    return make_error(sqlstate::kDataCorrupted, "audit record frame too short");
  }
  DecodedRecord out;
  out.canonical.assign(reinterpret_cast<const char*>(frame.payload.data()) + 32,
                       frame.payload.size() - 32);
  auto record = parse_record_json(out.canonical);
  if (!record) return std::move(record).error();
  out.record = std::move(*record);
  std::copy(frame.payload.begin(), frame.payload.begin() + 32, out.record.hash.begin());
  return out;
}

std::vector<std::uint8_t> encode_record_payload(const ChainHash& hash, std::string_view canonical) {
  std::vector<std::uint8_t> out(32 + canonical.size());
  std::copy(hash.begin(), hash.end(), out.begin());
  std::copy(canonical.begin(), canonical.end(), out.begin() + 32);
  return out;
}

}  // namespace dbvault::audit::internal
