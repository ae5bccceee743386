#include "certvault/repository/snapshot_reader.h"

#include <fmt/format.h>

#include <algorithm>
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

// A window of the file: consecutive chunks, wherever they are stored. A worker reads what they
// need with as few reads as it can (adjacent entries of one pack in one read, and across small
// gaps where the store makes a request cost more than the bytes skipped), then decodes them in
// file order.
struct WindowEntry {
  size_t pack = 0;  // index into Window::packs
  pack::EntryInfo entry;
  uint64_t file_offset = 0;
};

struct Window {
  std::vector<std::string> packs;
  std::vector<WindowEntry> entries;
  uint64_t stored_bytes = 0;  // of its entries, as read from the packs
  uint64_t raw_bytes = 0;
};

// Bounds a window's memory: what it reads, and what it decodes to. Where a request costs more
// than the bytes it skips (S3), windows are large so that reads are few; a folder's reads cost
// nothing extra, and with workers + 1 windows in flight the large windows held about 45 MiB of an
// export's peak for no speed (a 1 GiB export, medians of 3: 1.34 s and 40 MiB with 1 MiB windows,
// 1.44 s and 87 MiB with 4 MiB ones).
struct WindowLimits {
  uint64_t stored_bytes;
  uint64_t raw_bytes;
};
constexpr WindowLimits kRemoteWindow{4u << 20, 16u << 20};
constexpr WindowLimits kLocalWindow{1u << 20, 4u << 20};

// One ranged read of one pack, covering some of a window's entries.
struct PackRead {
  size_t pack = 0;
  uint64_t offset = 0;
  uint64_t bytes = 0;
};

// Plans the reads of a window: per pack, its entries in pack order, one read while the next entry
// starts at most `max_gap` bytes after the read's end and the bytes read for nothing stay within a
// budget (the window's own bytes, at least 1 MiB), so a scattered window costs at most about
// twice its bytes. `where[i]` is entry i's read and its position in it.
std::vector<PackRead> plan_reads(const Window& window, uint64_t max_gap,
                                 std::vector<std::pair<size_t, uint64_t>>& where) {
  std::vector<size_t> order(window.entries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&window](size_t a, size_t b) {
    const auto& x = window.entries[a];
    const auto& y = window.entries[b];
    return x.pack != y.pack ? x.pack < y.pack : x.entry.offset < y.entry.offset;
  });
  std::vector<PackRead> reads;
  where.assign(window.entries.size(), {0, 0});
  uint64_t skipped = 0;
  const uint64_t skip_budget = std::max<uint64_t>(window.stored_bytes, 1u << 20);
  for (const size_t i : order) {
    const auto& e = window.entries[i];
    const uint64_t span = pack::entry_span(e.entry);
    bool joins = false;
    if (!reads.empty() && reads.back().pack == e.pack) {
      auto& last = reads.back();
      const uint64_t end = last.offset + last.bytes;
      if (e.entry.offset < end) {
        joins = true;  // the same entry again (a repeated page), or overlapping: already read
      } else if (e.entry.offset - end <= max_gap && skipped + (e.entry.offset - end) <= skip_budget) {
        skipped += e.entry.offset - end;
        joins = true;
      }
    }
    if (!joins) reads.push_back({e.pack, e.entry.offset, 0});
    auto& read = reads.back();
    read.bytes = std::max(read.bytes, e.entry.offset + span - read.offset);
    where[i] = {reads.size() - 1, e.entry.offset - read.offset};
  }
  return reads;
}

// Reads, verifies and decompresses one window (runs on a worker thread: no catalog access).
std::vector<uint8_t> decode_window(const ObjectStore& objects, dictionary::DictionaryCache& dictionaries,
                                   std::span<const uint8_t> secret, const Window& window,
                                   const std::string& snapshot_id, const catalog::FileRecord& file) {
  std::vector<std::pair<size_t, uint64_t>> where;
  const auto reads = plan_reads(window, objects.request_cost_bytes(), where);
  std::vector<std::vector<uint8_t>> bytes;
  bytes.reserve(reads.size());
  for (const auto& read : reads) bytes.push_back(objects.read(window.packs[read.pack], read.offset, read.bytes));
  std::vector<uint8_t> out(window.raw_bytes);
  chunk_verify::DecompressionContext decompression(&dictionaries);
  uint64_t position = 0;
  for (size_t i = 0; i < window.entries.size(); ++i) {
    const auto& e = window.entries[i];
    const auto [read, at] = where[i];
    try {
      chunk_verify::decode_entry(std::span(bytes[read]).subspan(at, pack::entry_span(e.entry)), window.packs[e.pack],
                                 e.entry, secret, decompression,
                                 std::span<uint8_t>(out.data() + position, e.entry.raw_size));
    } catch (const Error& error) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("snapshot {} file '{}' at offset {}: chunk {} {}", snapshot_id.substr(0, 12), file.path,
                              e.file_offset, to_hex(e.entry.id), error.what()));
    }
    position += e.entry.raw_size;
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
  auto dispatch = [&](Window window) {
    while (in_flight.size() >= max_in_flight) drain_one();
    in_flight.push_back(
        std::async(std::launch::async, [&repository, secret, window = std::move(window), &snapshot_id, &file] {
          return decode_window(repository.objects(), repository.dictionaries(), secret, window, snapshot_id, file);
        }));
  };

  const WindowLimits limits = repository.objects().request_cost_bytes() > 0 ? kRemoteWindow : kLocalWindow;
  Window window;
  std::unordered_map<int64_t, size_t> window_packs;  // pack id -> index into window.packs
  uint64_t planned = 0;                              // file offset of the next chunk to plan
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
      if (!window.entries.empty() && (window.stored_bytes + pack::entry_span(entry) > limits.stored_bytes ||
                                      window.raw_bytes + entry.raw_size > limits.raw_bytes)) {
        dispatch(std::move(window));
        window = Window{};
        window_packs.clear();
      }
      auto [pack_it, added] = window_packs.emplace(location->pack_id, window.packs.size());
      if (added) window.packs.push_back(name_it->second);
      window.entries.push_back({pack_it->second, entry, planned});
      window.stored_bytes += pack::entry_span(entry);
      window.raw_bytes += entry.raw_size;
      planned += entry.raw_size;
    }
    if (!window.entries.empty()) dispatch(std::move(window));
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
