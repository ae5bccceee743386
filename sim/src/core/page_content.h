// Contents of the simulated database pages.
//
// Contract: a data page is a pure function of (seed, page number, update
// counter), so recovery and verify can tell whether a page holds exactly the
// image its counter promises. Each update rewrites one of the page's six row
// slots (the rest stays byte-identical), like a row update in a real ESE page.
// Rows mix high-entropy bytes (public key, signature, hash) with structured
// UTF-16 text and DER scaffolding, so zstd -3 keeps about half of a page.
#pragma once

#include <cstdint>
#include <span>

namespace casim {

inline constexpr uint32_t kRowsPerPage = 6;
inline constexpr uint32_t kPageHeaderBytes = 32;
inline constexpr uint32_t kRowSlotBytes = 1344;

// Page header: checksum 0, page number 4, update counter 8 (u64), object id 16, row count 20.
inline constexpr size_t kPageNumberOffset = 4;
inline constexpr size_t kPageCounterOffset = 8;

void fill_page(uint64_t seed, uint32_t page, uint64_t counter, std::span<uint8_t> out);

// One page's share of the logical-state digest (the digest is the sum mod 2^64 over all pages).
uint64_t digest_term(uint32_t page, uint64_t counter);

// A 64-bit mixing function (splitmix64 finaliser), also used to seed the sim's random choices.
uint64_t mix64(uint64_t value);

}  // namespace casim
