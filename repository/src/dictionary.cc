// ZSTD_createCDict_advanced (stable since zstd 1.0; Debian builds the shared library with it
// exported): the parameters chosen for pages below.
#define ZSTD_STATIC_LINKING_ONLY
#include "dictionary.h"

#include <fmt/format.h>
#include <zdict.h>

#include <algorithm>

#include "certvault/base/error.h"
#include "certvault/base/little_endian.h"
#include "framed_object.h"

namespace certvault::dictionary {
namespace {

// The body after the frame (docs/format.md §4.4).
constexpr size_t kIdAt = 0;           // u32
constexpr size_t kRatioAt = 4;        // u32, millionths
constexpr size_t kCreatedAt = 8;      // i64, Unix seconds
constexpr size_t kRoleLengthAt = 16;  // u16, then the role (UTF-8), then the zstd dictionary
constexpr size_t kFixedBodySize = 18;

struct CompressionContext {
  ZSTD_CCtx* context = ZSTD_createCCtx();
  ~CompressionContext() { ZSTD_freeCCtx(context); }
};

size_t compressed_size(ZSTD_CCtx* context, std::span<const uint8_t> raw, int level, std::vector<uint8_t>& out) {
  out.resize(ZSTD_compressBound(raw.size()));
  const size_t n = ZSTD_compressCCtx(context, out.data(), out.size(), raw.data(), raw.size(), level);
  if (ZSTD_isError(n))
    throw Error(ErrorKind::kFailure, fmt::format("zstd compression failed: {}", ZSTD_getErrorName(n)));
  return std::min(n, raw.size());
}

}  // namespace

std::string object_name(uint32_t id) { return fmt::format("dicts/{:08x}.dict", id); }

std::vector<uint8_t> encode_object(const Dictionary& dictionary) {
  std::vector<uint8_t> body;
  le::append<uint32_t>(body, dictionary.id);
  le::append<uint32_t>(body, dictionary.ratio_ppm);
  le::append<uint64_t>(body, static_cast<uint64_t>(dictionary.created_unix));
  le::append<uint16_t>(body, static_cast<uint16_t>(dictionary.role.size()));
  body.insert(body.end(), dictionary.role.begin(), dictionary.role.end());
  body.insert(body.end(), dictionary.bytes.begin(), dictionary.bytes.end());
  return framed::wrap(framed::kDictionaryMagic, kObjectVersion, body);
}

Dictionary decode_object(std::span<const uint8_t> object, const std::string& name) {
  const std::string what = "dictionary " + name;
  const auto body = framed::unwrap(object, framed::kDictionaryMagic, kObjectVersion, what);
  auto fail = [&](const std::string& why) { throw Error(ErrorKind::kIntegrity, fmt::format("{}: {}", what, why)); };
  if (body.size() < kFixedBodySize) fail(fmt::format("body of {} bytes is too short", body.size()));
  Dictionary dictionary;
  dictionary.id = le::load<uint32_t>(body, kIdAt);
  dictionary.ratio_ppm = le::load<uint32_t>(body, kRatioAt);
  dictionary.created_unix = static_cast<int64_t>(le::load<uint64_t>(body, kCreatedAt));
  const size_t role_length = le::load<uint16_t>(body, kRoleLengthAt);
  if (body.size() < kFixedBodySize + role_length) fail("the role runs past the body");
  dictionary.role.assign(reinterpret_cast<const char*>(body.data() + kFixedBodySize), role_length);
  const auto bytes = body.subspan(kFixedBodySize + role_length);
  dictionary.bytes.assign(bytes.begin(), bytes.end());
  const unsigned zstd_id = ZDICT_getDictID(dictionary.bytes.data(), dictionary.bytes.size());
  if (zstd_id == 0) fail("not a zstd dictionary");
  if (zstd_id != dictionary.id)
    fail(fmt::format("body names id {} but the zstd dictionary's id is {}", dictionary.id, zstd_id));
  if (object_name(dictionary.id) != name)
    fail(fmt::format("holds dictionary {:08x}, which its name does not", dictionary.id));
  return dictionary;
}

catalog::DictionaryRecord record_of(const Dictionary& dictionary) {
  catalog::DictionaryRecord record;
  record.id = dictionary.id;
  record.role = dictionary.role;
  record.name = object_name(dictionary.id);
  record.size = dictionary.bytes.size();
  record.ratio_ppm = dictionary.ratio_ppm;
  record.created_unix = dictionary.created_unix;
  return record;
}

std::optional<Dictionary> train(const std::string& role, std::span<const uint8_t> sample, std::span<const size_t> sizes,
                                int level) {
  // The last eighth of the chunks is held out: the ratio is measured on chunks the dictionary was
  // not trained on. The rest is ZDICT's input as it lies, with no copy.
  size_t total = 0;
  for (const size_t size : sizes) total += size;
  if (total != sample.size()) throw Error(ErrorKind::kInternal, "dictionary::train: sizes do not add up to the sample");
  const size_t training_count = sizes.size() - sizes.size() / 8;
  size_t training_bytes = 0;
  for (size_t i = 0; i < training_count; ++i) training_bytes += sizes[i];
  std::vector<std::span<const uint8_t>> held_out;
  for (size_t i = training_count, at = training_bytes; i < sizes.size(); at += sizes[i], ++i) {
    held_out.push_back(sample.subspan(at, sizes[i]));
  }
  if (training_bytes < kMinimumSampleBytes || held_out.empty() || training_count < 8) return std::nullopt;
  const std::span<const uint8_t> training = sample.first(training_bytes);
  Dictionary dictionary;
  dictionary.role = role;
  // ZDICT's fastCover needs samples of many times the dictionary's size: given 1/8 it returned a
  // 217-byte dictionary for 1 MiB of pages, given 1/56 a useful one (docs/benchmarks.md).
  dictionary.bytes.resize(std::clamp(training.size() / 56, kSmallestCapacity, kCapacity));
  // ZDICT's single-threaded trainer: with its steps on several threads (nbThreads) training took
  // half the time, but two steps that tie are then chosen by which finishes first, and the same
  // input must give the same dictionary (and packs) every time (chunk_store.h).
  const size_t size = ZDICT_trainFromBuffer(dictionary.bytes.data(), dictionary.bytes.size(), training.data(),
                                            sizes.data(), static_cast<unsigned>(training_count));
  if (ZDICT_isError(size)) return std::nullopt;  // too few or too uniform samples: no dictionary
  dictionary.bytes.resize(size);
  dictionary.id = ZDICT_getDictID(dictionary.bytes.data(), dictionary.bytes.size());
  if (dictionary.id == 0) return std::nullopt;

  CompressionDictionary compression(dictionary, level);
  CompressionContext context;
  std::vector<uint8_t> out;
  uint64_t raw = 0, plain = 0, with_dictionary = 0;
  for (const auto chunk : held_out) {
    raw += chunk.size();
    plain += compressed_size(context.context, chunk, level, out);
    with_dictionary += std::min(compression.compress(context.context, chunk, out), chunk.size());
  }
  if (static_cast<double>(with_dictionary) > static_cast<double>(plain) * (1.0 - kMinimumSaving)) return std::nullopt;
  dictionary.ratio_ppm = static_cast<uint32_t>(with_dictionary * 1000000 / std::max<uint64_t>(raw, 1));
  return dictionary;
}

namespace {
// zstd's level-3 parameters (the "double fast" strategy: two tables probed at every position,
// 768 KiB of them for a 256 KiB dictionary) miss the cache on nearly every probe when each 8 KiB
// page starts over against the dictionary: 230 MB/s a core. The single-table strategy with a
// larger table and 6-byte matches keeps 0.4998 of the simulated CA's pages against 0.4991 at
// 1.7x the speed (docs/benchmarks.md, "Dictionaries": parameters). Decompression does not depend
// on them. Other levels keep zstd's own parameters.
constexpr int kTunedLevel = 3;

ZSTD_CDict* create_cdict(const std::vector<uint8_t>& bytes, int level) {
  if (level != kTunedLevel) return ZSTD_createCDict(bytes.data(), bytes.size(), level);
  ZSTD_compressionParameters params = ZSTD_getCParams(level, ZSTD_CONTENTSIZE_UNKNOWN, bytes.size());
  params.strategy = ZSTD_fast;
  params.hashLog = 18;
  params.minMatch = 6;
  params.targetLength = 0;
  return ZSTD_createCDict_advanced(bytes.data(), bytes.size(), ZSTD_dlm_byCopy, ZSTD_dct_auto, params,
                                   ZSTD_defaultCMem);
}
}  // namespace

CompressionDictionary::CompressionDictionary(const Dictionary& dictionary, int level)
    : id_(dictionary.id), ratio_ppm_(dictionary.ratio_ppm), cdict_(create_cdict(dictionary.bytes, level)) {
  if (cdict_ == nullptr) {
    throw Error(ErrorKind::kIntegrity, fmt::format("zstd cannot load dictionary {:08x}", dictionary.id));
  }
}

CompressionDictionary::~CompressionDictionary() { ZSTD_freeCDict(cdict_); }

size_t CompressionDictionary::compress(ZSTD_CCtx* context, std::span<const uint8_t> raw,
                                       std::vector<uint8_t>& out) const {
  out.resize(ZSTD_compressBound(raw.size()));
  // Neither dictionary id nor content size in the frame: the pack entry holds both (up to 6 bytes
  // saved per chunk).
  ZSTD_CCtx_reset(context, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(context, ZSTD_c_dictIDFlag, 0);
  ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 0);  // the entry holds raw_size
  // Attached whatever the chunk's size: with the fast strategy zstd copies the dictionary's
  // tables (1 MiB with create_cdict()'s level-3 parameters) into the context for inputs above
  // 8 KiB, which would cost more than compressing a 16 or 32 KiB page.
  ZSTD_CCtx_setParameter(context, ZSTD_c_forceAttachDict, ZSTD_dictForceAttach);
  ZSTD_CCtx_refCDict(context, cdict_);
  const size_t n = ZSTD_compress2(context, out.data(), out.size(), raw.data(), raw.size());
  ZSTD_CCtx_reset(context, ZSTD_reset_session_and_parameters);  // the plain path compresses without it
  if (ZSTD_isError(n)) {
    throw Error(ErrorKind::kFailure,
                fmt::format("zstd compression with dictionary {:08x} failed: {}", id_, ZSTD_getErrorName(n)));
  }
  return n;
}

DictionaryCache::~DictionaryCache() {
  for (auto& [id, ddict] : loaded_) ZSTD_freeDDict(ddict);
}

const ZSTD_DDict* DictionaryCache::get(uint32_t id) {
  std::lock_guard lock(mutex_);
  if (auto it = loaded_.find(id); it != loaded_.end()) return it->second;
  const std::string name = object_name(id);
  if (!objects_.exists(name)) {
    throw Error(ErrorKind::kIntegrity, fmt::format("dictionary {} is missing", name));
  }
  const auto dictionary = decode_object(objects_.read_all(name), name);
  ZSTD_DDict* ddict = ZSTD_createDDict(dictionary.bytes.data(), dictionary.bytes.size());
  if (ddict == nullptr) throw Error(ErrorKind::kIntegrity, fmt::format("dictionary {}: zstd cannot load it", name));
  loaded_.emplace(id, ddict);
  return ddict;
}

}  // namespace certvault::dictionary
