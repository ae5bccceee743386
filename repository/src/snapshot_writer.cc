#include "certvault/repository/snapshot_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/repository/repository.h"
#include "chunk_store.h"
#include "keyed_hash.h"
#include "manifest.h"
#include "recipe_store.h"

namespace certvault {
namespace {
constexpr uint32_t kSmallestFixedBlock = 64 * 1024;  // smaller blocks belong to page-aligned chunking

}  // namespace

struct SnapshotWriter::State {
  Repository& repository;
  SnapshotHeader header;
  std::string id;
  std::span<const uint8_t> secret;
  ChunkStore store;
  chunker::FileChunker chunker;
  StreamingDigest digest;

  std::unordered_map<std::string, catalog::FileRecord> reference_files;  // by path
  // Ids this snapshot stored whose pack the catalog has not staged yet (bounded by the store's
  // queue and open pack). Every other id already stored is in the catalog's index (staged rows
  // included), and most are found before that by walking beside the base recipe.
  std::unordered_set<Hash128, Hash128Hasher> pending;

  // The file being written.
  bool in_file = false;
  FileHeader file;
  uint64_t file_size = 0;
  uint64_t file_new_chunks = 0;
  uint64_t file_new_raw_bytes = 0;
  struct BaseRecipe {
    Hash128 id;
    uint32_t depth;
  };
  std::optional<BaseRecipe> base_recipe;
  std::optional<recipe::StreamedIds> base_ids;  // the base's list, read on demand
  std::optional<recipe::Builder> builder;
  uint64_t index_lookups = 0;  // chunks that missed the base at their position

  std::vector<catalog::FileRecord> files;
  std::vector<catalog::MissingFile> missing;
  std::vector<catalog::RecipeRecord> new_recipes;
  std::unordered_map<Hash128, recipe::SpooledRecipe, Hash128Hasher> spooled_recipes;  // their lists, by id
  std::unordered_set<Hash128, Hash128Hasher> new_recipe_ids;
  std::vector<uint8_t> restore_map_raw;
  std::vector<catalog::RestoreMapEntry> restore_map;
  std::optional<uint32_t> gen_low, gen_high;
  uint64_t logical_bytes = 0;
  bool committed = false;

  State(Repository& repo, const SnapshotHeader& h, std::string snapshot_id)
      : repository(repo),
        header(h),
        id(std::move(snapshot_id)),
        secret(repo.config().chunk_id_secret),
        store(repo.objects(), repo.config().zstd_level, repo.config().pack_target_bytes,
              std::max(1u, std::thread::hardware_concurrency()),
              repo.uses_dictionaries() ? pack::kVersion2 : pack::kVersion1, &repo.catalog()),
        chunker(repo.config().chunk_params, repo.config().chunker_key),
        digest(secret) {}

  void on_chunk(std::span<const uint8_t> chunk) {
    const Hash128 chunk_id = keyed_hash128(chunk, secret);
    // The parent's chunk at this position: the common case of a full after a full, where a
    // database's pages change in place. Equal, it is stored and no index is consulted.
    const uint64_t position = builder->count();
    if (base_ids && position < base_ids->size() && base_ids->at(position) == chunk_id) {
      builder->add(chunk_id);
      return;
    }
    ++index_lookups;
    if (pending.contains(chunk_id) || repository.catalog().has_chunk(chunk_id)) {
      builder->add(chunk_id);
      return;
    }
    builder->add(chunk_id, /*may_be_in_base=*/false);  // new to the repository, so not in the base
    store.add(chunk_id, chunk, dictionary_role());
    pending.insert(chunk_id);
    stage_committed_packs();
    ++file_new_chunks;
    file_new_raw_bytes += chunk.size();
  }

  // Small chunks of one kind share a dictionary: database pages do (docs/design.md, "Dictionaries").
  // Large blocks (logs) and content-defined chunks of other files compress alone.
  const std::string& dictionary_role() const {
    static const std::string kDatabase = "database", kNone;
    return file.chunking.is_page_aligned() ? kDatabase : kNone;
  }

