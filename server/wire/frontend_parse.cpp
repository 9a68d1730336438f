#include "server/wire/frontend_parse.h"

#include <string>

#include "server/wire/assign.h"
#include "server/wire/wire_bytes.h"

namespace dbvault::server::wire::internal {

namespace {

constexpr std::int32_t kCancelRequestCode = (1234 << 16) | 5678;
constexpr std::int32_t kSslRequestCode = (1234 << 16) | 5679;
constexpr std::int32_t kGssEncRequestCode = (1234 << 16) | 5680;

// Reads the fields of one message and turns any shortfall into an error naming the message.
class Fields {
 public:
  Fields(std::string_view what, std::string_view body) : what_(what), in_(body) {}

  Result<std::string> string() {
    auto s = in_.cstring();
    if (!s) return malformed(what_, "missing string terminator");
    return std::string(*s);
  }
  Result<std::int16_t> i16() {
    auto v = in_.i16();
    if (!v) return malformed(what_, "message too short");
    return *v;
  }
  Result<std::int32_t> i32() {
    auto v = in_.i32();
    if (!v) return malformed(what_, "message too short");
    return *v;
  }
  Result<char> byte() {
    auto v = in_.u8();
    if (!v) return malformed(what_, "message too short");
    return static_cast<char>(*v);
  }
  // An Int16 count that must not be negative.
  Result<std::size_t> count() {
    auto n = i16();
    if (!n) return std::move(n).error();
    if (*n < 0) return malformed(what_, "negative count");
    return static_cast<std::size_t>(*n);
  }
  Result<std::vector<Format>> formats() {
    auto n = count();
    if (!n) return std::move(n).error();
    std::vector<Format> out;
    out.reserve(*n);
    for (std::size_t i = 0; i < *n; ++i) {
      auto f = i16();
      if (!f) return std::move(f).error();
      if (*f != 0 && *f != 1) return error("unsupported format code " + std::to_string(*f));
      out.push_back(static_cast<Format>(*f));
    }
    return out;
  }
  // Int16 count, then per value Int32 length (-1 = NULL) and the bytes.
  Result<std::vector<std::optional<std::string>>> values() {
    auto n = count();
    if (!n) return std::move(n).error();
    std::vector<std::optional<std::string>> out;
    out.reserve(*n);
    for (std::size_t i = 0; i < *n; ++i) {
      auto len = i32();
      if (!len) return std::move(len).error();
      if (*len == -1) {
        out.emplace_back(std::nullopt);
        continue;
      }
      if (*len < 0) return malformed(what_, "negative value length");
      auto bytes = in_.bytes(static_cast<std::size_t>(*len));
      if (!bytes) return malformed(what_, "value overruns the message");
      out.emplace_back(std::string(*bytes));
    }
    return out;
  }
  Error error(std::string_view problem) const { return malformed(what_, problem); }
  Status finish() const {
    if (!in_.at_end()) return malformed(what_, "unexpected bytes at the end");
    return ok_status();
  }

