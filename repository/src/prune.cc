#include "certvault/repository/prune.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/base/os_file.h"
#include "certvault/repository/repository.h"
#include "dictionary.h"
#include "maintenance_support.h"
#include "pack.h"
#include "recipe_store.h"

namespace certvault {
namespace {

// Bytes a pack spends on something other than live chunks' entries and index records.
uint64_t unused_bytes(const catalog::Catalog::PackUsage& usage) {
  const uint64_t live = usage.live_stored_bytes +
                        usage.live_chunks * (pack::kEntryHeaderSize + pack::kIndexRecordSize) + pack::kHeaderSize +
                        pack::kFooterSize;
  return usage.pack.size > live ? usage.pack.size - live : 0;
}

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Drops the live-set tables however prune ends.
class LiveSetScope {
 public:
  explicit LiveSetScope(catalog::Catalog& catalog) : catalog_(catalog) {}
  ~LiveSetScope() {
    try {
      catalog_.drop_live_set();
    } catch (...) {  // the temp tables vanish with the connection anyway
    }
  }
  LiveSetScope(const LiveSetScope&) = delete;
  LiveSetScope& operator=(const LiveSetScope&) = delete;

 private:
  catalog::Catalog& catalog_;
};

class Pruner {
 public:
  Pruner(Repository& repository, const PruneOptions& options)
      : repository_(repository),
        catalog_(repository.catalog()),
        objects_(repository.objects()),
        options_(options),
        dry_(options.dry_run) {
    report_.dry_run = dry_;
  }

  PruneReport run() {
    refuse_damaged_manifests();
    report_.snapshots = catalog_.snapshots().size();
    if (dry_) {
      gone_.insert(options_.assume_forgotten.begin(), options_.assume_forgotten.end());
      report_.snapshots -= std::min<uint64_t>(report_.snapshots, gone_.size());
    }
    const LiveSetScope scope(catalog_);
    compute_live_set();
    refuse_unindexed_live_chunks();
    if (!dry_) report_.temporaries_removed = objects_.remove_temporaries();
    remove_orphan_manifests();
    remove_dead_recipes();
    const auto usage = catalog_.pack_usage();
    remove_orphan_packs();
    for (const auto& pack : usage) {
      ++report_.packs_before;
      report_.pack_bytes_before += pack.pack.size;
    }
    remove_dead_packs(usage);
    repack(usage);
    remove_unused_dictionaries();
    finish_totals(usage);
    return report_;
  }

 private:
  void progress(const std::string& line) {
    if (options_.progress) options_.progress(line);
  }

  // A damaged manifest may be a snapshot `repair catalog` had to leave out of the catalog: its data
  // would look like garbage. Nothing is deleted until the user forgets that snapshot by id.
  void refuse_damaged_manifests() {
    progress("reading every snapshot manifest");
    std::vector<std::string> damaged;
    std::vector<std::string> ids;
    for (const auto& name : objects_.list("snapshots/")) {
      auto why = maintenance::unrecoverable_snapshot(catalog_, objects_, repository_.config().chunk_id_secret, name);
      if (why.empty()) continue;
      damaged.push_back(std::move(why));
      ids.push_back(maintenance::snapshot_id_of_manifest(name).value_or(name));
    }
    if (damaged.empty()) return;
    std::string list;
    for (size_t i = 0; i < damaged.size() && i < 5; ++i) list += (i ? "; " : "") + damaged[i];
    throw Error(
        ErrorKind::kIntegrity,
        fmt::format(
            "prune refused: {} snapshot manifest{} damaged or unrecoverable ({}{}); the data of {} snapshot{} would "
            "look unused and be deleted. Nothing was removed. If {} lost, forget {} by id first: "
            "`certvault forget {}`",
            damaged.size(), damaged.size() == 1 ? " is" : "s are", list, damaged.size() > 5 ? "; ..." : "",
            damaged.size() == 1 ? "that" : "those", damaged.size() == 1 ? "" : "s",
            damaged.size() == 1 ? "it is" : "they are", damaged.size() == 1 ? "it" : "them", fmt::join(ids, " ")));
  }

