// Internal to server/wire: float4 and float8 in PostgreSQL's text form (float4out/float8out
// with extra_float_digits = 1, PostgreSQL 12+): the shortest decimal that reads back as the
// value, with PostgreSQL's two choices that a plain shortest conversion does not make:
//   - an interval boundary (a decimal that reads back as the value only by round-half-even)
//     is not accepted, as PostgreSQL's Ryu is built: it then prints one more digit;
//   - exponent notation below 1e-4 and from 1e15 (float4: 1e6), with at least two exponent
//     digits ("1e-05", "1e+15"); NaN, Infinity, -Infinity.
#pragma once

#include <optional>
#include <string>

namespace dbvault::server::wire::internal {

std::string format_float8(double v);
std::string format_float4(float v);

// The float4 nearest to v, as float4in rounds; nullopt when a finite v overflows float4.
std::optional<float> to_float4(double v);

}  // namespace dbvault::server::wire::internal
