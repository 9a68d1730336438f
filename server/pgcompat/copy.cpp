// parse_copy(): what a COPY statement names, read with PostgreSQL's own parser (so the old
// "WITH CSV HEADER" syntax and the option list read the same).
#include <algorithm>

#include "server/pgcompat/pg_parse.h"
#include "server/pgcompat/rewrite.h"
#include "server/pgcompat/statement.h"

namespace dbvault::server::pgcompat {
namespace {

using detail::Json;

std::string option_text(const Json& def) {
  if (!def.contains("arg")) return "true";
  const Json& arg = def["arg"];
  if (arg.contains("String")) return arg["String"].value("sval", "");
  if (arg.contains("Integer")) return std::to_string(arg["Integer"].value("ival", 0));
  if (arg.contains("Boolean")) return arg["Boolean"].value("boolval", false) ? "true" : "false";
  return "";
}

std::vector<std::string> option_list(const Json& def) {
  std::vector<std::string> out;
  if (def.contains("arg") && def["arg"].contains("A_Star")) return {"*"};
  if (def.contains("arg") && def["arg"].contains("List")) {
    for (const auto& item : def["arg"]["List"]["items"])
      out.push_back(item["String"].value("sval", ""));
  }
  return out;
}

Error bad_option(const std::string& what) {
  return make_error(sqlstate::kSyntaxError, "COPY " + what);
}

Result<char> one_char(const std::string& name, const std::string& value) {
  if (value.size() != 1) return bad_option(name + " must be a single one-byte character");
  return value[0];
}

bool is_true(const std::string& v) { return v == "true" || v == "on" || v == "1"; }

Status apply_option(CopySpec& spec, const Json& def, bool& csv_only_seen) {
  const std::string name = def.value("defname", "");
  const std::string value = option_text(def);
  if (name == "format") {
    if (value == "binary")
      return make_error(sqlstate::kFeatureNotSupported, "COPY in binary format is not supported");
    if (value != "text" && value != "csv")
      return bad_option("format \"" + value + "\" not recognized");
    spec.format = value == "csv" ? CopySpec::Format::kCsv : CopySpec::Format::kText;
  } else if (name == "delimiter" || name == "quote" || name == "escape") {
    auto c = one_char(name, value);
    if (!c) return std::move(c).error();
    (name == "delimiter" ? spec.delimiter : name == "quote" ? spec.quote : spec.escape) = *c;
    csv_only_seen |= name != "delimiter";
  } else if (name == "null") {
    spec.null_string = value;
  } else if (name == "header") {
    if (value == "match")
      return make_error(sqlstate::kFeatureNotSupported, "COPY HEADER MATCH is not supported");
    spec.header = is_true(value);
    csv_only_seen |= spec.header;
  } else if (name == "force_quote" || name == "force_not_null") {
    (name == "force_quote" ? spec.force_quote : spec.force_not_null) = option_list(def);
    csv_only_seen = true;
  } else if (name == "encoding") {
    if (value != "UTF8" && value != "utf8" && value != "UTF-8") {
      return make_error(sqlstate::kFeatureNotSupported,
                        "COPY ENCODING other than UTF8 is not supported");
    }
  } else if (name != "freeze") {  // FREEZE is a vacuum hint
    return make_error(sqlstate::kFeatureNotSupported,
                      "COPY option \"" + name + "\" is not supported");
  }
  return ok_status();
}

// The text of "COPY (query) TO ...": the query between the parentheses after COPY.
Result<std::string> query_text(std::string_view sql) {
  auto tokens = detail::tokenize_strict(sql);
  if (!tokens) return std::move(tokens).error();
  int depth = 0;
  for (std::size_t i = 1; i < tokens->size(); ++i) {
    if ((*tokens)[i].is_punct('(')) ++depth;
    if ((*tokens)[i].is_punct(')') && --depth == 0) {
      const std::size_t from = (*tokens)[1].end();
      const std::string inner(sql.substr(from, (*tokens)[i].offset - from));
      auto inner_tokens = detail::tokenize_strict(inner);
      if (!inner_tokens) return std::move(inner_tokens).error();
      auto rewritten = detail::rewrite_expressions(inner, *inner_tokens);
      if (!rewritten) return std::move(rewritten).error();
      return rewritten->sql;
    }
  }
  return make_error(sqlstate::kSyntaxError, "syntax error in COPY");
}

Status table_and_columns(CopySpec& spec, const Json& copy, const CatalogSource& catalog) {
  const Json& rel = copy["relation"];
  const std::string schema = rel.value("schemaname", "");
  if (!schema.empty() && schema != "public" && schema != "main") {
    return make_error(sqlstate::kFeatureNotSupported,
                      "schema \"" + schema + "\" does not exist in the embedded engine");
  }
  spec.table = rel.value("relname", "");
  auto defs = catalog.columns(spec.table);
  if (!defs) return std::move(defs).error();
  for (const auto& a : copy.value("attlist", Json::array()))
    spec.columns.push_back(a["String"].value("sval", ""));
  if (spec.columns.empty()) {
    for (const auto& d : *defs) spec.columns.push_back(d.name);
  }
  for (const auto& c : spec.columns) {
    if (std::none_of(defs->begin(), defs->end(),
                     [&](const ColumnInfo& d) { return d.name == c; })) {
      return make_error(sqlstate::kUndefinedColumn,
                        "column \"" + c + "\" of relation \"" + spec.table + "\" does not exist");
    }
  }
  return ok_status();
}

}  // namespace

Result<CopySpec> parse_copy(std::string_view sql, const CatalogSource& catalog) {
  auto tree = detail::pg_parse(sql);
  if (!tree) return std::move(tree).error();
  if (!tree->contains("CopyStmt"))
    return make_error(sqlstate::kSyntaxError, "not a COPY statement");
  const Json& copy = (*tree)["CopyStmt"];
  if (copy.value("is_program", false) || copy.contains("filename")) {
    Error e = make_error(sqlstate::kInsufficientPrivilege,
                         "COPY to or from a file or program is not allowed: SQL never reaches the "
                         "server's file system");
    e.hint = "use COPY ... FROM STDIN or COPY ... TO STDOUT (psql's \\copy does)";
    return e;
  }
  if (copy.contains("whereClause"))
    return make_error(sqlstate::kFeatureNotSupported, "COPY FROM ... WHERE is not supported");
  CopySpec spec;
  spec.direction =
      copy.value("is_from", false) ? CopySpec::Direction::kFrom : CopySpec::Direction::kTo;
  bool csv_only_seen = false;
  bool delimiter_set = false, null_set = false, escape_set = false;
  for (const auto& o : copy.value("options", Json::array())) {
    const Json& def = o["DefElem"];
    const std::string name = def.value("defname", "");
    delimiter_set |= name == "delimiter";
    null_set |= name == "null";
    escape_set |= name == "escape";
    DBV_RETURN_IF_ERROR(apply_option(spec, def, csv_only_seen));
  }
  const bool csv = spec.format == CopySpec::Format::kCsv;
  if (csv_only_seen && !csv)
    return make_error(
        sqlstate::kFeatureNotSupported,
        "COPY quote, escape, header and force options are available only in CSV mode");
  if (csv && !delimiter_set) spec.delimiter = ',';
  if (csv && !null_set) spec.null_string = "";
  if (csv && !escape_set) spec.escape = spec.quote;
  if (spec.delimiter == '\n' || spec.delimiter == '\r' || (!csv && spec.delimiter == '\\')) {
    return bad_option("delimiter cannot be newline, carriage return or backslash");
  }
  if (copy.contains("query")) {
    auto q = query_text(sql);
    if (!q) return std::move(q).error();
    spec.query = std::move(*q);
    return spec;
  }
  DBV_RETURN_IF_ERROR(table_and_columns(spec, copy, catalog));
  return spec;
}

}  // namespace dbvault::server::pgcompat
