// certvault's one little-endian codec: every integer of an on-disk or on-wire
// format certvault reads or writes (packs, framed objects, recipe objects, ESE
// headers, Certadm's UTF-16LE name lists) goes through these functions, so the
// byte order is decided once, whatever the host's.
//
// Contract:
// - load<T>(bytes, offset) returns the sizeof(T) bytes at `offset` as an
//   unsigned integer, least significant byte first; store<T>(bytes, offset, v)
//   writes them; append<T>(out, v) adds them at the end of `out`.
// - The width is always spelled out at the call (load<uint32_t>, never deduced
//   from a value), so a call reads like the format's table.
// - load and store check the range against the span: bytes outside it are a
//   broken caller contract (parsers check a length before they read a field, and
//   report a short input as the format's own integrity error), so they throw
//   Error(kInternal) naming the width, the offset and the span's size; nothing
//   is read or written outside the span.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

namespace certvault::le {

namespace detail {
// Throws Error(kInternal): `width` bytes at `offset` do not lie inside `size` bytes.
[[noreturn]] void throw_out_of_range(const char* operation, size_t width, size_t offset, size_t size);
}  // namespace detail

template <std::unsigned_integral T>
T load(std::span<const uint8_t> bytes, size_t offset) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) {
    detail::throw_out_of_range("load", sizeof(T), offset, bytes.size());
  }
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(static_cast<T>(bytes[offset + i]) << (8 * i));
  return value;
}

template <std::unsigned_integral T>
void store(std::span<uint8_t> bytes, size_t offset, std::type_identity_t<T> value) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) {
    detail::throw_out_of_range("store", sizeof(T), offset, bytes.size());
  }
  for (size_t i = 0; i < sizeof(T); ++i) bytes[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

template <std::unsigned_integral T>
void append(std::vector<uint8_t>& out, std::type_identity_t<T> value) {
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

}  // namespace certvault::le
