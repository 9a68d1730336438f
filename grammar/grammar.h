// The grammar component's public interface, in one include:
//   parse / parse_script   text -> typed AST (parser.h)
//   split_statements       a script -> statements (splitter.h)
//   classify               extension statement or engine SQL (classifier.h)
//   to_sql                 AST -> canonical SQL, secrets redacted by default (printer.h)
//   check_condition        catalog-free checks of rule expressions (expr_check.h)
#pragma once

#include "grammar/ast.h"
#include "grammar/classifier.h"
#include "grammar/expr_check.h"
#include "grammar/interval.h"
#include "grammar/parser.h"
#include "grammar/printer.h"
#include "grammar/splitter.h"
#include "grammar/timestamp.h"
