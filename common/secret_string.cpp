#include "common/secret_string.h"

#include <openssl/crypto.h>

namespace dbvault {

void wipe_string(std::string& s) {
  // Wipe the whole buffer, not just size(): short strings and earlier contents live there too.
  s.resize(s.capacity());
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  const std::size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

SecretString::SecretString(SecretString&& other) noexcept : text_(other.text_) { other.wipe(); }

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    wipe();
    text_ = other.text_;
    other.wipe();
  }
  return *this;
}

SecretString::~SecretString() { wipe(); }

bool SecretString::operator==(const SecretString& other) const {
  return constant_time_equal(text_, other.text_);
}

void SecretString::wipe() { wipe_string(text_); }

}  // namespace dbvault
