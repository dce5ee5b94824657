#pragma once
// FNV-1a 64 (Fowler, Noll, Vo), the checksum of elbo's approximation files. Each step
// h = (h xor byte) * prime is a bijection of h for a given byte (the prime is odd), so two
// inputs that differ in exactly one byte always hash differently.
#include <cstdint>
#include <string_view>

namespace elbo::detail {

inline uint64_t fnv1a_64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace elbo::detail
