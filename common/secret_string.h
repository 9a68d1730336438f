// SecretString: a password or token as it travels through parsing and statement execution.
//
// It is zeroized when destroyed or overwritten, never printed (no operator<<, no implicit
// conversion to std::string), and compared in constant time. It moves but does not copy: a
// copy is one more plaintext in memory, so it is made only on purpose, with clone(). Key material
// does not belong here: keys live in crypto::SecretBytes, which also locks its pages.
// Thread-safety: a value type; distinct objects may be used from distinct threads.
#pragma once

#include <string>
#include <string_view>

namespace dbvault {

class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string_view text) : text_(text) {}
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  // The moved-from value is wiped and empty.
  SecretString(SecretString&& other) noexcept;
  SecretString& operator=(SecretString&& other) noexcept;
  ~SecretString();

  // A second, independent copy (wiped on its own destruction).
  SecretString clone() const { return SecretString(std::string_view(text_)); }

  // The plaintext. Callers must not copy it into a std::string that outlives its use.
  std::string_view reveal() const { return text_; }
  bool empty() const { return text_.empty(); }
  std::size_t size() const { return text_.size(); }

  // Constant-time in the length of the longer operand.
  bool operator==(const SecretString& other) const;

 private:
  void wipe();
  std::string text_;
};

// Overwrites the bytes of `s` (including spare capacity) with zeros, then clears it.
void wipe_string(std::string& s);

// Compares two byte strings in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace dbvault
