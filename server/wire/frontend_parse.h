// Internal to server/wire: the bodies of frontend messages, once the Decoder has framed them.
// Every function checks the whole body: fields that overrun it, missing NULs, negative or
// inconsistent counts and trailing bytes are 08P01 errors naming the message.
#pragma once

#include <string_view>

#include "common/result.h"
#include "server/wire/messages.h"

namespace dbvault::server::wire::internal {

// A startup-phase packet without its length word: Int32 code/version, then the body.
Result<FrontendMessage> parse_startup_packet(std::string_view packet);

// A normal-phase message body (after the type byte and the length word).
Result<FrontendMessage> parse_message(char type, std::string_view body);

// The name of a frontend message type byte ("Bind" for 'B'); empty for an unknown byte.
std::string_view frontend_type_name(char type);

// 08P01 "invalid <what> message: <problem>".
Error malformed(std::string_view what, std::string_view problem);

}  // namespace dbvault::server::wire::internal
