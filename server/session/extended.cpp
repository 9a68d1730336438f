#include "server/session/extended.h"

#include <algorithm>
#include <charconv>

#include "grammar/classifier.h"
#include "grammar/parser.h"
#include "grammar/splitter.h"
#include "server/session/data_export.h"
#include "server/session/realm_access.h"
#include "server/session/statement_words.h"

namespace dbvault::server::session {
namespace {

// "$7" -> 6; nullopt for other names.
std::optional<int> dollar_index(std::string_view name) {
  if (name.size() < 2 || name[0] != '$') return std::nullopt;
  int n = 0;
  auto [end, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), n);
  if (ec != std::errc{} || end != name.data() + name.size() || n < 1) return std::nullopt;
  return n - 1;
}

// Splits a captured simple-statement output into its RowDescription and the rest.
void split_capture(std::string& all, std::string& description, std::string& rest) {
  if (!all.empty() && all[0] == 'T' && all.size() >= 5) {
    const auto len = (static_cast<std::uint32_t>(static_cast<unsigned char>(all[1])) << 24) |
                     (static_cast<std::uint32_t>(static_cast<unsigned char>(all[2])) << 16) |
                     (static_cast<std::uint32_t>(static_cast<unsigned char>(all[3])) << 8) |
                     static_cast<std::uint32_t>(static_cast<unsigned char>(all[4]));
    description = all.substr(0, 1 + len);
    rest = all.substr(1 + len);
  } else {
    rest = std::move(all);
  }
}

// Statements that change the session (transaction control, settings, prepared statements):
// kept as text and run whole at Bind through run_statement, which ends a failed transaction
// block and applies their effects on settings when they run, not when they are parsed.
// (pgjdbc parses BEGIN, COMMIT and ROLLBACK once as named statements and binds them later.)
bool changes_the_session(std::string_view text) {
  static constexpr std::string_view kWords[] = {
      "BEGIN",   "START", "COMMIT", "END",     "ROLLBACK",   "ABORT",  "SAVEPOINT",
      "RELEASE", "SET",   "RESET",  "DISCARD", "DEALLOCATE", "PREPARE"};
  const auto words = leading_words(text, 1);
  return !words.empty() &&
         std::find(std::begin(kWords), std::end(kWords), words[0]) != std::end(kWords);
}

bool is_copy(std::string_view text) {
  const auto words = leading_words(text, 1);
  return !words.empty() && words[0] == "COPY";
}

Status parameter_count_matches(std::size_t supplied, std::size_t required) {
  if (supplied == required) return ok_status();
  return make_error(sqlstate::kProtocolViolation,
                    "bind message supplies " + std::to_string(supplied) +
                        " parameters, but prepared statement requires " + std::to_string(required));
}

}  // namespace

QueryLoop::Portal::~Portal() {
  if (uses_prepared_stmt && prepared != nullptr) {
    --prepared->open_portals;
    if (stmt != nullptr) stmt->reset();
  }
}

void QueryLoop::extended_error(const Error& e) {
  io_.error(explain_cancel(e));
  note_error();
  skip_until_sync_ = true;
}