  // Hands the packs the store committed to the catalog's staged rows (Catalog::stage_pack), so
  // that where each new chunk went is kept on disk, not in memory, until the snapshot commits.
  void stage_committed_packs() {
    for (auto& committed : store.take_committed()) {
      repository.catalog().stage_pack(committed.pack, committed.chunks);
      for (const auto& chunk : committed.chunks) pending.erase(chunk.id);
    }
  }

  catalog::Digest finish_recipe() {
    catalog::RecipeRecord record;
    record.chunk_count = builder->count();
    record.logical_size = file_size;
    if (base_recipe && builder->same_as_base()) return base_recipe->id;
    if (builder->spooled()) {
      // A large full list, on disk since it outgrew memory: named from the spool, written from it
      // at commit, kept in its object only.
      auto spooled = recipe::digest_spooled(builder->finish_spooled(), record, secret);
      if (!new_recipe_ids.contains(record.id) && !repository.catalog().has_recipe(record.id)) {
        new_recipe_ids.insert(record.id);
        spooled_recipes.emplace(record.id, std::move(spooled));
        new_recipes.push_back(std::move(record));
        return new_recipes.back().id;
      }
      return record.id;
    }
    const bool allow_delta = base_recipe && base_recipe->depth < recipe::kMaxDeltaDepth;
    record.body = builder->finish(base_recipe ? base_recipe->id : Hash128{}, allow_delta);
    if (!record.body.empty() && record.body[0] == recipe::kKindDelta) {
      record.base = base_recipe->id;
      record.depth = base_recipe->depth + 1;
    }
    record.id = keyed_hash128(record.body, secret);
    if (!new_recipe_ids.contains(record.id) && !repository.catalog().has_recipe(record.id)) {
      new_recipe_ids.insert(record.id);
      new_recipes.push_back(std::move(record));
      return new_recipes.back().id;
    }
    return record.id;
  }
};

SnapshotWriter::SnapshotWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}

SnapshotWriter::~SnapshotWriter() {
  // Not committed: the staged chunk rows go (the packs stay as leftovers for prune).
  if (state_ && !state_->committed) state_->repository.catalog().abandon_staging();
}

const std::string& SnapshotWriter::snapshot_id() const { return state_->id; }

std::unique_ptr<SnapshotWriter> Repository::begin_snapshot(const SnapshotHeader& header) {
  if (lock_mode() == LockMode::kShared) {
    throw Error(ErrorKind::kInternal,
                "writing a snapshot needs the repository opened for writing (append or exclusive)");
  }
  if (header.kind != "folder" && header.kind != "full" && header.kind != "incremental") {
    throw Error(ErrorKind::kInternal, fmt::format("unknown snapshot kind '{}'", header.kind));
  }
  std::string id;
  if (header.keep_identity) {
    id = header.keep_identity->id;
    const bool hex = id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                     });
    if (!hex) throw Error(ErrorKind::kInternal, fmt::format("begin_snapshot: kept id '{}' is not 32 hex digits", id));
    if (catalog_->has_snapshot(id)) {
      throw Error(ErrorKind::kRefused,
                  fmt::format("begin_snapshot: snapshot {} is already in repository {}", id, root_.string()));
    }
  } else {
    std::array<uint8_t, 16> random_id;
    fill_random(random_id);
    id = to_hex(random_id);
  }
  auto state = std::make_unique<SnapshotWriter::State>(*this, header, std::move(id));
  if (header.dedup_reference) {
    for (auto& file : catalog_->files(*header.dedup_reference)) {
      std::string path = file.path;
      state->reference_files.emplace(std::move(path), std::move(file));
    }
  }
  return std::unique_ptr<SnapshotWriter>(new SnapshotWriter(std::move(state)));
}