  // Manifests first: a manifest left without its row would let `repair
  // catalog` resurrect a snapshot whose data the later steps delete.
  void remove_orphan_manifests() {
    progress("looking for manifests of forgotten snapshots");
    for (const auto& name : objects_.list("snapshots/")) {
      const auto id = maintenance::snapshot_id_of_manifest(name);
      if (!id || (catalog_.has_snapshot(*id) && !gone_.contains(*id))) continue;
      ++report_.orphan_manifests_removed;
      if (!dry_) objects_.remove(name);
    }
  }

  void compute_live_set() {
    progress("computing the live set (snapshots -> files -> recipes -> chunks)");
    live_ = catalog_.compute_live_set(
        [this](const catalog::Digest& recipe, const catalog::Catalog::ChunkIdSink& add) {
          recipe::for_each_id_block(catalog_, objects_, recipe, repository_.config().chunk_id_secret, add);
        },
        std::vector<std::string>(gone_.begin(), gone_.end()));
    report_.live_recipes = live_.recipes;
    report_.live_chunks = live_.chunks;
    report_.recipes_removed = live_.dead_recipes;
  }

  // A chunk a snapshot uses with no row in the chunk index lives in a pack the catalog does not
  // know: one a rebuild or a catch-up skipped (an I/O error, a damaged index) or a damaged one.
  // Such a pack looks like a crashed backup's leftover, and deleting it would lose those snapshots.
  void refuse_unindexed_live_chunks() {
    if (live_.unindexed_chunks == 0) return;
    throw Error(
        ErrorKind::kIntegrity,
        fmt::format("prune refused: {} chunk{} that snapshots still use {} in no pack the catalog knows "
                    "(chunk {}{}); a pack that holds {} would look like a leftover and be deleted. Nothing "
                    "was removed. Run `certvault check` to see which snapshots need them and `certvault "
                    "repair catalog` to index every readable pack again; a pack that stays damaged is left "
                    "out for good, so forget the snapshots that need it (`certvault forget ID`)",
                    live_.unindexed_chunks, live_.unindexed_chunks == 1 ? "" : "s",
                    live_.unindexed_chunks == 1 ? "is" : "are", to_hex(*live_.first_unindexed),
                    live_.unindexed_chunks == 1 ? "" : " and others", live_.unindexed_chunks == 1 ? "it" : "them"));
  }

  // Rows first, objects second: a crash in between leaves recipe objects the
  // catalog does not know, which check reports as leftovers and a rerun removes.
  void remove_dead_recipes() {
    if (!dry_ && live_.dead_recipes > 0) catalog_.delete_dead_recipes();
    for (const auto& name : objects_.list("recipes/")) {
      const auto id = maintenance::recipe_id_of_object(name);
      if (!id || catalog_.has_recipe(*id)) continue;
      ++report_.orphan_recipes_removed;
      if (!dry_) objects_.remove(name);
    }
  }

  // Leftovers of crashed backups or of an interrupted prune; no backup runs
  // while we hold the exclusive lock, so none of them can still be in use.
  void remove_orphan_packs() {
    progress("looking for packs that are not in the catalog");
    for (const auto& name : objects_.list("packs/")) {
      if (catalog_.has_pack_named(name)) continue;
      const uint64_t size = objects_.size(name);
      ++report_.orphan_packs_removed;
      ++report_.packs_before;
      report_.pack_bytes_before += size;
      if (!dry_) objects_.remove(name);
    }
  }

  // Before the repack, so that its new packs find the space these free.
  void remove_dead_packs(const std::vector<catalog::Catalog::PackUsage>& usage) {
    std::vector<int64_t> ids;
    std::vector<std::string> names;
    for (const auto& pack : usage) {
      if (pack.live_chunks != 0) continue;
      ids.push_back(pack.pack.id);
      names.push_back(pack.pack.name);
      report_.chunks_removed += pack.chunks;
    }
    report_.packs_deleted = ids.size();
    if (dry_ || ids.empty()) return;
    progress(fmt::format("deleting {} packs with no live chunk", ids.size()));
    catalog_.delete_packs(ids);
    for (const auto& name : names) objects_.remove(name);
  }

