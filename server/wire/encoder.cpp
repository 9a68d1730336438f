#include "server/wire/encoder.h"

#include <cassert>
#include <limits>

#include "server/wire/wire_bytes.h"

namespace dbvault::server::wire {

namespace {

using internal::put_be;

constexpr std::size_t kMaxCount = std::numeric_limits<std::int16_t>::max();
constexpr std::size_t kMaxLength = std::numeric_limits<std::int32_t>::max();

// One backend message: type byte, length word patched by finish(), then the fields.
class Message {
 public:
  Message(std::string& out, char type) : out_(out), start_(out.size()) {
    out_.push_back(type);
    out_.append(4, '\0');
  }
  Message& byte(char c) {
    out_.push_back(c);
    return *this;
  }
  Message& i16(std::int16_t v) {
    put_be(out_, v);
    return *this;
  }
  Message& i32(std::int32_t v) {
    put_be(out_, v);
    return *this;
  }
  // A protocol string: everything up to the first NUL, then the terminator.
  Message& str(std::string_view s) {
    out_.append(s.substr(0, s.find('\0')));
    out_.push_back('\0');
    return *this;
  }
  Message& raw(std::string_view s) {
    out_.append(s);
    return *this;
  }
  void finish() {
    const std::size_t len = out_.size() - start_ - 1;
    std::string word;
    put_be(word, static_cast<std::int32_t>(len));
    out_.replace(start_ + 1, 4, word);
  }

