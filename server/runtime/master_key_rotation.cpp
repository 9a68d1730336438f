#include "server/runtime/master_key_rotation.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <mutex>

#include "crypto/master_key_provider.h"

namespace dbvault::server {
namespace {

Result<std::shared_ptr<crypto::MasterKeyProvider>> open_next(
    const Services& s, const ServerConfig& config, const std::string& kind,
    const std::optional<std::string>& key_id, const std::string& current_id) {
  MasterKeyChoice choice;
  choice.kind = kind;
  choice.create = kind != "env";
  if (kind == "env") {
    choice.env_key_variable = "DBVAULT_NEXT_MASTER_KEY_HEX";
    choice.env_id_variable = "DBVAULT_NEXT_MASTER_KEY_ID";
  } else {
    choice.key_id = key_id ? *key_id : next_key_id(current_id);
    DBV_RETURN_IF_ERROR(crypto::validate_key_id(choice.key_id));
  }
  auto next = open_key_provider(s.dir, config, choice);
  if (!next) return std::move(next).error();
  if (key_id && (*next)->key_id() != *key_id) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "TO KEY_ID '" + *key_id + "' names another key than " +
                          choice.env_id_variable + " (\"" + (*next)->key_id() + "\")");
  }
  return next;
}

}  // namespace

std::string next_key_id(const std::string& id) {
  std::size_t digits = id.size();
  while (digits > 0 && std::isdigit(static_cast<unsigned char>(id[digits - 1])) != 0) --digits;
  if (digits == id.size() || id.size() - digits > 9) return id + "-2";
  return id.substr(0, digits) + std::to_string(std::stoull(id.substr(digits)) + 1);
}

Result<vault::MasterKeyRotation> rotate_master_key(Services& s, const ServerConfig& config,
                                                   const std::optional<std::string>& key_id) {
  // One rotation at a time, from choosing the next key to deleting the old key file: two
  // concurrent ones would otherwise each delete the file of the key they started from.
  static std::mutex rotation_mu;
  std::lock_guard lock(rotation_mu);
  const std::string old_id = s.keys->mek_id();
  const std::string old_kind = s.keys->mek_provider();
  const std::string kind = config.kms_next.empty() ? old_kind : config.kms_next;
  if (kind != config.kms && kind != config.kms_next) {
    return make_error(sqlstate::kSystemError,
                      "the master key is held by the " + old_kind + " provider, which " +
                          s.dir.config().string() +
                          " does not configure: set kms.next to the provider to rotate to");
  }
  const auto old_file = file_key_path(s.dir, old_id);
  auto next = open_next(s, config, kind, key_id, old_id);
  if (!next) return std::move(next).error();
  const std::string new_id = (*next)->key_id();
  // Only a file key has a file (file_key_path falls back to keys/master.key for any id).
  const std::filesystem::path new_file = kind == "file" ? file_key_path(s.dir, new_id) : "";
  if (auto rotated = s.gate->rotate_mek(std::move(*next)); !rotated) {
    std::error_code ec;
    if (!new_file.empty() && new_file != old_file) std::filesystem::remove(new_file, ec);
    return std::move(rotated).error();
  }
  // The old key file holds a retired key only: nothing needs it, and it must not outlive the
  // rotation (it would unwrap an old copy of keys.db).
  if (old_kind == "file" && old_file != new_file) {
    std::error_code ec;
    if (!std::filesystem::remove(old_file, ec) || ec) {
      spdlog::warn("master key rotation: could not delete the retired key file {}",
                   old_file.string());
    }
  }
  return vault::MasterKeyRotation{old_id, new_id, kind};
}

vault::MasterKeyRotator master_key_rotator(Services& services, ServerConfig config) {
  return [&services, config = std::move(config)](const std::optional<std::string>& key_id) {
    return rotate_master_key(services, config, key_id);
  };
}

}  // namespace dbvault::server