  bool needs_repack(const catalog::Catalog::PackUsage& pack) const {
    if (pack.live_chunks == 0 || pack.pack.size == 0) return false;
    const double unused_percent = 100.0 * static_cast<double>(unused_bytes(pack)) / static_cast<double>(pack.pack.size);
    return unused_percent > options_.max_unused_percent;
  }

  // Pack by pack: the live chunks of each old pack go into the open new pack, which is committed
  // (written, synced, indexed in the catalog) and its old packs deleted before it would outgrow the
  // pack target. So repacking never needs more free space than one new pack (at most one pack's
  // size) plus the catalog's journal; before each step the free space is asked of the file-system
  // seam, and when it does not suffice prune stops cleanly (stop_for_space) after committing what
  // it has.
  void repack(const std::vector<catalog::Catalog::PackUsage>& usage) {
    const uint64_t target = repository_.config().pack_target_bytes;
    // The rows of every pack to repack, from one scan of the chunk index (it has no index by pack).
    std::optional<catalog::PackChunks> rows;
    if (!dry_) {
      std::vector<int64_t> ids;
      for (const auto& pack : usage) {
        if (needs_repack(pack)) ids.push_back(pack.pack.id);
      }
      if (ids.empty()) return;
      rows.emplace(catalog_, ids, true);
    }
    for (const auto& pack : usage) {
      if (!needs_repack(pack)) continue;
      if (dry_) {
        ++report_.packs_repacked;
        report_.chunks_removed += pack.chunks - pack.live_chunks;
        estimated_repack_bytes_ += live_entry_bytes(pack);
        continue;
      }
      // The new pack stays within one pack: commit before this pack's chunks would push it past the target.
      if (writer_ && writer_->size() + live_entry_bytes(pack) > target) commit_group();
      if (writer_ && space_budget_ && *space_budget_ < space_needed(pack)) commit_group();
      if (!writer_) {
        space_budget_ = os::file_system().free_space(repository_.root());
        if (space_budget_ && *space_budget_ < space_needed(pack)) stop_for_space(pack);
        writer_ = std::make_unique<pack::PackWriter>(
            objects_, pack::new_pack_name(), repository_.uses_dictionaries() ? pack::kVersion2 : pack::kVersion1);
        progress(fmt::format("repacking into {}", writer_->name()));
      }
      copy_live_chunks(pack.pack, rows->next(pack.pack.id));
      ++report_.packs_repacked;
      report_.chunks_removed += pack.chunks - pack.live_chunks;
      group_.push_back(pack.pack);
      group_chunks_ += pack.chunks;
      if (writer_->size() >= target) commit_group();
    }
    if (writer_) commit_group();
  }

  // Bytes the live chunks of `pack` take in a new pack: their entries and index records.
  static uint64_t live_entry_bytes(const catalog::Catalog::PackUsage& pack) {
    return pack.live_stored_bytes + pack.live_chunks * (pack::kEntryHeaderSize + pack::kIndexRecordSize);
  }

  // Free bytes the open group needs, counted from when its new pack was begun, once `pack` joins
  // it: the new pack whole (header, entries, index, footer) and the catalog's rollback journal for
  // the commit (a page or two per chunk row it moves or deletes, never more than the catalog).
  uint64_t space_needed(const catalog::Catalog::PackUsage& pack) const {
    const uint64_t pack_bytes =
        (writer_ ? writer_->size() + writer_->entry_count() * pack::kIndexRecordSize : pack::kHeaderSize) +
        live_entry_bytes(pack) + pack::kFooterSize;
    constexpr uint64_t kJournalPageBytes = 2 * 4096, kJournalFixedBytes = 64u << 10;
    const uint64_t journal =
        std::min(catalog_.size_on_disk(), (group_chunks_ + pack.chunks + 8) * kJournalPageBytes) + kJournalFixedBytes;
    return pack_bytes + journal;
  }