void SnapshotWriter::begin_file(const FileHeader& header) {
  auto& s = *state_;
  if (s.committed) throw Error(ErrorKind::kInternal, "snapshot already committed");
  if (s.in_file)
    throw Error(ErrorKind::kInternal, fmt::format("begin_file({}) while {} is open", header.path, s.file.path));
  s.in_file = true;
  s.file = header;
  s.file_size = 0;
  s.file_new_chunks = 0;
  s.file_new_raw_bytes = 0;
  const uint32_t page_size = header.chunking.page_size;
  if (header.chunking.is_page_aligned() && (page_size < chunker::PageChunker::kSmallestPageSize ||
                                            page_size > s.repository.config().chunk_params.max_size)) {
    s.in_file = false;
    throw Error(ErrorKind::kInternal,
                fmt::format("page size {} for {} is outside {}..{}", page_size, header.path,
                            chunker::PageChunker::kSmallestPageSize, s.repository.config().chunk_params.max_size));
  }
  if (header.chunking.is_fixed_blocks() &&
      (page_size < kSmallestFixedBlock || page_size > chunker::Params::kLargestMaxSize)) {
    s.in_file = false;
    throw Error(ErrorKind::kInternal, fmt::format("block size {} for {} is outside {}..{}", page_size, header.path,
                                                  kSmallestFixedBlock, chunker::Params::kLargestMaxSize));
  }
  s.digest.reset();
  s.chunker.start(header.chunking);
  s.base_recipe.reset();
  s.base_ids.reset();
  if (auto it = s.reference_files.find(header.path); it != s.reference_files.end()) {
    if (s.repository.catalog().has_recipe(it->second.recipe)) {
      s.base_ids.emplace(s.repository.catalog(), s.repository.objects(), it->second.recipe,
                         s.repository.config().chunk_id_secret);
      s.base_recipe = State::BaseRecipe{it->second.recipe, s.base_ids->depth()};
    }
  }
  s.builder.emplace(s.base_ids ? &*s.base_ids : nullptr, s.repository.root());
  if (header.chunking.is_page_aligned() && header.size_hint > 0) {
    s.builder->expect(header.size_hint / page_size + 2);  // a growing database may add a page or two
  }
}

void SnapshotWriter::write(std::span<const uint8_t> bytes) {
  auto& s = *state_;
  if (!s.in_file) throw Error(ErrorKind::kInternal, "write() outside begin_file()/end_file()");
  s.digest.update(bytes);
  s.file_size += bytes.size();
  s.chunker.feed(bytes, [&s](std::span<const uint8_t> chunk) { s.on_chunk(chunk); });
}

FileResult SnapshotWriter::end_file() {
  auto& s = *state_;
  if (!s.in_file) throw Error(ErrorKind::kInternal, "end_file() without begin_file()");
  s.chunker.finish([&s](std::span<const uint8_t> chunk) { s.on_chunk(chunk); });
  catalog::FileRecord record;
  record.seq = static_cast<uint32_t>(s.files.size());
  record.path = s.file.path;
  record.role = s.file.role;
  record.type_code = s.file.type_code;
  record.api_path = s.file.api_path;
  record.size = s.file_size;
  record.digest = s.digest.digest();
  record.recipe = s.finish_recipe();
  record.log_generation = s.file.log_generation;
  s.files.push_back(record);
  s.logical_bytes += s.file_size;
  s.in_file = false;
  const uint64_t chunk_count = s.builder->count();
  s.builder.reset();
  s.base_ids.reset();

  FileResult result;
  result.size = s.file_size;
  result.digest = record.digest;
  result.chunks = chunk_count;
  result.new_chunks = s.file_new_chunks;
  result.new_raw_bytes = s.file_new_raw_bytes;
  return result;
}

void SnapshotWriter::set_restore_map(std::vector<uint8_t> raw_utf16le, std::vector<catalog::RestoreMapEntry> entries) {
  state_->restore_map_raw = std::move(raw_utf16le);
  state_->restore_map = std::move(entries);
}

