// Internal to server/wire: DBV_ASSIGN(name, expr) evaluates a Result-returning expression
// once, returns its error from the enclosing function, else declares `name` with its value.
#pragma once

#define DBV_ASSIGN(lhs, expr)                                       \
  auto lhs##_result_ = (expr);                                      \
  if (!lhs##_result_.ok()) return std::move(lhs##_result_).error(); \
  auto lhs = std::move(lhs##_result_).value()
