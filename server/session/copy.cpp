// COPY ... TO STDOUT and COPY ... FROM STDIN (QueryLoop, query_loop.h). Both go through the
// engine like any statement — COPY TO runs a SELECT, COPY FROM an INSERT per row — so the
// vault checks them like any read or write. COPY TO is EXPORT-class: every read is also an
// EXPORT access (command rules FOR EXPORT), and a data_export record is made durable before
// the first row leaves.
#include <algorithm>
#include <chrono>

#include "grammar/printer.h"
#include "server/session/copy_format.h"
#include "server/session/query_loop.h"

namespace dbvault::server::session {
namespace {

// How often the COPY data wait looks for a cancel or the statement timeout.
constexpr std::chrono::milliseconds kCancelPoll{100};

std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + grammar::quote_identifier(c);
  return out;
}

}  // namespace

Status QueryLoop::run_copy(const pgcompat::CopySpec& spec) {
  return spec.direction == pgcompat::CopySpec::Direction::kTo ? copy_out(spec) : copy_in(spec);
}

Status QueryLoop::copy_out(const pgcompat::CopySpec& spec) {
  const std::string sql =
      !spec.query.empty()
          ? spec.query
          : "SELECT " + (spec.columns.empty() ? std::string("*") : column_list(spec.columns)) +
                " FROM " + grammar::quote_identifier(spec.table);
  auto st = prepare_engine(sql, /*copy_to=*/true);
  if (!st) return std::move(st).error();
  auto& stmt = **st;
  // Its data_export record is written by audit_execution() once the vault allowed it.
  copy_out_running_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{copy_out_running_};

  const auto n = static_cast<std::size_t>(stmt.column_count());
  std::vector<wire::Format> formats(n, wire::Format::kText);
  DBV_RETURN_IF_ERROR(wire::append_copy_out_response(io_.out(), wire::Format::kText, formats));
  if (spec.header) {
    std::vector<CopyField> names;
    for (std::size_t i = 0; i < n; ++i) names.emplace_back(stmt.column_name(static_cast<int>(i)));
    DBV_RETURN_IF_ERROR(wire::append_copy_data(io_.out(), format_copy_row(spec, names)));
  }
  std::vector<wire::FieldDescription> fields;
  std::int64_t rows = 0;
  for (;;) {
    auto more = stmt.step();
    if (!more) return std::move(more).error();
    if (!*more) break;
    const Row row = current_row(stmt);
    if (rows == 0) fields = describe_columns(stmt, &row, {});
    std::vector<CopyField> text;
    for (std::size_t i = 0; i < row.size(); ++i) {
      auto v = wire::encode_text(fields[i].type_oid, to_wire(row[i]));
      if (!v) return std::move(v).error();
      text.push_back(std::move(*v));
    }
    DBV_RETURN_IF_ERROR(wire::append_copy_data(io_.out(), format_copy_row(spec, text)));
    ++rows;
    if (io_.out().size() > 256 * 1024) io_.flush();
  }
  wire::append_copy_done(io_.out());
  wire::append_command_complete(io_.out(), "COPY " + std::to_string(rows));
  return ok_status();
}

Status QueryLoop::copy_in(const pgcompat::CopySpec& spec) {
  std::string placeholders;
  // Numbered, so that the engine can seal the values of encrypted columns (it refuses a bare ?:
  // docs/encryption.md §13.4).
  for (std::size_t i = 0; i < spec.columns.size(); ++i) {
    placeholders += (i == 0 ? "?" : ", ?") + std::to_string(i + 1);
  }
  const std::string insert = "INSERT INTO " + grammar::quote_identifier(spec.table) + " (" +
                             column_list(spec.columns) + ") VALUES (" + placeholders + ")";
  const std::string shown = "COPY " + grammar::quote_identifier(spec.table) + " (" +
                            column_list(spec.columns) + ") FROM STDIN";
  auto st = conn_->prepare(insert, {.exported = false, .source = shown});
  if (!st) return std::move(st).error();
  auto& stmt = **st;
  // Refused before the client sends a row, as PostgreSQL does (each row's execution is checked
  // again: a LOCK REALM or an expiry during the COPY stops it).
  DBV_RETURN_IF_ERROR(stmt.admit());
  // All rows or none, as PostgreSQL's COPY: a savepoint (which opens a transaction when none).
  const bool in_block_before = conn_->in_transaction();
  DBV_RETURN_IF_ERROR(run_quietly("SAVEPOINT dbvault_copy"));
  auto undo = [&](Error e) -> Status {
    (void)run_quietly("ROLLBACK TO dbvault_copy");
    (void)run_quietly("RELEASE dbvault_copy");
    // A COPY outside a block leaves none behind, whatever its refusal did to the transaction
    // (a refused write may restart it, storage/savepoint_names.h): the session stays idle.
    if (!in_block_before && conn_->in_transaction()) (void)run_quietly("ROLLBACK");
    return e;
  };
  std::vector<wire::Format> formats(spec.columns.size(), wire::Format::kText);
  DBV_RETURN_IF_ERROR(wire::append_copy_in_response(io_.out(), wire::Format::kText, formats));
  io_.flush();
  CopyRowParser parser(spec);
  std::int64_t rows = 0;
  bool at_end = false;
  while (!parser.finished()) {
    auto row = parser.next(at_end);
    if (!row) return undo(std::move(row).error());
    if (!*row) {
      if (at_end) break;
      // A cancel or the statement timeout, between rows or while the client sends nothing
      // (explain_cancel names which).
      if (cancel_pending_) return undo(make_error(SqlState{"57014"}, "canceling statement"));
      auto next = io_.next(kCancelPoll);
      if (next.event == ConnectionIo::Event::kTimeout) continue;
      if (next.event != ConnectionIo::Event::kMessage) {
        terminate_ = true;
        return undo(next.error.value_or(
            make_error(sqlstate::kProtocolViolation, "connection lost during COPY")));
      }
      auto& m = *next.message;
      if (auto* data = std::get_if<wire::CopyData>(&m)) {
        parser.feed(data->bytes);
      } else if (std::holds_alternative<wire::CopyDone>(m)) {
        at_end = true;
      } else if (auto* fail = std::get_if<wire::CopyFail>(&m)) {
        return undo(make_error(SqlState{"57014"}, "COPY from stdin failed: " + fail->message));
      } else if (!std::holds_alternative<wire::Flush>(m) &&
                 !std::holds_alternative<wire::Sync>(m)) {
        return undo(make_error(sqlstate::kProtocolViolation,
                               "unexpected " + std::string(wire::message_name(m)) +
                                   " message during COPY from stdin"));
      }
      continue;
    }
    const auto& fields = **row;
    if (fields.size() != spec.columns.size()) {
      return undo(make_error(SqlState{"22P04"}, "row " + std::to_string(rows + 1) + " has " +
                                                    std::to_string(fields.size()) +
                                                    " columns, expected " +
                                                    std::to_string(spec.columns.size())));
    }
    stmt.reset();
    for (std::size_t i = 0; i < fields.size(); ++i) {
      storage::Value v = fields[i] ? storage::Value(*fields[i]) : storage::Value(std::monostate{});
      if (auto s = stmt.bind(static_cast<int>(i + 1), v); !s) return undo(std::move(s).error());
    }
    auto done = stmt.step();
    if (!done) return undo(std::move(done).error());
    ++rows;
  }
  stmt.reset();
  if (auto release = run_quietly("RELEASE dbvault_copy"); !release)
    return undo(std::move(release).error());
  wire::append_command_complete(io_.out(), "COPY " + std::to_string(rows));
  return ok_status();
}

}  // namespace dbvault::server::session
