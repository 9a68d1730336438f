// Factors: the session attributes a command rule can test, as the vault hands them to
// CompiledPredicate::eval and RuleIndex::evaluate.
//
// Factors is a view: the strings and bitsets point at storage the caller owns (the session),
// so filling one per statement costs no allocation. REQUIRES: that storage outlives the call.
//
// Factors are never NULL. An attribute the session does not have is the empty string (e.g.
// program_name when the client sent no application_name, client_ip on a Unix-domain socket)
// or false (tls). Only a NULL literal written in a rule makes a value NULL.
//
// Thread-safety: a value type; concurrent reads are safe.
#pragma once

#include <string_view>

#include "common/clock.h"
#include "grammar/cidr.h"
#include "rules/ids.h"

namespace dbvault::rules {

// client_ip, parsed once per session (parsing on every statement would cost time and, for
// long IPv6 text, an allocation).
struct ClientAddress {
  enum class State : std::uint8_t {
    kNone,       // no IP address (empty client_ip): IN_CIDR is FALSE for every block
    kValid,      // `address` holds it (prefix = 32 or 128)
    kMalformed,  // client_ip is not an address: IN_CIDR(client_ip, ...) is an evaluation error
  };
  State state = State::kNone;
  grammar::Cidr address;
};

// Parses a client address as the server saw it ("10.1.2.3", "fd00::1", "::ffff:10.1.2.3"
// counts as IPv4). Empty text gives State::kNone.
ClientAddress parse_client_address(std::string_view client_ip);

struct Factors {
  std::string_view current_user;  // CURRENT_USER
  std::string_view session_user;  // SESSION_USER (the user that logged in)
  std::string_view program_name;  // program_name: the PostgreSQL application_name
  std::string_view client_ip;     // client_ip: text form of the peer address
  std::string_view auth_method;   // auth_method: e.g. "scram-sha-256", "trust"
  bool tls = false;               // tls: the connection is encrypted
  TimePoint now{};                // CURRENT_TIMESTAMP (UTC, microseconds)

  // For DENY FROM USER: the ids of current_user and session_user (kNoId if unknown).
  UserId current_user_id = kNoId;
  UserId session_user_id = kNoId;
  // For DENY FROM ROLE and HAS_ROLE: every role the session holds, directly or inherited,
  // built-in roles (DBA, VAULT_ADMIN, ...) included.
  BitsetView roles;
  // For REALM_UNLOCKED: the realms unlocked as of `now`. REQUIRES: the caller has already
  // dropped unlocks that expired before `now`.
  BitsetView unlocked_realms;
  // client_ip parsed; REQUIRES: equal to parse_client_address(client_ip).
  ClientAddress client_address;
};

}  // namespace dbvault::rules
