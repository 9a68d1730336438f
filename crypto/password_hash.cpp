#include "crypto/password_hash.h"

#include <argon2.h>

#include <atomic>
#include <charconv>
#include <cstring>

#include "crypto/random.h"

namespace dbvault::crypto {
namespace {

Error invalid(std::string message) {
  return make_error(sqlstate::kInvalidParameterValue, std::move(message));
}

// Reads "<name>=<decimal>" at the front of `text`, consuming it and one following separator.
bool take_param(std::string_view& text, std::string_view name, char sep, std::uint32_t& out) {
  if (text.substr(0, name.size() + 1) != std::string(name) + "=") return false;
  text.remove_prefix(name.size() + 1);
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (ec != std::errc() || ptr == text.data() || ptr == end || *ptr != sep) return false;
  text.remove_prefix(static_cast<std::size_t>(ptr - text.data()) + 1);
  return true;
}

std::uint32_t base64_decoded_size(std::string_view b64) {
  return static_cast<std::uint32_t>(b64.size() * 3 / 4);  // PHC uses unpadded base64
}

std::atomic<std::uint64_t> g_kdf_runs{0};

}  // namespace

std::uint64_t password_kdf_runs() { return g_kdf_runs.load(std::memory_order_relaxed); }

Status validate(const Argon2Params& p) {
  if (p.parallelism < 1 || p.parallelism > 16) return invalid("Argon2 parallelism must be 1..16");
  if (p.iterations < 1 || p.iterations > 64) return invalid("Argon2 iterations must be 1..64");
  if (p.memory_kib < 8 * p.parallelism || p.memory_kib > (std::uint32_t{1} << 22)) {
    return invalid("Argon2 memory must be 8*parallelism KiB .. 4 GiB");
  }
  if (p.salt_bytes < 16 || p.salt_bytes > 64) return invalid("Argon2 salt must be 16..64 bytes");
  if (p.hash_bytes < 16 || p.hash_bytes > 64) return invalid("Argon2 hash must be 16..64 bytes");
  return ok_status();
}

Result<std::string> hash_password(const SecretString& password, const Argon2Params& params) {
  DBV_RETURN_IF_ERROR(validate(params));
  std::uint8_t salt[64];
  DBV_RETURN_IF_ERROR(random_bytes(std::span(salt, params.salt_bytes)));
  std::string encoded(argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                                        params.salt_bytes, params.hash_bytes, Argon2_id),
                      '\0');
  g_kdf_runs.fetch_add(1, std::memory_order_relaxed);
  const int rc =
      argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                            password.reveal().data(), password.reveal().size(), salt,
                            params.salt_bytes, params.hash_bytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return make_error(sqlstate::kSystemError,
                      std::string("Argon2id hashing failed: ") + argon2_error_message(rc));
  }
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

Result<Argon2Params> parse_phc_params(std::string_view phc) {
  constexpr std::string_view kPrefix = "$argon2id$v=19$";
  if (phc.substr(0, kPrefix.size()) != kPrefix) {
    return invalid("stored password hash is not an Argon2id (v=19) PHC string");
  }
  std::string_view rest = phc.substr(kPrefix.size());
  Argon2Params p;
  if (!take_param(rest, "m", ',', p.memory_kib) || !take_param(rest, "t", ',', p.iterations) ||
      !take_param(rest, "p", '$', p.parallelism)) {
    return invalid("stored password hash has malformed Argon2 parameters");
  }
  const auto dollar = rest.find('$');
  if (dollar == std::string_view::npos || dollar == 0 || dollar + 1 == rest.size()) {
    return invalid("stored password hash lacks a salt or a hash");
  }
  p.salt_bytes = base64_decoded_size(rest.substr(0, dollar));
  p.hash_bytes = base64_decoded_size(rest.substr(dollar + 1));
  DBV_RETURN_IF_ERROR(validate(p));
  return p;
}

Result<bool> verify_password(const SecretString& password, std::string_view phc) {
  auto params = parse_phc_params(phc);
  if (!params) return std::move(params).error();
  const std::string encoded(phc);  // argon2 wants a NUL-terminated string; not secret
  // argon2id_verify recomputes the hash and compares it in constant time.
  g_kdf_runs.fetch_add(1, std::memory_order_relaxed);
  const int rc =
      argon2id_verify(encoded.c_str(), password.reveal().data(), password.reveal().size());
  if (rc == ARGON2_OK) return true;
  if (rc == ARGON2_VERIFY_MISMATCH) return false;
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR) {
    return make_error(sqlstate::kSystemError, "Argon2id verification could not allocate memory");
  }
  return invalid(std::string("stored password hash is malformed: ") + argon2_error_message(rc));
}

Result<SecretBytes> argon2id_derive(const Argon2Inputs& in, const Argon2Params& params,
                                    std::size_t out_bytes) {
  if (params.parallelism < 1 || params.iterations < 1 || out_bytes < 4 || out_bytes > 1024) {
    return invalid("Argon2id: invalid parameters");
  }
  SecretBytes out(out_bytes);
  // argon2_context takes non-const pointers for inputs; with flags 0 it only reads them.
  argon2_context ctx{};
  ctx.out = out.data();
  ctx.outlen = static_cast<std::uint32_t>(out_bytes);
  ctx.pwd = const_cast<std::uint8_t*>(in.password.data());  // NOLINT
  ctx.pwdlen = static_cast<std::uint32_t>(in.password.size());
  ctx.salt = const_cast<std::uint8_t*>(in.salt.data());  // NOLINT
  ctx.saltlen = static_cast<std::uint32_t>(in.salt.size());
  ctx.secret = const_cast<std::uint8_t*>(in.secret.data());  // NOLINT
  ctx.secretlen = static_cast<std::uint32_t>(in.secret.size());
  ctx.ad = const_cast<std::uint8_t*>(in.associated_data.data());  // NOLINT
  ctx.adlen = static_cast<std::uint32_t>(in.associated_data.size());
  ctx.t_cost = params.iterations;
  ctx.m_cost = params.memory_kib;
  ctx.lanes = params.parallelism;
  ctx.threads = 1;  // the result does not depend on threads; the server owns its threads
  ctx.version = ARGON2_VERSION_13;
  ctx.flags = ARGON2_DEFAULT_FLAGS;
  const int rc = argon2_ctx(&ctx, Argon2_id);
  if (rc != ARGON2_OK) {
    return make_error(sqlstate::kSystemError,
                      std::string("Argon2id derivation failed: ") + argon2_error_message(rc));
  }
  return out;
}

}  // namespace dbvault::crypto