void QueryLoop::on_parse(wire::Parse& m) {
  if (skip_until_sync_) return;
  if (!m.name.empty() && prepared_.contains(m.name)) {
    extended_error(
        make_error(SqlState{"42P05"}, "prepared statement \"" + m.name + "\" already exists"));
    return;
  }
  const auto parts = grammar::split_statements(m.sql);
  if (parts.size() > 1) {
    extended_error(
        make_error(SqlState{"42601"}, "cannot insert multiple commands into a prepared statement"));
    return;
  }
  auto prep = std::make_unique<Prepared>();
  prep->text = parts.empty() ? std::string() : std::string(parts[0].text);
  const bool vault_statement =
      !parts.empty() && grammar::classify(prep->text) == grammar::StatementClass::kExtension;
  if (vault_statement) {
    auto shape = describe_vault_statement(prep->text);
    prep->text_markers = std::move(shape.markers);
    prep->param_types = std::move(shape.param_types);
    prep->answer_fields = std::move(shape.fields);
  }
  if (!parts.empty() && !block_failed_ && !vault_statement && !changes_the_session(prep->text)) {
    auto translated = pgcompat::translate(prep->text, *settings_, *catalog_);
    if (!translated) {
      extended_error(translated.error());
      return;
    }
    if (auto* rs = std::get_if<pgcompat::ResultSet>(&*translated)) {
      // SHOW, catalog answers: run at Bind, with their $n bound as literals (drivers look
      // types up with `WHERE t.oid = $1`); the answer computed here only gives the columns.
      prep->answer_fields = answer_fields(rs->columns);
      prep->text_markers = find_vault_placeholders(prep->text);
      const int n = vault_parameter_count(prep->text_markers);
      prep->param_types = pgcompat::infer_parameter_types(prep->text, n, *catalog_);
    }
    auto* rw = std::get_if<pgcompat::Rewritten>(&*translated);
    if (rw != nullptr && rw->statements.size() == 1) {
      auto st = prepare_engine(rw->statements[0]);
      if (!st) {
        extended_error(st.error());
        return;
      }
      prep->stmt = std::move(*st);
      prep->exported = is_export_program(ctx_, vsession_);
      prep->tag_override = rw->tag;
      const int n = prep->stmt->parameter_count();
      int max_param = 0;
      std::vector<std::pair<int, int>> pairs;  // ($n index, sqlite index)
      for (int i = 1; i <= n; ++i) {
        const auto d = dollar_index(prep->stmt->parameter_name(i));
        const int pg = d.value_or(i - 1);
        pairs.emplace_back(pg, i);
        max_param = std::max(max_param, pg + 1);
      }
      max_param = std::max<int>(max_param, static_cast<int>(m.param_type_oids.size()));
      prep->engine_index.assign(static_cast<std::size_t>(max_param), 0);
      for (auto [pg, idx] : pairs) prep->engine_index[static_cast<std::size_t>(pg)] = idx;
      // The client's own text: pgcompat reads $n and the columns they meet there.
      prep->param_types = pgcompat::infer_parameter_types(prep->text, max_param, *catalog_);
      prep->expression_types = pgcompat::infer_result_types(prep->text);
      prep->param_types.resize(static_cast<std::size_t>(max_param), wire::oid::kText);
    }
  }
  for (std::size_t i = 0; i < m.param_type_oids.size() && i < prep->param_types.size(); ++i) {
    if (m.param_type_oids[i] != 0) prep->param_types[i] = m.param_type_oids[i];
  }
  if (m.name.empty()) {
    // Replacing the unnamed statement drops portals that used it.
    for (auto it = portals_.begin(); it != portals_.end();) {
      it = it->second->prepared == prepared_[""].get() ? portals_.erase(it) : std::next(it);
    }
  }
  prepared_[m.name] = std::move(prep);
  wire::append_parse_complete(io_.out());
}

void QueryLoop::on_bind(wire::Bind& m) {
  if (skip_until_sync_) return;
  const auto it = prepared_.find(m.statement);
  if (it == prepared_.end() || !it->second) {
    extended_error(
        make_error(SqlState{"26000"}, "prepared statement \"" + m.statement + "\" does not exist"));
    return;
  }
  if (!m.portal.empty() && portals_.contains(m.portal)) {
    extended_error(make_error(SqlState{"42P03"}, "portal \"" + m.portal + "\" already exists"));
    return;
  }
  portals_.erase(m.portal);
  Prepared& prep = *it->second;
  if (block_failed_ && prep.stmt != nullptr) {
    // Prepared before the block failed: refused like any statement but its end (run_statement).
    return extended_error(make_error(SqlState{"25P02"},
                                     "current transaction is aborted, commands ignored until "
                                     "end of transaction block"));
  }
  auto portal = std::make_unique<Portal>();
  portal->prepared = &prep;
  portal->result_formats = m.result_formats;
  if (prep.stmt == nullptr) {
    if (!m.params.empty() && prep.text_markers.empty()) {
      extended_error(
          make_error(sqlstate::kFeatureNotSupported, "this statement takes no parameters"));
      return;
    }
    WipedStrings bound;
    if (!prep.text_markers.empty()) {
      if (auto s = parameter_count_matches(m.params.size(), prep.param_types.size()); !s) {
        return extended_error(s.error());
      }
      for (std::size_t i = 0; i < m.params.size(); ++i) {
        if (!m.params[i]) {
          bound.values.emplace_back();
          continue;
        }
        auto v = vault_parameter_text(prep.param_types[i], m.param_format(i), m.params[i]);
        if (!v) return extended_error(v.error());
        bound.values.emplace_back(std::move(*v));
      }
      bound.text = substitute_vault_parameters(prep.text, prep.text_markers, bound.values);
    }
    if (is_copy(prep.text)) {
      // COPY talks to the client (CopyInResponse, CopyData): it runs at Execute, after the
      // client's Describe and Execute were read, as in PostgreSQL. Describe gives NoData.
      portal->run_at_execute = prep.text;
    } else {
      std::string saved = std::move(io_.out());
      io_.out().clear();
      answer_formats_ = m.result_formats;
      auto s = prep.text.empty()
                   ? Status()
                   : run_statement(prep.text_markers.empty() ? prep.text : bound.text);
      answer_formats_.clear();
      std::string captured = std::move(io_.out());
      io_.out() = std::move(saved);
      if (!s) {
        extended_error(s.error());
        return;
      }
      if (prep.text.empty()) wire::append_empty_query_response(captured);
      split_capture(captured, portal->captured_description, portal->captured_rest);
      send_changed_parameters();
    }
  } else {
    if (auto s = parameter_count_matches(m.params.size(), prep.param_types.size()); !s) {
      return extended_error(s.error());
    }
    const bool exported = is_export_program(ctx_, vsession_);
    if (prep.open_portals == 0 && prep.exported != exported) {
      // The export list changed since Parse (SIGHUP): the statement's reads must count as
      // EXPORT (rules FOR EXPORT, data_export) exactly as a statement parsed now would.
      auto fresh = prepare_engine(prep.stmt->sql());
      if (!fresh) {
        extended_error(fresh.error());
        return;
      }
      prep.stmt = std::move(*fresh);
      prep.exported = exported;
    }
    if (prep.open_portals > 0) {
      auto copy = prepare_engine(prep.stmt->sql());
      if (!copy) {
        extended_error(copy.error());
        return;
      }
      portal->own = std::move(*copy);
      portal->stmt = portal->own.get();
    } else {
      portal->stmt = prep.stmt.get();
      portal->uses_prepared_stmt = true;
      ++prep.open_portals;
      prep.stmt->reset();
    }
    portal->stmt->clear_bindings();
    for (std::size_t i = 0; i < m.params.size(); ++i) {
      auto v = wire::decode_param(prep.param_types[i], m.param_format(i), m.params[i]);
      if (!v) {
        extended_error(v.error());
        return;
      }
      if (prep.engine_index[i] == 0) continue;  // $n not used by the statement
      if (auto s = portal->stmt->bind(prep.engine_index[i], from_wire(std::move(*v))); !s) {
        extended_error(s.error());
        return;
      }
    }
  }
  portals_[m.portal] = std::move(portal);
  wire::append_bind_complete(io_.out());
}