 private:
  std::string& out_;
  std::size_t start_;
};

void empty_message(std::string& out, char type) { Message(out, type).finish(); }

Status too_large(std::string_view what) {
  return make_error(sqlstate::kProgramLimitExceeded,
                    std::string(what) + " exceeds the protocol's limits");
}

void authentication(std::string& out, std::int32_t code, std::string_view data = {}) {
  Message(out, 'R').i32(code).raw(data).finish();
}

Status copy_response(std::string& out, char type, Format overall,
                     std::span<const Format> column_formats) {
  if (column_formats.size() > kMaxCount) return too_large("COPY response");
  Message m(out, type);
  m.byte(static_cast<char>(overall)).i16(static_cast<std::int16_t>(column_formats.size()));
  for (Format f : column_formats) m.i16(static_cast<std::int16_t>(f));
  m.finish();
  return ok_status();
}

void error_or_notice(std::string& out, char type, const ErrorFields& f) {
  Message m(out, type);
  auto field = [&m](char code, std::string_view value) {
    if (!value.empty()) m.byte(code).str(value);
  };
  field('S', f.severity);
  field('V', f.severity);
  field('C', f.code);
  field('M', f.message);
  field('D', f.detail);
  field('H', f.hint);
  if (f.position > 0) field('P', std::to_string(f.position));
  if (f.internal_position > 0) field('p', std::to_string(f.internal_position));
  field('q', f.internal_query);
  field('W', f.where);
  field('s', f.schema_name);
  field('t', f.table_name);
  field('c', f.column_name);
  field('d', f.data_type_name);
  field('n', f.constraint_name);
  m.byte('\0').finish();
}

}  // namespace

void append_ssl_answer(std::string& out, bool accept) { out.push_back(accept ? 'S' : 'N'); }
void append_gssenc_answer(std::string& out) { out.push_back('N'); }

void append_authentication_ok(std::string& out) { authentication(out, 0); }
void append_authentication_cleartext_password(std::string& out) { authentication(out, 3); }

void append_authentication_sasl(std::string& out, std::span<const std::string> mechanisms) {
  Message m(out, 'R');
  m.i32(10);
  for (const auto& name : mechanisms) m.str(name);
  m.byte('\0').finish();
}
void append_authentication_sasl_continue(std::string& out, std::string_view data) {
  authentication(out, 11, data);
}
void append_authentication_sasl_final(std::string& out, std::string_view data) {
  authentication(out, 12, data);
}

void append_parameter_status(std::string& out, std::string_view name, std::string_view value) {
  Message(out, 'S').str(name).str(value).finish();
}

void append_backend_key_data(std::string& out, std::int32_t process_id, std::int32_t secret_key) {
  Message(out, 'K').i32(process_id).i32(secret_key).finish();
}

void append_negotiate_protocol_version(std::string& out, int newest_minor,
                                       std::span<const std::string> options) {
  Message m(out, 'v');
  m.i32((3 << 16) | newest_minor).i32(static_cast<std::int32_t>(options.size()));
  for (const auto& o : options) m.str(o);
  m.finish();
}

void append_ready_for_query(std::string& out, char status) {
  assert(status == 'I' || status == 'T' || status == 'E');
  Message(out, 'Z').byte(status).finish();
}

Status append_row_description(std::string& out, std::span<const FieldDescription> fields) {
  if (fields.size() > kMaxCount) return too_large("RowDescription");
  Message m(out, 'T');
  m.i16(static_cast<std::int16_t>(fields.size()));
  for (const auto& f : fields) {
    m.str(f.name)
        .i32(static_cast<std::int32_t>(f.table_oid))
        .i16(f.column_attnum)
        .i32(static_cast<std::int32_t>(f.type_oid))
        .i16(f.type_size)
        .i32(f.type_modifier)
        .i16(static_cast<std::int16_t>(f.format));
  }
  m.finish();
  return ok_status();
}

Status append_data_row(std::string& out, std::span<const std::optional<std::string>> values) {
  if (values.size() > kMaxCount) return too_large("DataRow");
  std::size_t total = 4 + 2;
  for (const auto& v : values) total += 4 + (v ? v->size() : 0);
  if (total > kMaxLength) return too_large("DataRow");
  Message m(out, 'D');
  m.i16(static_cast<std::int16_t>(values.size()));
  for (const auto& v : values) {
    if (!v) {
      m.i32(-1);
    } else {
      m.i32(static_cast<std::int32_t>(v->size())).raw(*v);
    }
  }
  m.finish();
  return ok_status();
}

void append_command_complete(std::string& out, std::string_view tag) {
  Message(out, 'C').str(tag).finish();
}
void append_empty_query_response(std::string& out) { empty_message(out, 'I'); }
void append_no_data(std::string& out) { empty_message(out, 'n'); }
void append_portal_suspended(std::string& out) { empty_message(out, 's'); }
void append_parse_complete(std::string& out) { empty_message(out, '1'); }
void append_bind_complete(std::string& out) { empty_message(out, '2'); }
void append_close_complete(std::string& out) { empty_message(out, '3'); }

Status append_parameter_description(std::string& out, std::span<const Oid> type_oids) {
  if (type_oids.size() > kMaxCount) return too_large("ParameterDescription");
  Message m(out, 't');
  m.i16(static_cast<std::int16_t>(type_oids.size()));
  for (Oid o : type_oids) m.i32(static_cast<std::int32_t>(o));
  m.finish();
  return ok_status();
}

Status append_copy_in_response(std::string& out, Format overall,
                               std::span<const Format> column_formats) {
  return copy_response(out, 'G', overall, column_formats);
}
Status append_copy_out_response(std::string& out, Format overall,
                                std::span<const Format> column_formats) {
  return copy_response(out, 'H', overall, column_formats);
}

Status append_copy_data(std::string& out, std::string_view bytes) {
  if (bytes.size() > kMaxLength - 4) return too_large("CopyData");
  Message(out, 'd').raw(bytes).finish();
  return ok_status();
}
void append_copy_done(std::string& out) { empty_message(out, 'c'); }

ErrorFields error_fields(const Error& error, std::string_view severity) {
  ErrorFields f;
  f.severity = std::string(severity);
  f.code = std::string(error.code.code());
  f.message = error.message;
  f.detail = error.detail;
  f.hint = error.hint;
  f.position = error.position;
  return f;
}

void append_error_response(std::string& out, const ErrorFields& fields) {
  error_or_notice(out, 'E', fields);
}
void append_notice_response(std::string& out, const ErrorFields& fields) {
  error_or_notice(out, 'N', fields);
}

}  // namespace dbvault::server::wire
