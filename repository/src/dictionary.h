// zstd dictionaries: immutable objects `dicts/<8 hex>.dict` (docs/format.md §4.4), trained with
// ZDICT from a sample of a file role's chunks, and the cache readers load them through.
//
// Contract:
// - A dictionary's id is the zstd dictionary id ZDICT derives from its content (never 0); the
//   object name carries it, the object body repeats it and decode_object() checks all three agree.
// - train() returns nothing when the sample is too small or the dictionary would not save at least
//   kMinimumSaving of the held-out part of the sample: then the role is compressed without one.
// - DictionaryCache loads each dictionary once, on first use, and is safe to share between threads.
#pragma once

#include <zstd.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"
#include "certvault/repository/object_store.h"

namespace certvault::dictionary {

inline constexpr uint32_t kObjectVersion = 1;  // in the frame's version field (§4.4)
// Measured on the simulated CA's pages (docs/benchmarks.md, "Dictionaries"): 112 KiB trained on
// 8 MiB kept 0.502 of the pages, 256 KiB on 16 MiB 0.499, 512 KiB on 32 MiB 0.498.
inline constexpr size_t kCapacity = 256 * 1024;  // bytes of a trained dictionary, at most
inline constexpr size_t kSmallestCapacity = 4 * 1024;
inline constexpr size_t kSampleBytes = 16u << 20;  // chunks held back to train on
inline constexpr size_t kMinimumSampleBytes = 64 * 1024;
inline constexpr double kMinimumSaving = 0.02;            // of the held-out sample's compressed size
inline constexpr uint64_t kDriftWindowBytes = 64u << 20;  // raw bytes between two ratio checks
inline constexpr double kDriftTolerance = 1.10;           // retrain when the ratio is 10% worse than trained

struct Dictionary {
  uint32_t id = 0;
  std::string role;
  uint32_t ratio_ppm = 0;  // stored/raw of the held-out sample compressed with it, in millionths
  int64_t created_unix = 0;
  std::vector<uint8_t> bytes;
};

std::string object_name(uint32_t id);  // "dicts/<8 hex>.dict"
std::vector<uint8_t> encode_object(const Dictionary& dictionary);
// Throws Error(kIntegrity) naming `name` for a damaged frame, a malformed body, or ids (name, body,
// dictionary) that disagree.
Dictionary decode_object(std::span<const uint8_t> object, const std::string& name);
catalog::DictionaryRecord record_of(const Dictionary& dictionary);

// Trains on the chunks of one role laid end to end in `sample` (their sizes in order in `sizes`)
// at zstd `level`, holding the last eighth of them out to measure the ratio; see the contract above.
// ZDICT reads its samples from one buffer, so a sample held this way is never copied.
std::optional<Dictionary> train(const std::string& role, std::span<const uint8_t> sample, std::span<const size_t> sizes,
                                int level);

// A compression dictionary ready for workers (ZSTD_CDict at the repository's level).
class CompressionDictionary {
 public:
  CompressionDictionary(const Dictionary& dictionary, int level);
  ~CompressionDictionary();
  CompressionDictionary(const CompressionDictionary&) = delete;
  CompressionDictionary& operator=(const CompressionDictionary&) = delete;
  uint32_t id() const { return id_; }
  uint32_t ratio_ppm() const { return ratio_ppm_; }
  // Compresses `raw` into `out` (resized to fit) as one frame without a dictionary id in its
  // header; returns the compressed size. Throws Error(kFailure) on a zstd error.
  size_t compress(ZSTD_CCtx* context, std::span<const uint8_t> raw, std::vector<uint8_t>& out) const;

 private:
  uint32_t id_;
  uint32_t ratio_ppm_;
  ZSTD_CDict* cdict_;
};

class DictionaryCache {
 public:
  explicit DictionaryCache(const ObjectStore& objects) : objects_(objects) {}
  ~DictionaryCache();
  DictionaryCache(const DictionaryCache&) = delete;
  DictionaryCache& operator=(const DictionaryCache&) = delete;
  // Loads and verifies `dicts/<id>.dict` on first use. Throws Error(kIntegrity) when it is missing
  // or damaged.
  const ZSTD_DDict* get(uint32_t id);

 private:
  const ObjectStore& objects_;
  std::mutex mutex_;
  std::map<uint32_t, ZSTD_DDict*> loaded_;
};

}  // namespace certvault::dictionary
