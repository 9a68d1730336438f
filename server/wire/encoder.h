// Encoder: backend (server → client) messages of the PostgreSQL protocol 3.0, appended to a
// std::string that the connection layer writes out. No I/O here.
//
// Strings. Protocol strings are NUL-terminated, so a string argument with an embedded NUL
// is TRUNCATED at its first NUL (the message stays well-formed; the tail is dropped). Values
// in DataRow and CopyData are length-prefixed and carried as they are.
// Limits. Functions whose message could exceed the protocol's Int16 counts or Int32 lengths
// return a Status: 54000 program_limit_exceeded, and then nothing was appended.
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "server/wire/messages.h"

namespace dbvault::server::wire {

// --- Answers to SSLRequest / GSSENCRequest: one byte, no framing ---
void append_ssl_answer(std::string& out, bool accept);  // 'S' or 'N'
void append_gssenc_answer(std::string& out);            // always 'N' (no GSSAPI)

// --- Authentication ('R') ---
void append_authentication_ok(std::string& out);
void append_authentication_cleartext_password(std::string& out);
// mechanisms in order of preference, e.g. {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}
void append_authentication_sasl(std::string& out, std::span<const std::string> mechanisms);
void append_authentication_sasl_continue(std::string& out, std::string_view data);
void append_authentication_sasl_final(std::string& out, std::string_view data);

// --- Session start ---
void append_parameter_status(std::string& out, std::string_view name, std::string_view value);
void append_backend_key_data(std::string& out, std::int32_t process_id, std::int32_t secret_key);
// newest_minor: the newest minor version we support; options: the "_pq_." names we do not.
void append_negotiate_protocol_version(std::string& out, int newest_minor,
                                       std::span<const std::string> options);

// REQUIRES: status is 'I' idle, 'T' in a transaction block or 'E' in a failed one.
void append_ready_for_query(std::string& out, char status);

// --- Results ---
struct FieldDescription {
  std::string name;
  Oid table_oid = 0;               // 0 when the column is not a table column
  std::int16_t column_attnum = 0;  // 0 likewise
  Oid type_oid = 0;
  std::int16_t type_size = -1;      // pg_type.typlen: -1 varlena, -2 cstring
  std::int32_t type_modifier = -1;  // pg_attribute.atttypmod
  Format format = Format::kText;
};
Status append_row_description(std::string& out, std::span<const FieldDescription> fields);
// values: nullopt = NULL (length -1).
Status append_data_row(std::string& out, std::span<const std::optional<std::string>> values);
void append_command_complete(std::string& out, std::string_view tag);  // e.g. "SELECT 3"
void append_empty_query_response(std::string& out);
void append_no_data(std::string& out);
void append_portal_suspended(std::string& out);

// --- Extended query acknowledgements ---
void append_parse_complete(std::string& out);
void append_bind_complete(std::string& out);
void append_close_complete(std::string& out);
Status append_parameter_description(std::string& out, std::span<const Oid> type_oids);

// --- COPY ---
Status append_copy_in_response(std::string& out, Format overall,
                               std::span<const Format> column_formats);
Status append_copy_out_response(std::string& out, Format overall,
                                std::span<const Format> column_formats);
Status append_copy_data(std::string& out, std::string_view bytes);
void append_copy_done(std::string& out);

// --- Errors and notices ---
// The fields of ErrorResponse / NoticeResponse. Empty strings and position 0 are omitted.
struct ErrorFields {
  std::string severity = "ERROR";  // 'S' (localized; we do not localize) and 'V'
  std::string code;                // 'C' SQLSTATE
  std::string message;             // 'M'
  std::string detail;              // 'D'
  std::string hint;                // 'H'
  int position = 0;                // 'P' 1-based character position in the query
  int internal_position = 0;       // 'p'
  std::string internal_query;      // 'q'
  std::string where;               // 'W'
  std::string schema_name;         // 's'
  std::string table_name;          // 't'
  std::string column_name;         // 'c'
  std::string data_type_name;      // 'd'
  std::string constraint_name;     // 'n'
};
// The fields of a dbvault Error (code, message, detail, hint, position) with `severity`
// ("ERROR", "FATAL", "WARNING", "NOTICE", ...).
ErrorFields error_fields(const Error& error, std::string_view severity = "ERROR");
void append_error_response(std::string& out, const ErrorFields& fields);
void append_notice_response(std::string& out, const ErrorFields& fields);

}  // namespace dbvault::server::wire
