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
// A full queue admits again only once it has drained to half. Woken at every append, the adding
// thread would sleep and wake once per 8 KiB page: about a tenth of a first full's CPU went to
// those wake-ups (futex, scheduler IPIs) on two cores.
constexpr size_t kResumeQueuedJobs = kMaxQueuedJobs / 2;
constexpr uint64_t kResumeQueuedBytes = kMaxQueuedBytes / 2;

bool has_room(size_t jobs, uint64_t bytes) { return jobs < kMaxQueuedJobs && (jobs == 0 || bytes < kMaxQueuedBytes); }
bool drained_to_resume(size_t jobs, uint64_t bytes) {
  return jobs <= kResumeQueuedJobs && (jobs == 0 || bytes <= kResumeQueuedBytes);
}

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
  }
  queue_not_empty_.notify_all();
  queue_not_full_.notify_all();
  for (auto& worker : workers_) worker.join();
  // An unfinished pack writer is destroyed here without commit: no object appears.
}

void ChunkStore::rethrow_worker_error() {
  if (worker_error_) std::rethrow_exception(worker_error_);
}

ChunkStore::Job ChunkStore::owned_job(const Hash128& id, std::span<const uint8_t> raw) {
  Job job;
  job.id = id;
  job.owned.assign(raw.begin(), raw.end());
  job.raw = job.owned;  // a moved vector keeps its buffer, so the view survives moves of the job
  return job;
}

void ChunkStore::add(const Hash128& id, std::span<const uint8_t> raw, const std::string& dictionary_role) {
  if (catalog_ == nullptr || dictionary_role.empty()) return enqueue(owned_job(id, raw));
  auto& r = role(dictionary_role);
  if (!r.sampling && !r.gave_up && r.current && r.window_added >= dictionary::kDriftWindowBytes) {
    // Drift: the ratio of the last window against the one measured when the dictionary was trained.
    // Measured over exactly the window's chunks (all appended by now), whatever the workers' timing.
    wait_until_all_appended();
    std::lock_guard lock(stats_mutex_);
    const double measured =
        static_cast<double>(r.window_stored) / static_cast<double>(std::max<uint64_t>(1, r.window_raw));
    const double trained = r.current->ratio_ppm() / 1e6;
    if (measured > trained * dictionary::kDriftTolerance) r.sampling = true;
    r.window_raw = r.window_stored = 0;
    r.window_added = 0;
  }
  if (r.sampling) {
    // Held once, end to end: the buffer ZDICT trains on and the bytes the held jobs compress from.
    if (r.sample.capacity() == 0) r.sample.reserve(dictionary::kSampleBytes + raw.size());
    r.sample.insert(r.sample.end(), raw.begin(), raw.end());
    r.sample_sizes.push_back(raw.size());
    r.held_ids.push_back(id);
    if (r.sample.size() >= dictionary::kSampleBytes) train(r);
    return;
  }
  Job job = owned_job(id, raw);
  job.dictionary = r.current;
  job.role = &r;
  r.window_added += job.raw.size();
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
  const auto sample = std::make_shared<const std::vector<uint8_t>>(std::exchange(r.sample, {}));
  const auto sizes = std::exchange(r.sample_sizes, {});
  const auto ids = std::exchange(r.held_ids, {});
  auto trained = dictionary::train(r.name, *sample, sizes, zstd_level_);
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
  wait_until_all_appended();  // the new window counts only chunks compressed with the new dictionary
  {
    std::lock_guard lock(stats_mutex_);
    r.window_raw = r.window_stored = 0;
  }
  r.window_added = 0;
  // The held chunks' jobs view the sample, which lives until the last of them is compressed.
  size_t at = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    Job job;
    job.id = ids[i];
    job.sample = sample;
    job.raw = std::span<const uint8_t>(*sample).subspan(at, sizes[i]);
    at += sizes[i];
    job.dictionary = r.current;
    job.role = &r;
    enqueue(std::move(job));
  }
}

void ChunkStore::enqueue(Job job) {
  std::unique_lock lock(queue_mutex_);
  if (!has_room(unappended_jobs_, unappended_bytes_)) {
    queue_not_full_.wait(lock, [&] { return drained_to_resume(unappended_jobs_, unappended_bytes_) || worker_error_; });
  }
  rethrow_worker_error();
  ++unappended_jobs_;
  unappended_bytes_ += job.raw.size();
  job.sequence = next_sequence_++;
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
    }
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
      Compressed chunk;
      chunk.id = job.id;
      chunk.raw_size = static_cast<uint32_t>(job.raw.size());
      chunk.role = job.role;
      if (size < job.raw.size()) {
        compressed.resize(size);
        chunk.flags = pack::kFlagCompressed;
        chunk.stored = std::exchange(compressed, {});
        chunk.dictionary = job.dictionary ? job.dictionary->id() : 0;
      } else {
        chunk.stored = job.owned.empty() ? std::vector<uint8_t>(job.raw.begin(), job.raw.end()) : std::move(job.owned);
      }
      append_in_order(job.sequence, std::move(chunk));
    } catch (...) {
      {
        std::lock_guard lock(queue_mutex_);
        if (!worker_error_) worker_error_ = std::current_exception();
      }
      queue_idle_.notify_all();
      queue_not_full_.notify_all();
    }
  }
}

void ChunkStore::append_in_order(uint64_t sequence, Compressed chunk) {
  size_t appended_jobs = 0;
  uint64_t appended_bytes = 0;
  {
    std::lock_guard lock(pack_mutex_);
    if (sequence != next_to_append_) {
      waiting_.emplace(sequence, std::move(chunk));
      return;
    }
    while (true) {
      append_to_pack(chunk);
      ++appended_jobs;
      appended_bytes += chunk.raw_size;
      const auto next = waiting_.find(++next_to_append_);
      if (next == waiting_.end()) break;
      chunk = std::move(next->second);
      waiting_.erase(next);
    }
  }
  bool idle = false, resume = false;
  {
    std::lock_guard lock(queue_mutex_);
    unappended_jobs_ -= appended_jobs;
    unappended_bytes_ -= appended_bytes;
    idle = unappended_jobs_ == 0;
    resume = drained_to_resume(unappended_jobs_, unappended_bytes_);
  }
  if (idle) queue_idle_.notify_all();
  if (resume) queue_not_full_.notify_all();
}

void ChunkStore::wait_until_all_appended() {
  std::unique_lock lock(queue_mutex_);
  queue_idle_.wait(lock, [&] { return unappended_jobs_ == 0 || worker_error_; });
  rethrow_worker_error();
}

void ChunkStore::append_to_pack(const Compressed& chunk) {
  if (chunk.role != nullptr) {
    std::lock_guard lock(stats_mutex_);
    chunk.role->window_raw += chunk.raw_size;
    chunk.role->window_stored += chunk.stored.size();
  }
  if (!open_pack_) open_pack_ = std::make_unique<pack::PackWriter>(objects_, pack::new_pack_name(), pack_version_);
  const uint64_t before = open_pack_->size();
  open_pack_entries_.push_back(open_pack_->add(chunk.id, chunk.raw_size, chunk.flags, chunk.stored, chunk.dictionary));
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
  wait_until_all_appended();
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