 private:
  std::string_view what_;
  ByteReader in_;
};

template <typename T>
Result<FrontendMessage> finished(Fields& f, T message) {
  DBV_RETURN_IF_ERROR(f.finish());
  return FrontendMessage(std::move(message));
}

Status check_format_count(const Fields& f, std::size_t formats, std::size_t values,
                          std::string_view of) {
  if (formats <= 1 || formats == values) return ok_status();
  return f.error(std::to_string(formats) + " " + std::string(of) + " formats for " +
                 std::to_string(values) + " " + std::string(of) + "s");
}

Result<FrontendMessage> parse_startup_message(std::int32_t version, Fields& f) {
  const int major = (version >> 16) & 0xFFFF;
  if (major != 3) {
    return make_error(sqlstate::kFeatureNotSupported,
                      "unsupported frontend protocol " + std::to_string(major) + "." +
                          std::to_string(version & 0xFFFF) + ": server supports 3.0 to 3." +
                          std::to_string(kNewestMinorVersion));
  }
  Startup s;
  s.protocol_version = version;
  for (;;) {
    DBV_ASSIGN(key, f.string());
    if (key.empty()) break;
    DBV_ASSIGN(value, f.string());
    s.parameters.emplace_back(std::move(key), std::move(value));
  }
  return finished(f, std::move(s));
}

Result<FrontendMessage> parse_bind(Fields& f) {
  Bind b;
  DBV_ASSIGN(portal, f.string());
  DBV_ASSIGN(statement, f.string());
  DBV_ASSIGN(param_formats, f.formats());
  DBV_ASSIGN(params, f.values());
  DBV_ASSIGN(result_formats, f.formats());
  DBV_RETURN_IF_ERROR(check_format_count(f, param_formats.size(), params.size(), "parameter"));
  b.portal = std::move(portal);
  b.statement = std::move(statement);
  b.param_formats = std::move(param_formats);
  b.params = std::move(params);
  b.result_formats = std::move(result_formats);
  return finished(f, std::move(b));
}

Result<FrontendMessage> parse_parse(Fields& f) {
  Parse p;
  DBV_ASSIGN(name, f.string());
  DBV_ASSIGN(sql, f.string());
  DBV_ASSIGN(n, f.count());
  p.name = std::move(name);
  p.sql = std::move(sql);
  for (std::size_t i = 0; i < n; ++i) {
    DBV_ASSIGN(type, f.i32());
    p.param_type_oids.push_back(static_cast<Oid>(type));
  }
  return finished(f, std::move(p));
}

// Describe and Close: a kind byte ('S' or 'P') and a name.
template <typename T>
Result<FrontendMessage> parse_kind_and_name(Fields& f) {
  DBV_ASSIGN(kind, f.byte());
  if (kind != 'S' && kind != 'P') return f.error("kind must be 'S' or 'P'");
  DBV_ASSIGN(name, f.string());
  return finished(f, T{kind, std::move(name)});
}

Result<FrontendMessage> parse_function_call(Fields& f) {
  DBV_ASSIGN(function_oid, f.i32());
  DBV_ASSIGN(arg_formats, f.formats());
  DBV_ASSIGN(args, f.values());
  DBV_RETURN_IF_ERROR(check_format_count(f, arg_formats.size(), args.size(), "argument"));
  DBV_ASSIGN(result_format, f.i16());
  if (result_format != 0 && result_format != 1) {
    return f.error("unsupported format code " + std::to_string(result_format));
  }
  return finished(f, FunctionCall{static_cast<Oid>(function_oid)});
}

}  // namespace

std::string_view frontend_type_name(char type) {
  switch (type) {
    case 'Q':
      return "Query";
    case 'P':
      return "Parse";
    case 'B':
      return "Bind";
    case 'D':
      return "Describe";
    case 'E':
      return "Execute";
    case 'C':
      return "Close";
    case 'S':
      return "Sync";
    case 'H':
      return "Flush";
    case 'X':
      return "Terminate";
    case 'c':
      return "CopyDone";
    case 'd':
      return "CopyData";
    case 'f':
      return "CopyFail";
    case 'p':
      return "password";
    case 'F':
      return "FunctionCall";
    default:
      return {};
  }
}

Error malformed(std::string_view what, std::string_view problem) {
  return make_error(sqlstate::kProtocolViolation,
                    "invalid " + std::string(what) + " message: " + std::string(problem));
}

Result<FrontendMessage> parse_startup_packet(std::string_view packet) {
  Fields f("startup", packet);
  DBV_ASSIGN(code, f.i32());
  switch (code) {
    case kSslRequestCode:
      return finished(f, SslRequest{});
    case kGssEncRequestCode:
      return finished(f, GssEncRequest{});
    case kCancelRequestCode: {
      DBV_ASSIGN(pid, f.i32());
      DBV_ASSIGN(secret, f.i32());
      return finished(f, CancelRequest{pid, secret});
    }
    default:
      return parse_startup_message(code, f);
  }
}

Result<FrontendMessage> parse_message(char type, std::string_view body) {
  const std::string_view name = frontend_type_name(type);
  if (name.empty()) {
    return make_error(
        sqlstate::kProtocolViolation,
        "invalid frontend message type " + std::to_string(static_cast<unsigned char>(type)));
  }
  Fields f(name, body);
  switch (type) {
    case 'Q': {
      DBV_ASSIGN(sql, f.string());
      return finished(f, Query{std::move(sql)});
    }
    case 'P':
      return parse_parse(f);
    case 'B':
      return parse_bind(f);
    case 'D':
      return parse_kind_and_name<Describe>(f);
    case 'E': {
      DBV_ASSIGN(portal, f.string());
      DBV_ASSIGN(max_rows, f.i32());
      return finished(f, Execute{std::move(portal), max_rows});
    }
    case 'C':
      return parse_kind_and_name<Close>(f);
    case 'S':
      return finished(f, Sync{});
    case 'H':
      return finished(f, Flush{});
    case 'X':
      return finished(f, Terminate{});
    case 'c':
      return finished(f, CopyDone{});
    case 'd':
      return FrontendMessage(CopyData{std::string(body)});
    case 'f': {
      DBV_ASSIGN(message, f.string());
      return finished(f, CopyFail{std::move(message)});
    }
    case 'p':
      return FrontendMessage(PasswordPacket{SecretString(body)});
    default:  // 'F'
      return parse_function_call(f);
  }
}

}  // namespace dbvault::server::wire::internal
