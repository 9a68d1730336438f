// The router's first question: does a statement belong to the SQL extension (parsed by
// grammar::parse into a typed AST) or is it ordinary SQL for the engine, passed through
// untouched? Decided from the leading keywords only; cheap enough for every statement.
#pragma once

#include <string_view>

namespace dbvault::grammar {

enum class StatementClass { kExtension, kEngine };

// REQUIRES: `statement` is one statement (see split_statements). Extension statements are
// those listed in docs/sql-reference.md, plus CREATE TABLE when a column is marked ENCRYPTED
// or a TABLESPACE clause follows the column list.
StatementClass classify(std::string_view statement);

}  // namespace dbvault::grammar
