// Box<T>: a heap cell with value semantics (deep copy, deep equality), so that recursive AST
// types (an expression inside an expression, a statement inside EXPLAIN VAULT) stay plain
// values that can be copied and compared.
#pragma once

#include <memory>
#include <utility>

namespace dbvault::ast {

template <typename T>
class Box {
 public:
  Box(T value) : p_(std::make_unique<T>(std::move(value))) {}  // NOLINT: implicit by design
  Box(const Box& other) : p_(std::make_unique<T>(*other.p_)) {}
  Box(Box&& other) noexcept : p_(std::make_unique<T>(std::move(*other.p_))) {}
  Box& operator=(const Box& other) {
    if (this != &other) *p_ = *other.p_;
    return *this;
  }
  Box& operator=(Box&& other) noexcept {
    if (this != &other) *p_ = std::move(*other.p_);
    return *this;
  }
  ~Box() = default;

  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }

  bool operator==(const Box& other) const { return *p_ == *other.p_; }

 private:
  std::unique_ptr<T> p_;  // never null
};

}  // namespace dbvault::ast
