#include "server/session/copy_format.h"

#include <algorithm>

namespace dbvault::server::session {
namespace {

Error bad_format(std::string message) { return make_error(SqlState{"22P04"}, std::move(message)); }

void append_text_field(std::string& out, const std::string& v, char delimiter) {
  for (const char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c == delimiter) {
          out += '\\';
        }
        out += c;
    }
  }
}

void append_csv_field(std::string& out, const std::string& v, const pgcompat::CopySpec& spec,
                      bool force) {
  const bool quote =
      force || v.empty() || v == spec.null_string ||
      v.find_first_of(std::string{spec.delimiter, spec.quote, '\n', '\r'}) != std::string::npos;
  if (!quote) {
    out += v;
    return;
  }
  out += spec.quote;
  for (const char c : v) {
    if (c == spec.quote || c == spec.escape) out += spec.escape;
    out += c;
  }
  out += spec.quote;
}

}  // namespace

std::string format_copy_row(const pgcompat::CopySpec& spec, const std::vector<CopyField>& fields) {
  std::string out;
  const bool csv = spec.format == pgcompat::CopySpec::Format::kCsv;
  const bool force_all =
      std::find(spec.force_quote.begin(), spec.force_quote.end(), "*") != spec.force_quote.end();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += spec.delimiter;
    if (!fields[i]) {
      out += spec.null_string;
    } else if (csv) {
      append_csv_field(out, *fields[i], spec, force_all);
    } else {
      append_text_field(out, *fields[i], spec.delimiter);
    }
  }
  out += '\n';
  return out;
}

Result<std::optional<std::vector<CopyField>>> CopyRowParser::next(bool at_end) {
  if (finished_) return std::optional<std::vector<CopyField>>();
  for (;;) {
    auto row =
        spec_.format == pgcompat::CopySpec::Format::kCsv ? next_csv(at_end) : next_text(at_end);
    if (!row || !*row) return row;
    if (spec_.header && !header_skipped_) {
      header_skipped_ = true;
      continue;
    }
    return row;
  }
}

Result<std::optional<std::vector<CopyField>>> CopyRowParser::next_text(bool at_end) {
  auto nl = buffer_.find('\n', pos_);
  if (nl == std::string::npos) {
    if (!at_end || pos_ >= buffer_.size()) return std::optional<std::vector<CopyField>>();
    nl = buffer_.size();
  }
  std::string_view line(buffer_.data() + pos_, nl - pos_);
  pos_ = std::min(nl + 1, buffer_.size());
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line == "\\.") {
    finished_ = true;
    return std::optional<std::vector<CopyField>>();
  }
  std::vector<CopyField> fields;
  std::string field;
  bool raw_null_candidate = true;
  auto finish = [&] {
    if (raw_null_candidate && field == spec_.null_string) {
      fields.emplace_back(std::nullopt);
    } else {
      fields.emplace_back(std::move(field));
    }
    field.clear();
    raw_null_candidate = true;
  };
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == spec_.delimiter) {
      finish();
    } else if (c == '\\' && i + 1 < line.size()) {
      const char e = line[++i];
      if (e == 'N' && spec_.null_string == "\\N") {
        field += "\\N";
        continue;
      }
      raw_null_candidate = false;
      switch (e) {
        case 'n':
          field += '\n';
          break;
        case 'r':
          field += '\r';
          break;
        case 't':
          field += '\t';
          break;
        case 'b':
          field += '\b';
          break;
        case 'f':
          field += '\f';
          break;
        case 'v':
          field += '\v';
          break;
        default:
          field += e;
      }
    } else if (c == '\\') {
      return bad_format("unterminated escape at the end of a line");
    } else {
      field += c;
    }
  }
  finish();
  if (pos_ > (1 << 20)) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  return std::optional<std::vector<CopyField>>(std::move(fields));
}

Result<std::optional<std::vector<CopyField>>> CopyRowParser::next_csv(bool at_end) {
  std::vector<CopyField> fields;
  std::string field;
  bool quoted = false;
  bool was_quoted = false;
  std::size_t i = pos_;
  auto finish = [&] {
    if (!was_quoted && field == spec_.null_string) {
      fields.emplace_back(std::nullopt);
    } else {
      fields.emplace_back(std::move(field));
    }
    field.clear();
    was_quoted = false;
  };
  if (buffer_.compare(pos_, 3, "\\.\n") == 0 ||
      (at_end && buffer_.compare(pos_, std::string::npos, "\\.") == 0)) {
    finished_ = true;
    return std::optional<std::vector<CopyField>>();
  }
  for (; i < buffer_.size(); ++i) {
    const char c = buffer_[i];
    if (quoted) {
      if (c == spec_.escape && i + 1 < buffer_.size() && buffer_[i + 1] == spec_.quote) {
        field += spec_.quote;
        ++i;
      } else if (c == spec_.quote) {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == spec_.quote) {
      quoted = true;
      was_quoted = true;
    } else if (c == spec_.delimiter) {
      finish();
    } else if (c == '\n' || c == '\r') {
      finish();
      if (c == '\r' && i + 1 < buffer_.size() && buffer_[i + 1] == '\n') ++i;
      pos_ = i + 1;
      return std::optional<std::vector<CopyField>>(std::move(fields));
    } else {
      field += c;
    }
  }
  if (!at_end) return std::optional<std::vector<CopyField>>();  // need more bytes
  if (quoted) return bad_format("unterminated CSV quoted field");
  if (pos_ >= buffer_.size()) return std::optional<std::vector<CopyField>>();
  finish();
  pos_ = buffer_.size();
  return std::optional<std::vector<CopyField>>(std::move(fields));
}

}  // namespace dbvault::server::session
