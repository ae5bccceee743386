// Lower-case hexadecimal text for ids, keys and digests.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace certvault {
std::string to_hex(std::span<const uint8_t> bytes);
// Throws Error(kIntegrity) naming `what` on odd length or a non-hex digit.
std::vector<uint8_t> from_hex(std::string_view text, const std::string& what);
// Fills `out` from hex of exactly 2*out.size() digits, else throws like from_hex.
void from_hex_exact(std::string_view text, std::span<uint8_t> out, const std::string& what);
// Random bytes from the operating system (getrandom), for ids and secrets.
void fill_random(std::span<uint8_t> out);
}  // namespace certvault