void QueryLoop::on_describe(const wire::Describe& m) {
  if (skip_until_sync_) return;
  if (m.kind == 'S') {
    const auto it = prepared_.find(m.name);
    if (it == prepared_.end()) {
      extended_error(
          make_error(SqlState{"26000"}, "prepared statement \"" + m.name + "\" does not exist"));
      return;
    }
    const Prepared& prep = *it->second;
    if (auto s = wire::append_parameter_description(io_.out(), prep.param_types); !s) {
      extended_error(s.error());
      return;
    }
    it->second->described = true;
    if (prep.stmt == nullptr) {
      // Run whole at Bind: described by what Parse learnt (a vault statement's columns, a
      // pgcompat answer's); other statements (vault views, several engine statements) only
      // by their portal.
      if (prep.answer_fields.empty()) {
        wire::append_no_data(io_.out());
      } else if (auto s = wire::append_row_description(io_.out(), prep.answer_fields); !s) {
        extended_error(s.error());
      }
      return;
    }
    if (prep.stmt->column_count() == 0) {
      wire::append_no_data(io_.out());
      return;
    }
    const auto fields = describe_columns(*prep.stmt, nullptr, {}, prep.expression_types);
    if (auto s = wire::append_row_description(io_.out(), fields); !s) extended_error(s.error());
    return;
  }
  const auto it = portals_.find(m.name);
  if (it == portals_.end()) {
    extended_error(make_error(SqlState{"34000"}, "portal \"" + m.name + "\" does not exist"));
    return;
  }
  Portal& p = *it->second;
  if (p.stmt == nullptr) {
    if (p.captured_description.empty()) {
      wire::append_no_data(io_.out());
    } else {
      io_.out() += p.captured_description;
    }
    return;
  }
  if (p.stmt->column_count() == 0) {
    wire::append_no_data(io_.out());
    return;
  }
  if (!p.started && p.stmt->read_only()) {
    // Step to the first row so that expression columns get the type of their value.
    p.started = true;
    p.stepped_by_message = handled_;
    // All of the Execute already here: it runs next, without waiting for the client.
    p.execute_already_here = io_.decoder().next_is_complete('E');
    auto row = p.stmt->step();
    if (!row) {
      extended_error(row.error());
      return;
    }
    if (*row) p.peeked = current_row(*p.stmt);
    p.done = !*row;
  }
  p.fields = describe_columns(*p.stmt, p.peeked ? &*p.peeked : nullptr, p.result_formats,
                              p.prepared->expression_types);
  p.described = true;
  if (auto s = wire::append_row_description(io_.out(), p.fields); !s) extended_error(s.error());
}

