#include "chunk_store.h"

#include <fmt/format.h>
#include <zstd.h>

#include <chrono>
#include <utility>

#include "certvault/base/error.h"

namespace certvault {
namespace {
constexpr size_t kMaxQueuedJobs = 256;
// Also bounded in bytes: a log's chunks are 1 MiB blocks (at least one job is always admitted).
constexpr uint64_t kMaxQueuedBytes = 16u << 20;

struct CompressionContext {
  ZSTD_CCtx* context = ZSTD_createCCtx();
  ~CompressionContext() { ZSTD_freeCCtx(context); }
};
}  // namespace

ChunkStore::ChunkStore(ObjectStore& objects, int zstd_level, uint64_t pack_target_bytes, unsigned workers,
                       uint32_t pack_version, const catalog::Catalog* catalog)
    : objects_(objects),
      zstd_level_(zstd_level),
      pack_target_bytes_(pack_target_bytes),
      pack_version_(pack_version),
      catalog_(pack_version >= pack::kVersion2 ? catalog : nullptr) {
  if (workers == 0) workers = 1;
  for (unsigned i = 0; i < workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ChunkStore::~ChunkStore() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
    queue_.clear();
    queued_bytes_ = 0;
  }
  queue_not_empty_.notify_all();
  queue_not_full_.notify_all();
  for (auto& worker : workers_) worker.join();
  // An unfinished pack writer is destroyed here without commit: no object appears.
}

void ChunkStore::rethrow_worker_error() {
  if (worker_error_) std::rethrow_exception(worker_error_);
}

void ChunkStore::add(const Hash128& id, std::span<const uint8_t> raw, const std::string& dictionary_role) {
  Job job{id, std::vector<uint8_t>(raw.begin(), raw.end()), nullptr, nullptr};
  if (catalog_ == nullptr || dictionary_role.empty()) return enqueue(std::move(job));
  auto& r = role(dictionary_role);
  if (!r.sampling && !r.gave_up && r.current) {
    // Drift: the ratio of the last window against the one measured when the dictionary was trained.
    std::lock_guard lock(stats_mutex_);
    if (r.window_raw >= dictionary::kDriftWindowBytes) {
      const double measured = static_cast<double>(r.window_stored) / static_cast<double>(r.window_raw);
      const double trained = r.current->ratio_ppm() / 1e6;
      if (measured > trained * dictionary::kDriftTolerance) r.sampling = true;
      r.window_raw = r.window_stored = 0;
    }
  }
  if (r.sampling) {
    r.held_bytes += job.raw.size();
    r.held.push_back(std::move(job));
    if (r.held_bytes >= dictionary::kSampleBytes) train(r);
    return;
  }
  job.dictionary = r.current;
  job.role = &r;
  enqueue(std::move(job));
}

ChunkStore::Role& ChunkStore::role(const std::string& name) {
  auto& r = roles_[name];
  if (r.loaded) return r;
  r.loaded = true;
  r.name = name;
  if (const auto record = catalog_->latest_dictionary(name)) {
    try {
      const auto dictionary = dictionary::decode_object(objects_.read_all(record->name), record->name);
      r.current = std::make_shared<const dictionary::CompressionDictionary>(dictionary, zstd_level_);
    } catch (const Error&) {
      // A damaged or missing dictionary is check's to report; new chunks train a new one.
    }
  }
  r.sampling = !r.current;
  return r;
}

void ChunkStore::train(Role& r) {
  r.sampling = false;
  std::vector<std::span<const uint8_t>> samples;
  samples.reserve(r.held.size());
  for (const auto& job : r.held) samples.emplace_back(job.raw);
  auto trained = dictionary::train(r.name, samples, zstd_level_);
  if (trained) {
    trained->created_unix =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto name = dictionary::object_name(trained->id);
    bool usable = true;
    if (!objects_.exists(name)) {
      objects_.put(name, dictionary::encode_object(*trained));  // durable before any chunk uses it
    } else {
      // Same id: the same content, unless a 31-bit collision; use it only if it is that dictionary.
      try {
        usable = dictionary::decode_object(objects_.read_all(name), name).bytes == trained->bytes;
      } catch (const Error&) {
        usable = false;
      }
    }
    if (usable) {
      r.current = std::make_shared<const dictionary::CompressionDictionary>(*trained, zstd_level_);
      new_dictionaries_.push_back(dictionary::record_of(*trained));
    }
  } else if (!r.current) {
    r.gave_up = true;  // too little or too uniform data for a dictionary that pays off
  }
  {
    std::lock_guard lock(stats_mutex_);
    r.window_raw = r.window_stored = 0;
  }
  auto held = std::move(r.held);
  r.held.clear();
  r.held_bytes = 0;
  for (auto& job : held) {
    job.dictionary = r.current;
    job.role = &r;
    enqueue(std::move(job));
  }
}

void ChunkStore::enqueue(Job job) {
  std::unique_lock lock(queue_mutex_);
  queue_not_full_.wait(lock, [&] {
    return (queue_.size() < kMaxQueuedJobs && (queue_.empty() || queued_bytes_ < kMaxQueuedBytes)) || worker_error_;
  });
  rethrow_worker_error();
  queued_bytes_ += job.raw.size();
  queue_.push_back(std::move(job));
  lock.unlock();
  queue_not_empty_.notify_one();
}

void ChunkStore::worker_loop() {
  CompressionContext compression;
  std::vector<uint8_t> compressed;
  while (true) {
    Job job;
    {
      std::unique_lock lock(queue_mutex_);
      queue_not_empty_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= job.raw.size();
      ++busy_workers_;
    }
    queue_not_full_.notify_one();
    try {
      size_t size = 0;
      if (job.dictionary) {
        size = job.dictionary->compress(compression.context, job.raw, compressed);
      } else {
        compressed.resize(ZSTD_compressBound(job.raw.size()));
        size = ZSTD_compressCCtx(compression.context, compressed.data(), compressed.size(), job.raw.data(),
                                 job.raw.size(), zstd_level_);
        if (ZSTD_isError(size)) {
          throw Error(ErrorKind::kFailure, fmt::format("zstd compression failed: {}", ZSTD_getErrorName(size)));
        }
      }
      const auto raw_size = static_cast<uint32_t>(job.raw.size());
      if (job.role != nullptr) {
        std::lock_guard lock(stats_mutex_);
        job.role->window_raw += job.raw.size();
        job.role->window_stored += std::min(size, job.raw.size());
      }
      if (size < job.raw.size()) {
        append_to_pack(job.id, raw_size, pack::kFlagCompressed, std::span(compressed.data(), size),
                       job.dictionary ? job.dictionary->id() : 0);
      } else {
        append_to_pack(job.id, raw_size, 0, job.raw, 0);
      }
    } catch (...) {
      std::lock_guard lock(queue_mutex_);
      if (!worker_error_) worker_error_ = std::current_exception();
    }
    {
      std::lock_guard lock(queue_mutex_);
      --busy_workers_;
    }
    queue_idle_.notify_all();
    queue_not_full_.notify_all();
  }
}

void ChunkStore::append_to_pack(const Hash128& id, uint32_t raw_size, uint16_t flags, std::span<const uint8_t> stored,
                                uint32_t dictionary) {
  std::lock_guard lock(pack_mutex_);
  if (!open_pack_) open_pack_ = std::make_unique<pack::PackWriter>(objects_, pack::new_pack_name(), pack_version_);
  const uint64_t before = open_pack_->size();
  open_pack_entries_.push_back(open_pack_->add(id, raw_size, flags, stored, dictionary));
  stored_bytes_ += open_pack_->size() - before;
  if (open_pack_->size() >= pack_target_bytes_) finish_open_pack();
}

void ChunkStore::finish_open_pack() {
  if (!open_pack_) return;
  open_pack_->finish();
  CommittedPack committed;
  committed.pack.name = open_pack_->name();
  committed.pack.size = open_pack_->size();
  committed.pack.entry_count = static_cast<uint32_t>(open_pack_entries_.size());
  committed.pack.created_unix =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  committed.chunks.reserve(open_pack_entries_.size());
  for (const auto& entry : open_pack_entries_) {
    catalog::ChunkLocation location;
    location.id = entry.id;
    location.offset = entry.offset;
    location.stored_size = entry.stored_size;
    location.raw_size = entry.raw_size;
    location.flags = entry.flags;
    location.dictionary = entry.dictionary;
    committed.chunks.push_back(location);
  }
  committed_.push_back(std::move(committed));
  has_committed_ = true;
  open_pack_.reset();
  open_pack_entries_.clear();
}

void ChunkStore::flush() {
  // A role still sampling trains on what it holds (a database smaller than the sample).
  for (auto& [name, r] : roles_) {
    if (r.sampling) train(r);
  }
  {
    std::unique_lock lock(queue_mutex_);
    queue_idle_.wait(lock, [&] { return (queue_.empty() && busy_workers_ == 0) || worker_error_; });
    rethrow_worker_error();
  }
  std::lock_guard lock(pack_mutex_);
  finish_open_pack();
}

std::vector<ChunkStore::CommittedPack> ChunkStore::take_committed() {
  if (!has_committed_) return {};
  std::lock_guard lock(pack_mutex_);
  has_committed_ = false;
  return std::exchange(committed_, {});
}

uint64_t ChunkStore::stored_bytes() const {
  std::lock_guard lock(pack_mutex_);
  return stored_bytes_;
}

}  // namespace certvault
