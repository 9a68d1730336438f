#include "pgext/log_hook.h"

#include <cstring>
#include <string>

#include "pgext/redaction.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/xact.h"

#include "tcop/tcopprot.h"
#include "utils/elog.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

emit_log_hook_type g_prev_emit_log = nullptr;

// The redacted text lives here, not in the hook's frame (which calls pstrdup).
std::string& redacted() {
  static std::string text;
  return text;
}

bool redact_guarded(const char* in, bool context) noexcept {
  try {
    redacted() = context ? redact_context(in) : redact(in);
    return true;
  } catch (...) {
    return false;
  }
}

// The start of the statement during which a dbvault function ran (mark_secret_statement).
TimestampTz g_secret_statement = 0;

bool may_carry_secrets(const char* sql) noexcept {
  if (g_secret_statement != 0 && g_secret_statement == GetCurrentStatementStartTimestamp()) {
    return true;
  }
  try {
    return sql != nullptr && may_pass_secrets(sql);
  } catch (...) {
    return true;  // cannot tell: redact
  }
}

// Replaces *text by its redaction (or by "?" when it cannot be redacted) when it may hold
// the statement's literals: it goes only to the server log, or it quotes the statement or
// its parameters. A vault error the client gets (which never names a secret) stays exact.
void redact_field(char** text, bool to_client, bool context = false) {
  if (*text == nullptr) return;
  if (to_client && debug_query_string != nullptr && strstr(*text, debug_query_string) == nullptr &&
      strncmp(*text, "parameters:", 11) != 0) {
    return;
  }
  *text = pstrdup(redact_guarded(*text, context) ? redacted().c_str() : "?");
}

// Set by a statement that writes rows the session may not read whole, until its transaction
// ends (a deferred constraint fails at COMMIT, during the transaction's end, before this
// flag is reset by the transaction callback, and its error is reported before the abort).
bool g_hidden_rows_in_transaction = false;

void on_transaction_end(XactEvent event, void*) {
  if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE ||
      event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT) {
    g_hidden_rows_in_transaction = false;
  }
}

bool describes_rows(int sqlerrcode) {
  const int category = ERRCODE_TO_CATEGORY(sqlerrcode);
  return category == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION ||
         category == ERRCODE_TO_CATEGORY(ERRCODE_WITH_CHECK_OPTION_VIOLATION);
}

void hide_row_values(ErrorData* edata) {
  if (!g_hidden_rows_in_transaction || !describes_rows(edata->sqlerrcode)) return;
  const char* kHidden =
      "dbvault: the row's values are not shown (the session may not read all "
      "of the table's columns)";
  if (edata->detail != nullptr) edata->detail = pstrdup(kHidden);
  if (edata->detail_log != nullptr) edata->detail_log = pstrdup(kHidden);
}

void emit_log(ErrorData* edata) {
  hide_row_values(edata);
  if (may_carry_secrets(debug_query_string) && edata->output_to_server) {
    edata->hide_stmt = true;
    redact_field(&edata->message, edata->output_to_client);
    redact_field(&edata->detail, edata->output_to_client);
    redact_field(&edata->detail_log, false);
    redact_field(&edata->internalquery, false);
    // The CONTEXT lines quote the statements of functions and DO blocks being run
    // ("SQL statement "SELECT dbvault.unlock_realm('r', 'pw')"").
    redact_field(&edata->context, false, true);
  }
  if (g_prev_emit_log != nullptr) g_prev_emit_log(edata);
}

}  // namespace

void mark_secret_statement() { g_secret_statement = GetCurrentStatementStartTimestamp(); }

void mark_hidden_row_values() { g_hidden_rows_in_transaction = true; }

void install_log_hook() {
  g_prev_emit_log = emit_log_hook;
  emit_log_hook = emit_log;
  RegisterXactCallback(on_transaction_end, nullptr);
}

}  // namespace dbvault::pgext
