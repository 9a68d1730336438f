#include "server/session/rows.h"

#include "server/session/statement_words.h"

namespace dbvault::server::session {

wire::SqlValue to_wire(const storage::Value& v) {
  switch (v.index()) {
    case 1:
      return std::get<std::int64_t>(v);
    case 2:
      return std::get<double>(v);
    case 3:
      return std::get<std::string>(v);
    case 4: {
      const auto& b = std::get<storage::Blob>(v).bytes;
      return wire::Blob{std::string(b.begin(), b.end())};
    }
    default:
      return std::monostate{};
  }
}

storage::Value from_wire(wire::SqlValue v) {
  switch (v.index()) {
    case 1:
      return std::get<std::int64_t>(v);
    case 2:
      return std::get<double>(v);
    case 3:
      return std::move(std::get<std::string>(v));
    case 4: {
      const auto& b = std::get<wire::Blob>(v).bytes;
      return storage::Blob{std::vector<std::uint8_t>(b.begin(), b.end())};
    }
    default:
      return std::monostate{};
  }
}

Row current_row(const storage::Statement& st) {
  Row row;
  const int n = st.column_count();
  row.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) row.push_back(st.column(i));
  return row;
}

wire::Format result_format(const std::vector<wire::Format>& formats, std::size_t i) {
  if (formats.size() == 1) return formats[0];
  return i < formats.size() ? formats[i] : wire::Format::kText;
}

std::vector<wire::FieldDescription> describe_columns(
    const storage::Statement& st, const Row* first_row, const std::vector<wire::Format>& formats,
    const std::vector<wire::Oid>& expression_types) {
  std::vector<wire::FieldDescription> fields;
  const int n = st.column_count();
  const bool typed = expression_types.size() == static_cast<std::size_t>(n);
  for (int i = 0; i < n; ++i) {
    wire::FieldDescription f;
    f.name = st.column_name(i);
    const auto cls = first_row != nullptr && static_cast<std::size_t>(i) < first_row->size()
                         ? wire::storage_class(to_wire((*first_row)[static_cast<std::size_t>(i)]))
                         : wire::StorageClass::kNull;
    const std::string declared = st.column_decltype(i);
    const wire::Oid hint = typed ? expression_types[static_cast<std::size_t>(i)] : 0;
    f.type_oid = declared.empty() && hint != 0 ? hint : wire::oid_for_declared_type(declared, cls);
    f.type_size = wire::type_size(f.type_oid);
    f.format = result_format(formats, static_cast<std::size_t>(i));
    fields.push_back(std::move(f));
  }
  return fields;
}

std::vector<wire::FieldDescription> answer_fields(const std::vector<pgcompat::Column>& columns) {
  std::vector<wire::FieldDescription> fields;
  for (const auto& c : columns) {
    wire::FieldDescription f;
    f.name = c.name;
    f.type_oid = c.type_oid;
    f.type_size = wire::type_size(c.type_oid);
    fields.push_back(std::move(f));
  }
  return fields;
}

std::vector<wire::FieldDescription> text_fields(const std::vector<std::string>& names) {
  std::vector<pgcompat::Column> columns;
  for (const auto& name : names) columns.push_back({name, wire::oid::kText});
  return answer_fields(columns);
}

Status append_text_rows(std::string& out, std::vector<wire::FieldDescription> fields,
                        const std::vector<std::vector<std::optional<std::string>>>& rows,
                        const std::vector<wire::Format>& formats) {
  bool binary = false;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    fields[i].format = result_format(formats, i);
    binary = binary || fields[i].format == wire::Format::kBinary;
  }
  DBV_RETURN_IF_ERROR(wire::append_row_description(out, fields));
  for (const auto& values : rows) {
    if (!binary) {  // already the text form: sent as computed
      DBV_RETURN_IF_ERROR(wire::append_data_row(out, values));
      continue;
    }
    Row row;
    row.reserve(values.size());
    for (const auto& v : values) {
      row.push_back(v ? from_wire(wire::SqlValue(*v)) : from_wire(wire::SqlValue()));
    }
    DBV_RETURN_IF_ERROR(append_row(out, row, fields));
  }
  return ok_status();
}

Status append_row(std::string& out, const Row& row,
                  const std::vector<wire::FieldDescription>& fields) {
  std::vector<std::optional<std::string>> values;
  values.reserve(row.size());
  for (std::size_t i = 0; i < row.size() && i < fields.size(); ++i) {
    auto v = wire::encode(fields[i].type_oid, fields[i].format, to_wire(row[i]));
    if (!v) {
      Error e = std::move(v).error();
      e.message = "column \"" + fields[i].name + "\": " + e.message;
      return e;
    }
    values.push_back(std::move(*v));
  }
  return wire::append_data_row(out, values);
}

std::string command_tag(std::string_view sql, std::int64_t rows, std::int64_t changes,
                        bool returned_rows) {
  const auto words = leading_words(sql, 4);
  std::string first = words.empty() ? "" : words[0];
  if (returned_rows) return "SELECT " + std::to_string(rows);
  if (first == "INSERT" || first == "REPLACE") return "INSERT 0 " + std::to_string(changes);
  if (first == "UPDATE" || first == "DELETE") return first + " " + std::to_string(changes);
  if (first == "WITH") return changes > 0 ? "UPDATE " + std::to_string(changes) : "SELECT 0";
  if (first == "SELECT" || first == "VALUES" || first == "PRAGMA") return "SELECT 0";
  if (first == "BEGIN" || first == "START") return "BEGIN";
  if (first == "COMMIT" || first == "END") return "COMMIT";
  if (first == "ROLLBACK" || first == "ABORT") return "ROLLBACK";
  if (first == "CREATE" || first == "DROP" || first == "ALTER") {
    std::size_t i = 1;
    while (i < words.size() && (words[i] == "TEMP" || words[i] == "TEMPORARY" ||
                                words[i] == "UNIQUE" || words[i] == "VIRTUAL")) {
      ++i;
    }
    return i < words.size() ? first + " " + words[i] : first;
  }
  return first.empty() ? "OK" : first;
}

}  // namespace dbvault::server::session