void QueryLoop::on_execute(const wire::Execute& m) {
  if (skip_until_sync_) return;
  const auto it = portals_.find(m.portal);
  if (it == portals_.end()) {
    extended_error(make_error(SqlState{"34000"}, "portal \"" + m.portal + "\" does not exist"));
    return;
  }
  Portal& p = *it->second;
  if (p.stmt == nullptr && !p.run_at_execute.empty()) {
    if (auto s = run_statement(std::exchange(p.run_at_execute, {})); !s) extended_error(s.error());
    return;
  }
  if (p.stmt == nullptr) {
    io_.out() += p.captured_rest;
    p.captured_rest.clear();
    return;
  }
  if (block_failed_ && !aborted_block_allows(p.stmt->sql())) {
    extended_error(make_error(SqlState{"25P02"},
                              "current transaction is aborted, commands ignored until end of "
                              "transaction block"));
    return;
  }
  // The Execute the client sent together with the Describe that began the portal, and that
  // directly follows it: its check is the one that Describe's step made a moment ago (nothing
  // of this session ran between them). pgbench -M prepared, and most drivers, send Bind,
  // Describe, Execute, Sync at once: a second full check per execution cost a third of it.
  const bool pipelined_after_describe =
      p.execute_already_here && p.rows == 0 && p.stepped_by_message + 1 == handled_;
  if (!p.done && !pipelined_after_describe) {
    // A portal resumed after other messages (or described, which reads its first row, and
    // executed later): since its rows began, the session may have locked the realm, or its
    // unlock expired or was revoked. Rows already read (the peeked one too) are not sent then.
    if (auto s = p.stmt->recheck(); !s) {
      portals_.erase(it);
      extended_error(s.error());
      return;
    }
  }
  auto emit = [&](const Row& row) -> Status {
    if (!p.described) {
      p.fields = describe_columns(*p.stmt, p.prepared->described ? nullptr : &row, p.result_formats,
                                  p.prepared->expression_types);
      p.described = true;
    }
    ++p.rows;
    return append_row(io_.out(), row, p.fields);
  };
  std::int64_t sent = 0;
  const std::int64_t limit = m.max_rows > 0 ? m.max_rows : -1;
  arm_timeout();
  struct Disarm {
    QueryLoop& q;
    ~Disarm() { q.disarm_timeout(); }
  } disarm{*this};
  if (p.peeked) {
    if (auto s = emit(*p.peeked); !s) return extended_error(s.error());
    p.peeked.reset();
    ++sent;
  }
  while (!p.done && (limit < 0 || sent < limit)) {
    auto row = p.stmt->step();
    p.started = true;
    if (!row) return extended_error(row.error());
    if (!*row) {
      p.done = true;
      break;
    }
    if (auto s = emit(current_row(*p.stmt)); !s) return extended_error(s.error());
    ++sent;
    if (io_.out().size() > 256 * 1024) io_.flush();
  }
  if (!p.done) {
    // Is there another row? Only a step can tell; keep it for the next Execute.
    auto row = p.stmt->step();
    if (!row) return extended_error(row.error());
    if (*row) {
      p.peeked = current_row(*p.stmt);
      wire::append_portal_suspended(io_.out());
      return;
    }
    p.done = true;
  }
  const std::string tag =
      !p.prepared->tag_override.empty()
          ? p.prepared->tag_override
          : command_tag(p.stmt->sql(), p.rows, p.stmt->changes(), p.stmt->column_count() > 0);
  wire::append_command_complete(io_.out(), tag);
  send_changed_parameters();
}

void QueryLoop::on_close(const wire::Close& m) {
  if (skip_until_sync_) return;
  if (m.kind == 'S') {
    const auto it = prepared_.find(m.name);
    if (it != prepared_.end()) {
      for (auto p = portals_.begin(); p != portals_.end();) {
        p = p->second->prepared == it->second.get() ? portals_.erase(p) : std::next(p);
      }
      prepared_.erase(it);
    }
  } else {
    portals_.erase(m.name);
  }
  wire::append_close_complete(io_.out());
}

void QueryLoop::on_sync() {
  skip_until_sync_ = false;
  // Outside a transaction block the implicit transaction ends here: portals go, and with
  // them the statements' read snapshots.
  if (!(conn_ && conn_->in_transaction())) portals_.clear();
  ready_for_query();
}

}  // namespace dbvault::server::session
