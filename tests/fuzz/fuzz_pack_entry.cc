// The pack entry decoder: entry header checks, zstd decompression into a
// buffer of the indexed size, and the keyed id (chunk_verify::decode_entry,
// which export, restore and check use for every chunk).
//
// Input: a 192-byte chunk-id secret followed by one entry as it lies in a pack
// (48-byte header, envelope, stored bytes); the committed corpus holds entries
// cut from the golden repositories with their secrets, so unmutated they
// decode all the way. Inputs shorter than a secret are an entry under a fixed
// secret.
//
// Each input is decoded twice: as it is, against the index values its own
// header claims (so header mutations reach every header check), and with its
// sizes and checksums made consistent again (XXH64 is no defence against a
// deliberate change), so that mutated stored bytes reach zstd.
#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <string>

#include "certvault/repository/repository.h"
#include "chunk_verify.h"
#include "fuzz_target.h"
#include "keyed_hash.h"
#include "pack.h"

namespace {
namespace pack = certvault::pack;

constexpr size_t kSecretSize = certvault::kChunkIdSecretSize;
// Real chunks are at most 16 MiB (the chunker's largest max size), 32 KiB with
// the default parameters; the fuzzer keeps to 64 KiB, since every decode
// allocates, decompresses and hashes the claimed raw size (at 1 MiB it ran
// 140 inputs a second).
constexpr uint32_t kLargestRawSize = 64u << 10;

std::array<uint8_t, kSecretSize> fixed_secret() {
  std::array<uint8_t, kSecretSize> secret;
  for (size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<uint8_t>(i * 37 + 11);
  return secret;
}

template <typename T>
T get_le(const uint8_t* at) {
  T value = 0;
  for (size_t i = sizeof(T); i-- > 0;) value = static_cast<T>((value << 8) | at[i]);
  return value;
}

template <typename T>
void put_le(uint8_t* at, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) at[i] = static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i));
}

// docs/format.md, "Pack files": the entry header.
std::vector<uint8_t> make_entry(std::span<const uint8_t> secret, std::span<const uint8_t> raw,
                                std::span<const uint8_t> stored, uint16_t flags) {
  // Sized once and filled (not grown by insert(), which GCC 12 -Warray-bounds misreads).
  std::vector<uint8_t> entry(pack::kEntryHeaderSize + stored.size(), 0);
  std::memcpy(entry.data(), "CVCE", 4);
  put_le<uint16_t>(&entry[4], flags);
  const auto id = certvault::keyed_hash128(raw, secret);
  std::memcpy(&entry[8], id.data(), id.size());
  put_le<uint32_t>(&entry[24], static_cast<uint32_t>(raw.size()));
  put_le<uint32_t>(&entry[28], static_cast<uint32_t>(stored.size()));
  put_le<uint64_t>(&entry[32], XXH64(stored.data(), stored.size(), 0));
  put_le<uint32_t>(&entry[40], static_cast<uint32_t>(XXH64(entry.data(), 40, 0)));
  std::copy(stored.begin(), stored.end(), entry.begin() + pack::kEntryHeaderSize);
  return entry;
}

std::vector<uint8_t> with_secret(std::span<const uint8_t> secret, const std::vector<uint8_t>& entry) {
  std::vector<uint8_t> input(secret.size() + entry.size());
  std::copy(entry.begin(), entry.end(), std::copy(secret.begin(), secret.end(), input.begin()));
  return input;
}

std::vector<std::vector<uint8_t>> pack_entry_seeds() {
  const auto secret = fixed_secret();
  std::string text;
  for (int i = 0; i < 200; ++i) text += "certificate " + std::to_string(i) + " issued\n";
  const std::vector<uint8_t> raw(text.begin(), text.end());
  std::vector<uint8_t> compressed(ZSTD_compressBound(raw.size()));
  compressed.resize(ZSTD_compress(compressed.data(), compressed.size(), raw.data(), raw.size(), 3));
  std::vector<uint8_t> empty_frame(ZSTD_compressBound(0));
  empty_frame.resize(ZSTD_compress(empty_frame.data(), empty_frame.size(), nullptr, 0, 3));
  const std::vector<uint8_t> nothing;
  return {with_secret(secret, make_entry(secret, raw, compressed, pack::kFlagCompressed)),
          with_secret(secret, make_entry(secret, raw, raw, 0)),
          with_secret(secret, make_entry(secret, nothing, empty_frame, pack::kFlagCompressed)),
          make_entry(secret, raw, raw, 0), std::vector<uint8_t>(pack::kEntryHeaderSize, 0)};
}

// What the index would say about the entry, taken from its own header.
pack::EntryInfo claimed(std::span<const uint8_t> entry) {
  pack::EntryInfo info;
  info.offset = pack::kHeaderSize;
  if (entry.size() < pack::kEntryHeaderSize) return info;
  std::memcpy(info.id.data(), &entry[8], info.id.size());
  info.flags = get_le<uint16_t>(&entry[4]);
  info.envelope_size = get_le<uint16_t>(&entry[6]);
  info.raw_size = get_le<uint32_t>(&entry[24]);
  info.stored_size = get_le<uint32_t>(&entry[28]);
  return info;
}

void decode(std::span<const uint8_t> entry, std::span<const uint8_t> secret, const pack::EntryInfo& expected) {
  if (expected.raw_size > kLargestRawSize) return;
  static certvault::chunk_verify::DecompressionContext decompression;
  std::vector<uint8_t> raw(expected.raw_size);
  try {
    certvault::chunk_verify::decode_entry(entry, "packs/fu/fuzz.pack", expected, secret, decompression, raw);
  } catch (const std::exception&) {
  }
}

void decode_pack_entry(const uint8_t* data, size_t size) {
  const auto fallback = fixed_secret();
  std::span<const uint8_t> input(data, size);
  std::span<const uint8_t> secret(fallback);
  if (input.size() >= kSecretSize) {
    secret = input.first(kSecretSize);
    input = input.subspan(kSecretSize);
  }
  decode(input, secret, claimed(input));

  if (input.size() < pack::kEntryHeaderSize) return;
  std::vector<uint8_t> entry(input.begin(), input.end());
  const size_t envelope = std::min<size_t>(get_le<uint16_t>(&entry[6]), entry.size() - pack::kEntryHeaderSize);
  put_le<uint16_t>(&entry[6], static_cast<uint16_t>(envelope));
  const auto stored = std::span(entry).subspan(pack::kEntryHeaderSize + envelope);
  put_le<uint32_t>(&entry[24], std::min(get_le<uint32_t>(&entry[24]), kLargestRawSize));
  put_le<uint32_t>(&entry[28], static_cast<uint32_t>(stored.size()));
  put_le<uint64_t>(&entry[32], XXH64(stored.data(), stored.size(), 0));
  put_le<uint32_t>(&entry[40], static_cast<uint32_t>(XXH64(entry.data(), 40, 0)));
  decode(entry, secret, claimed(entry));
}
}  // namespace

CERTVAULT_FUZZ_TARGET(pack_entry, pack_entry_seeds, decode_pack_entry);