  [[noreturn]] void stop_for_space(const catalog::Catalog::PackUsage& pack) {
    const uint64_t needed = space_needed(pack);
    const auto packs_folder = repository_.root() / "packs";
    throw Error(
        ErrorKind::kFailure,
        fmt::format("prune stopped for lack of space: repacking pack {} ({} of its {} bytes still used) needs {} bytes "
                    "free in {} (the new pack and the catalog's journal), but only {} bytes are free there. Nothing "
                    "was lost: {} unused pack{} deleted and {} pack{} repacked so far, all committed. Free at least "
                    "{} more bytes on that volume and run prune again, or raise --max-unused to leave partly used "
                    "packs as they are",
                    pack.pack.name, live_entry_bytes(pack), pack.pack.size, needed, os::display(packs_folder),
                    space_budget_.value_or(0), report_.packs_deleted, report_.packs_deleted == 1 ? " was" : "s were",
                    report_.packs_repacked, report_.packs_repacked == 1 ? " was" : "s were",
                    needed - std::min(needed, space_budget_.value_or(0))));
  }

  // Copies the live chunks of `old_pack` into the open writer, verifying each
  // entry on the way: a damaged chunk must stop prune, not be copied along.
  // Every row of `old_pack` goes: a live one moves to the new pack, a dead one is dropped with it.
  void copy_live_chunks(const catalog::PackRecord& old_pack, const std::vector<catalog::PackChunks::Row>& rows) {
    constexpr uint64_t kReadBytes = 4u << 20;
    std::vector<catalog::ChunkLocation> chunks;
    for (const auto& row : rows) {
      if (row.live) {
        chunks.push_back(row.location);
      } else {
        dropped_.push_back(row.location.id);
      }
    }
    size_t first = 0;
    while (first < chunks.size()) {
      // A run of adjacent entries, read with one I/O.
      size_t last = first;
      uint64_t end = chunks[first].offset + pack::kEntryHeaderSize + chunks[first].stored_size;
      while (last + 1 < chunks.size() && chunks[last + 1].offset == end && end - chunks[first].offset < kReadBytes) {
        ++last;
        end = chunks[last].offset + pack::kEntryHeaderSize + chunks[last].stored_size;
      }
      const auto bytes = objects_.read(old_pack.name, chunks[first].offset, end - chunks[first].offset);
      for (size_t i = first; i <= last; ++i) {
        const auto& chunk = chunks[i];
        pack::EntryInfo expected;
        expected.id = chunk.id;
        expected.offset = chunk.offset;
        expected.raw_size = chunk.raw_size;
        expected.stored_size = chunk.stored_size;
        expected.flags = chunk.flags;
        expected.dictionary = chunk.dictionary;
        const auto entry = std::span(bytes).subspan(chunk.offset - chunks[first].offset, pack::entry_span(expected));
        std::span<const uint8_t> stored;
        try {
          stored = pack::verify_entry(entry, old_pack.name, expected);
        } catch (const Error& e) {
          throw Error(ErrorKind::kIntegrity,
                      fmt::format("prune: live chunk {} cannot be copied out of pack {}: {}; nothing of that pack was "
                                  "deleted; run `certvault check --read-data`",
                                  to_hex(chunk.id), old_pack.name, e.what()));
        }
        const auto info = writer_->add(chunk.id, chunk.raw_size, chunk.flags, stored, chunk.dictionary);
        moved_.push_back({chunk.id, 0, info.offset, info.stored_size, info.raw_size, info.flags, info.dictionary});
      }
      first = last + 1;
    }
  }

