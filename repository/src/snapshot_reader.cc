#include "certvault/repository/snapshot_reader.h"

#include <fmt/format.h>

#include <deque>
#include <future>
#include <thread>
#include <unordered_map>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/repository/repository.h"
#include "chunk_verify.h"
#include "keyed_hash.h"
#include "pack.h"
#include "recipe_store.h"

namespace certvault {
namespace {

// A run of chunks that sit back to back in one pack: read with one I/O.
struct Batch {
  std::string pack_name;
  uint64_t pack_offset = 0;
  uint64_t file_offset = 0;  // of the batch's first chunk in the file
  std::vector<pack::EntryInfo> entries;
  uint64_t bytes = 0;
};

constexpr uint64_t kBatchBytes = 4u << 20;

// Reads, verifies and decompresses one batch (runs on a worker thread: no catalog access).
std::vector<uint8_t> decode_batch(const ObjectStore& objects, dictionary::DictionaryCache& dictionaries,
                                  std::span<const uint8_t> secret, const Batch& batch, const std::string& snapshot_id,
                                  const catalog::FileRecord& file) {
  const auto bytes = objects.read(batch.pack_name, batch.pack_offset, batch.bytes);
  std::vector<uint8_t> out;
  chunk_verify::DecompressionContext decompression(&dictionaries);
  uint64_t position = 0;
  uint64_t file_offset = batch.file_offset;
  for (const auto& entry : batch.entries) {
    auto where = [&](const std::string& what) {
      return fmt::format("snapshot {} file '{}' at offset {}: chunk {} {}", snapshot_id.substr(0, 12), file.path,
                         file_offset, to_hex(entry.id), what);
    };
    const size_t start = out.size();
    out.resize(start + entry.raw_size);
    try {
      chunk_verify::decode_entry(std::span(bytes).subspan(position, pack::entry_span(entry)), batch.pack_name, entry,
                                 secret, decompression, std::span<uint8_t>(out.data() + start, entry.raw_size));
    } catch (const Error& e) {
      throw Error(ErrorKind::kIntegrity, where(e.what()));
    }
    position += pack::entry_span(entry);
    file_offset += entry.raw_size;
  }
  return out;
}

}  // namespace

void read_file_contents(Repository& repository, const std::string& snapshot_id, const catalog::FileRecord& file,
                        const std::function<void(std::span<const uint8_t>)>& sink) {
  const auto& catalog = repository.catalog();
  const auto secret = std::span<const uint8_t>(repository.config().chunk_id_secret);
  recipe::StreamedIds ids(catalog, repository.objects(), file.recipe, secret);
  std::unordered_map<int64_t, std::string> pack_names;
  StreamingDigest digest(secret);
  const unsigned workers = std::max(2u, std::thread::hardware_concurrency());
  // One batch more than workers: while the main thread hands a batch to the sink, every worker
  // still decodes one (with `workers` in flight, one worker idled during each hand-off, which
  // left the decryption of an encrypted repository on the critical path).
  const size_t max_in_flight = workers + 1;
  std::deque<std::future<std::vector<uint8_t>>> in_flight;
  uint64_t offset = 0;  // bytes handed to the sink

  auto drain_one = [&] {
    const auto bytes = in_flight.front().get();
    in_flight.pop_front();
    digest.update(bytes);
    sink(bytes);
    offset += bytes.size();
  };
  auto dispatch = [&](Batch batch) {
    while (in_flight.size() >= max_in_flight) drain_one();
    in_flight.push_back(
        std::async(std::launch::async, [&repository, secret, batch = std::move(batch), &snapshot_id, &file] {
          return decode_batch(repository.objects(), repository.dictionaries(), secret, batch, snapshot_id, file);
        }));
  };

  Batch batch;
  uint64_t planned = 0;  // file offset of the next chunk to plan
  try {
    for (uint64_t index = 0; index < ids.size(); ++index) {
      const Hash128 id = ids.at(index);
      const auto location = catalog.find_chunk(id);
      if (!location) {
        throw Error(ErrorKind::kIntegrity, fmt::format("snapshot {} file '{}' at offset {}: chunk {} is not in the "
                                                       "chunk index",
                                                       snapshot_id.substr(0, 12), file.path, planned, to_hex(id)));
      }
      auto name_it = pack_names.find(location->pack_id);
      if (name_it == pack_names.end()) {
        const auto pack = catalog.pack(location->pack_id);
        if (!pack) {
          throw Error(ErrorKind::kIntegrity,
                      fmt::format("snapshot {} file '{}' at offset {}: chunk {} points to unknown pack {}",
                                  snapshot_id.substr(0, 12), file.path, planned, to_hex(id), location->pack_id));
        }
        // The pack header's every byte, once per pack this file reads from.
        try {
          pack::verify_header(repository.objects().read(pack->name, 0, pack::kHeaderSize), pack->name);
        } catch (const Error& e) {
          throw Error(ErrorKind::kIntegrity,
                      fmt::format("snapshot {} file '{}' at offset {}: chunk {}: {}", snapshot_id.substr(0, 12),
                                  file.path, planned, to_hex(id), e.what()));
        }
        name_it = pack_names.emplace(location->pack_id, pack->name).first;
      }
      pack::EntryInfo entry;
      entry.id = id;
      entry.offset = location->offset;
      entry.raw_size = location->raw_size;
      entry.stored_size = location->stored_size;
      entry.flags = location->flags;
      entry.dictionary = location->dictionary;
      const bool continues = !batch.entries.empty() && batch.pack_name == name_it->second &&
                             batch.pack_offset + batch.bytes == entry.offset && batch.bytes < kBatchBytes;
      if (!continues) {
        if (!batch.entries.empty()) dispatch(std::move(batch));
        batch = Batch{name_it->second, entry.offset, planned, {}, 0};
      }
      batch.entries.push_back(entry);
      batch.bytes += pack::entry_span(entry);
      planned += entry.raw_size;
    }
    if (!batch.entries.empty()) dispatch(std::move(batch));
    while (!in_flight.empty()) drain_one();
  } catch (...) {
    for (auto& pending : in_flight) {
      if (pending.valid()) pending.wait();
    }
    throw;
  }
  if (offset != file.size) {
    throw Error(ErrorKind::kIntegrity, fmt::format("snapshot {} file '{}': rebuilt {} bytes, expected {}",
                                                   snapshot_id.substr(0, 12), file.path, offset, file.size));
  }
  if (digest.digest() != file.digest) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("snapshot {} file '{}': whole-file digest mismatch", snapshot_id.substr(0, 12), file.path));
  }
}

}  // namespace certvault