void SnapshotWriter::set_log_range(uint32_t gen_low, uint32_t gen_high) {
  state_->gen_low = gen_low;
  state_->gen_high = gen_high;
}

void SnapshotWriter::note_missing_file(std::string path, std::string reason) {
  state_->missing.push_back({std::move(path), std::move(reason)});
}

uint64_t SnapshotWriter::bytes_written() const {
  return state_->logical_bytes + (state_->in_file ? state_->file_size : 0);
}

uint64_t SnapshotWriter::new_bytes_stored() const { return state_->store.stored_bytes(); }

CommittedSnapshot SnapshotWriter::commit() {
  auto& s = *state_;
  if (s.committed) throw Error(ErrorKind::kInternal, "snapshot already committed");
  if (s.in_file) throw Error(ErrorKind::kInternal, fmt::format("commit() while {} is still open", s.file.path));
  s.repository.check_lock(fmt::format("committing snapshot {}", s.id.substr(0, 12)));

  // (1) Packs: written, fsynced, renamed, folder fsynced.
  s.store.flush();
  s.stage_committed_packs();

  // (2) Recipe objects, (3) the manifest: same protocol, through the object store.
  for (auto& record : s.new_recipes) {
    if (const auto spooled = s.spooled_recipes.find(record.id); spooled != s.spooled_recipes.end()) {
      recipe::put_spooled_object(s.repository.objects(), record, spooled->second, s.secret);
      continue;
    }
    recipe::put_object(s.repository.objects(), record);
    recipe::drop_body_kept_in_object(record);  // a large full list stays in its object only
  }
  s.spooled_recipes.clear();
  manifest::Manifest manifest;
  auto& snapshot = manifest.snapshot;
  snapshot.id = s.id;
  // Microseconds and the commit sequence order snapshots taken within one second (docs/format.md §4.2).
  // A copy keeps the time of the snapshot it copies.
  snapshot.created_us =
      s.header.keep_identity
          ? s.header.keep_identity->created_us
          : std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
  snapshot.created_unix = snapshot.created_us / 1000000;
  snapshot.commit_seq = s.repository.catalog().next_commit_seq();
  snapshot.kind = s.header.kind;
  snapshot.source = s.header.source;
  snapshot.source_path = s.header.source_path;
  snapshot.server = s.header.server;
  snapshot.ca_name = s.header.ca_name;
  snapshot.tags = s.header.tags;
  snapshot.parent = s.header.parent;
  snapshot.base_full = s.header.base_full;
  snapshot.gen_low = s.gen_low;
  snapshot.gen_high = s.gen_high;
  snapshot.logical_size = s.logical_bytes;
  snapshot.added_size = s.store.stored_bytes();
  snapshot.restore_map_raw = s.restore_map_raw;
  snapshot.restore_map = s.restore_map;
  snapshot.manifest = manifest::object_name(s.id);
  manifest.files = s.files;
  manifest.missing_files = s.missing;
  s.repository.objects().put(snapshot.manifest, manifest::encode(manifest));

  // (4) One catalog transaction makes it visible.
  catalog::SnapshotCommit commit;
  commit.snapshot = snapshot;
  commit.files = s.files;
  commit.missing_files = s.missing;
  // new_packs and new_chunks stay empty: every pack and chunk row is staged already.
  // Moved, not copied: a new full recipe is 16 bytes a chunk (16 MiB for an 8 GiB database).
  commit.new_recipes = std::move(s.new_recipes);
  commit.new_dictionaries = s.store.new_dictionaries();
  try {
    s.repository.catalog().commit_snapshot(commit);
  } catch (...) {
    s.new_recipes = std::move(commit.new_recipes);  // commit_snapshot takes them by const reference
    throw;
  }
  s.committed = true;
  return CommittedSnapshot(s.id);
}

}  // namespace certvault