  // After the packs: a dictionary is live while a chunk row names it (dead and repacked chunks are
  // gone by now). Rows first, objects second, as for recipes; dictionary objects the catalog does
  // not know (a crashed backup trained them) go too. A dry run counts the ones unused already.
  void remove_unused_dictionaries() {
    progress("looking for dictionaries no chunk uses");
    const auto used = catalog_.dictionaries_in_use();
    const std::set<uint32_t> live(used.begin(), used.end());
    std::set<std::string> known;
    for (const auto& dictionary : catalog_.dictionaries()) {
      if (live.contains(dictionary.id)) {
        known.insert(dictionary.name);
        continue;
      }
      ++report_.dictionaries_removed;
      if (dry_) continue;
      catalog_.delete_dictionary(dictionary.id);
      if (objects_.exists(dictionary.name)) objects_.remove(dictionary.name);
    }
    for (const auto& name : objects_.list("dicts/")) {
      if (known.contains(name) || dry_) continue;
      bool in_catalog = false;
      for (const auto id : live) in_catalog = in_catalog || dictionary::object_name(id) == name;
      if (in_catalog) continue;  // used but without a row: check reports it, repair restores the row
      ++report_.dictionaries_removed;
      objects_.remove(name);
    }
  }

  // New pack durable, then the catalog switched to it, then the old objects go.
  void commit_group() {
    writer_->finish();
    catalog::PackRecord record;
    record.name = writer_->name();
    record.size = writer_->size();
    record.entry_count = static_cast<uint32_t>(writer_->entry_count());
    record.created_unix = now_unix();
    std::vector<int64_t> old_ids;
    for (const auto& pack : group_) old_ids.push_back(pack.id);
    catalog_.replace_packs(old_ids, {record}, moved_, dropped_);
    for (const auto& pack : group_) objects_.remove(pack.name);
    ++report_.packs_written;
    writer_.reset();
    group_.clear();
    group_chunks_ = 0;
    moved_.clear();
    dropped_.clear();
    space_budget_.reset();
  }

  void finish_totals(const std::vector<catalog::Catalog::PackUsage>& usage) {
    if (!dry_) {
      for (const auto& pack : catalog_.packs()) {
        ++report_.packs_after;
        report_.pack_bytes_after += pack.size;
      }
    } else {
      const uint64_t target = repository_.config().pack_target_bytes;
      for (const auto& pack : usage) {
        if (pack.live_chunks == 0 || needs_repack(pack)) continue;
        ++report_.packs_after;
        report_.pack_bytes_after += pack.pack.size;
      }
      if (estimated_repack_bytes_ > 0) {
        const uint64_t new_packs = (estimated_repack_bytes_ + target - 1) / target;
        report_.packs_written = new_packs;
        report_.packs_after += new_packs;
        report_.pack_bytes_after += estimated_repack_bytes_ + new_packs * (pack::kHeaderSize + pack::kFooterSize);
      }
    }
    report_.bytes_freed =
        report_.pack_bytes_before > report_.pack_bytes_after ? report_.pack_bytes_before - report_.pack_bytes_after : 0;
  }

  Repository& repository_;
  catalog::Catalog& catalog_;
  ObjectStore& objects_;
  const PruneOptions& options_;
  const bool dry_;
  PruneReport report_;
  catalog::Catalog::LiveSetSize live_;
  std::unique_ptr<pack::PackWriter> writer_;
  std::vector<catalog::PackRecord> group_;  // old packs whose live chunks are in writer_
  std::vector<catalog::ChunkLocation> moved_;
  std::vector<catalog::ChunkId> dropped_;  // rows of the packs in group_ that are not live
  uint64_t estimated_repack_bytes_ = 0;
  uint64_t group_chunks_ = 0;             // chunk rows of the packs in group_ (live or not)
  std::optional<uint64_t> space_budget_;  // free bytes when the open new pack was begun, if the system says
  std::set<std::string> gone_;            // a dry run's snapshots counted as forgotten
};

}  // namespace

PruneReport prune_repository(Repository& repository, const PruneOptions& options) {
  if (repository.lock_mode() != LockMode::kExclusive) {
    throw Error(ErrorKind::kRefused, "prune needs the repository's exclusive lock");
  }
  if (!(options.max_unused_percent >= 0 && options.max_unused_percent <= 100)) {
    throw Error(ErrorKind::kUsage,
                fmt::format("--max-unused {}: must be a percentage from 0 to 100", options.max_unused_percent));
  }
  return Pruner(repository, options).run();
}

}  // namespace certvault
