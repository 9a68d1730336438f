// One engine statement of a simple query: prepared (from the connection's statement cache
// when its literals can be bound, docs/engine.md §6), run, and its rows sent as text.
#include "common/sqlstate.h"
#include "server/pgcompat/auto_parameters.h"
#include "server/session/data_export.h"
#include "server/session/query_loop.h"
#include "server/session/rows.h"

namespace dbvault::server::session {

Result<storage::Statement*> QueryLoop::prepare_simple(const std::string& sql, bool use_cache,
                                                      std::unique_ptr<storage::Statement>& owned) {
  if (use_cache && ctx_.config().simple_query_cache) {
    if (auto p = pgcompat::auto_parameterize(sql)) {
      auto cached = conn_->prepare_cached(
          p->sql, sql, {.exported = is_export_program(ctx_, vsession_), .source = {}});
      if (cached) {
        for (std::size_t i = 0; i < p->values.size(); ++i) {
          const auto v =
              std::visit([](auto& x) { return storage::Value{std::move(x)}; }, p->values[i]);
          DBV_RETURN_IF_ERROR((*cached)->bind(static_cast<int>(i) + 1, v));
        }
        return *cached;
      }
      // A denial is the statement's own (its literals do not change what it reads: the
      // refusal is audited once, with the text as sent). Any other error comes from the
      // rewrite: the text as written gives the error to report.
      if (cached.error().code == sqlstate::kInsufficientPrivilege) return std::move(cached).error();
    }
  }
  auto st = prepare_engine(sql);
  if (!st) return std::move(st).error();
  owned = std::move(*st);
  return owned.get();
}

Status QueryLoop::run_engine_sql(const std::string& sql, const std::string& tag_override) {
  for (bool use_cache : {true, false}) {
    std::unique_ptr<storage::Statement> owned;
    auto prepared = prepare_simple(sql, use_cache, owned);
    if (!prepared) return std::move(prepared).error();
    auto& stmt = **prepared;
    const bool cached = owned == nullptr;
    // A cached statement ends its execution here, whatever happens (no read snapshot kept).
    struct Reset {
      storage::Statement* s;
      ~Reset() {
        if (s != nullptr) s->reset();
      }
    } reset_cached{cached ? &stmt : nullptr};
    std::vector<wire::FieldDescription> fields;
    std::int64_t rows = 0;
    for (;;) {
      auto row = stmt.step();
      if (!row) {
        // The schema changed under the cached statement in a way its check did not cover: a
        // fresh statement is checked from scratch (nothing ran; the cache drops the stale one).
        if (cached && rows == 0 && stmt.needs_prepare()) break;
        return std::move(row).error();
      }
      if (!*row) {
        if (rows == 0 && stmt.column_count() > 0) {
          fields = describe_columns(stmt, nullptr, {});
          DBV_RETURN_IF_ERROR(wire::append_row_description(io_.out(), fields));
        }
        const std::string tag =
            !tag_override.empty() ? tag_override
                                  : command_tag(sql, rows, stmt.changes(), stmt.column_count() > 0);
        wire::append_command_complete(io_.out(), tag);
        return ok_status();
      }
      Row values = current_row(stmt);
      if (rows == 0) {
        fields = describe_columns(stmt, &values, {});
        DBV_RETURN_IF_ERROR(wire::append_row_description(io_.out(), fields));
      }
      DBV_RETURN_IF_ERROR(append_row(io_.out(), values, fields));
      ++rows;
      if (io_.out().size() > kFlushThreshold && !io_.flush()) {
        return make_error(SqlState{"08006"}, "connection lost while sending rows");
      }
    }
  }
  return make_error(sqlstate::kInternalError, "the statement could not be prepared again");
}

}  // namespace dbvault::server::session
