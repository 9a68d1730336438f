// A SoftHSM2 token in a temporary directory: its own softhsm2.conf (SOFTHSM2_CONF), a token
// initialized with softhsm2-util, the user PIN in DBVAULT_PKCS11_PIN. Removed afterwards.
#pragma once

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "crypto/pkcs11_provider.h"
#include "tests/crypto/test_util.h"

namespace dbvault::crypto::test {

struct SoftHsm {
  static constexpr const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";
  static constexpr const char* kLabel = "dbvault-test";
  static constexpr const char* kPin = "pin-7319-user";
  static constexpr const char* kSoPin = "so-pin-5521";

  TempDir dir{"softhsm"};
  std::optional<ScopedEnv> conf;
  std::optional<ScopedEnv> pin;

  SoftHsm() {
    std::filesystem::create_directories(dir.path() / "tokens");
    std::ofstream(dir.path() / "softhsm2.conf")
        << "directories.tokendir = " << (dir.path() / "tokens").string() << "\n"
        << "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n";
    conf.emplace("SOFTHSM2_CONF", (dir.path() / "softhsm2.conf").string());
    pin.emplace("DBVAULT_PKCS11_PIN", kPin);
    const std::string cmd = std::string("softhsm2-util --init-token --free --label ") + kLabel +
                            " --pin " + kPin + " --so-pin " + kSoPin + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0)
      throw std::runtime_error("softhsm2-util --init-token failed");
  }

  Pkcs11Options options(bool create) const {
    Pkcs11Options o;
    o.module_path = kModule;
    o.token_label = kLabel;
    o.create_key_if_missing = create;
    return o;
  }

  // Deletes the token, as if the HSM were unplugged.
  void remove_token() {
    const std::string cmd =
        std::string("softhsm2-util --delete-token --token ") + kLabel + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0)
      throw std::runtime_error("softhsm2-util --delete-token failed");
  }
};

}  // namespace dbvault::crypto::test
