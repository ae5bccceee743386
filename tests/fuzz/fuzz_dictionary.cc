// zstd dictionary objects `dicts/<8 hex>.dict` (docs/format.md §4.4): the
// frame, the body's id, ratio, time and role, and the dictionary handed to
// zstd, as DictionaryCache::get() loads one for export, restore and check.
//
// Each input is stored under the name its body's id gives (so the name check
// passes and the bytes reach zstd) and loaded, as it is and re-framed
// (reframed.h). What decodes must name itself: decode_object() checks the
// name, the body's id and zstd's id agree.
#include <zdict.h>

#include <cstdlib>
#include <span>
#include <string>

#include "certvault/base/error.h"
#include "certvault/base/little_endian.h"
#include "dictionary.h"
#include "fuzz_target.h"
#include "memory_object_store.h"
#include "reframed.h"

namespace {
using namespace certvault;

std::vector<std::vector<uint8_t>> dictionary_seeds() {
  // Records alike in their structure, unlike in their values: what ZDICT needs to find a
  // dictionary (the product trains on database pages the same way, dictionary::train()).
  std::string samples;
  std::vector<size_t> sizes;
  for (int i = 0; i < 400; ++i) {
    const auto record = "serial=" + std::to_string(i * 7919) + ";subject=CN=host" + std::to_string(i % 37) +
                        ".example.org;issuer=CN=Golden CA;not_after=" + std::to_string(1764000000 + i * 86400) +
                        ";status=" + (i % 3 == 0 ? "revoked" : "issued") + ";";
    samples += record + record;
    sizes.push_back(record.size() * 2);
  }
  std::vector<std::vector<uint8_t>> seeds;
  for (const size_t capacity : {size_t{1024}, size_t{4096}}) {
    dictionary::Dictionary dictionary;
    dictionary.bytes.resize(capacity);
    const size_t n = ZDICT_trainFromBuffer(dictionary.bytes.data(), dictionary.bytes.size(), samples.data(),
                                           sizes.data(), static_cast<unsigned>(sizes.size()));
    if (ZDICT_isError(n)) continue;
    dictionary.bytes.resize(n);
    dictionary.id = ZDICT_getDictID(dictionary.bytes.data(), dictionary.bytes.size());
    dictionary.role = capacity == 1024 ? "database" : "log";
    dictionary.ratio_ppm = 400000;
    dictionary.created_unix = 1764000000;
    seeds.push_back(dictionary::encode_object(dictionary));
  }
  seeds.push_back(dictionary::encode_object({0x1234, "", 0, 0, {}}));  // no zstd dictionary at all
  return seeds;
}

void load(std::span<const uint8_t> object) {
  // The id the body names, when it has one; the name is then the one decode_object() expects.
  constexpr size_t kIdAt = framed::kHeaderSize;
  const uint32_t id = object.size() >= kIdAt + 4 ? le::load<uint32_t>(object, kIdAt) : 0;
  fuzz::MemoryObjectStore store;
  store.set(dictionary::object_name(id), object);
  try {
    const auto decoded = dictionary::decode_object(object, dictionary::object_name(id));
    if (decoded.id != id || decoded.id == 0) std::abort();
  } catch (const Error&) {
  }
  try {
    dictionary::DictionaryCache cache(store);
    if (cache.get(id) == nullptr) std::abort();  // get() throws rather than giving nothing
  } catch (const Error&) {
  }
}

void load_dictionary_input(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  load(input);
  load(fuzz::reframed(framed::kDictionaryMagic, dictionary::kObjectVersion, input));
}
}  // namespace

CERTVAULT_FUZZ_TARGET(dictionary, dictionary_seeds, load_dictionary_input);
