#include "certvault/repository/check.h"

#include <fmt/format.h>

#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "catalog_agreement.h"
#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/base/hex.h"
#include "certvault/base/os_file.h"
#include "certvault/base/safe_path.h"
#include "certvault/repository/keys.h"
#include "certvault/repository/outcome_log.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_reader.h"
#include "certvault/repository/truncation_log.h"
#include "chunk_verify.h"
#include "dictionary.h"
#include "exposed_entries.h"
#include "keyed_hash.h"
#include "maintenance_support.h"
#include "manifest.h"
#include "pack.h"
#include "recipe_store.h"

namespace certvault {
namespace {

constexpr size_t kMaxBrokenRecipes = 100;  // beyond this, the report would only repeat itself
constexpr size_t kMaxFilesPerRecipe = 20;
constexpr size_t kMaxBadChunks = 1u << 20;
constexpr uint64_t kReadBytes = 4u << 20;

class Checker {
 public:
  Checker(Repository& repository, const CheckOptions& options)
      : repository_(repository),
        catalog_(repository.catalog()),
        objects_(repository.objects()),
        options_(options),
        random_(std::random_device{}()) {}

  CheckReport run() {
    phase("catalog", [this] { check_catalog(); });
    phase("dictionaries", [this] { check_dictionaries(); });
    phase("packs", [this] { check_packs(); });
    phase("leftovers", [this] { find_leftovers(); });
    phase("recipes", [this] { check_recipes(); });
    phase("damaged files", [this] { locate_damage(); });
    phase("snapshots", [this] { check_snapshots(); });
    phase("outcome records", [this] { check_outcome_records(); });
    phase("truncation records", [this] { check_truncation_records(); });
    if (repository_.encrypted()) phase("key slots", [this] { check_key_slots(); });
    if (options_.read_data || options_.read_data_subset_percent > 0) {
      phase("file contents", [this] { read_files(); });
    }
    phase("permissions", [this] { check_permissions(); });
    return std::move(report_);
  }

 private:
  template <typename Step>
  void phase(const char* name, Step&& step) {
    if (options_.progress) options_.progress(fmt::format("checking {}", name));
    try {
      step();
    } catch (const Error& e) {  // catalog::CatalogError included
      problem(fmt::format("{} (checking {} stopped here)", e.what(), name));
    } catch (const std::exception& e) {  // e.g. a filesystem error: still a finding, and the other phases run
      problem(fmt::format("{} (checking {} stopped here)", e.what(), name));
    }
  }

  // A damaged key slot is found now, not on the day its passphrase or key file is the one left.
  // Only the structure can be checked (its checksum): opening a slot needs its own credential.
  void check_key_slots() {
    for (const auto& slot : list_key_slots(repository_)) {
      if (slot.damage.empty()) continue;
      problem(
          fmt::format("{}; the passphrase or key file of that slot no longer opens the repository: remove it "
                      "(`certvault key remove {}`) and add a new key (`certvault key add`)",
                      slot.damage, slot.id));
    }
  }

  // A repository holds a CA's database: anything group- or world-accessible is
  // a warning, or, with fix_permissions, made private (0600/0700).
  void check_permissions() {
    const auto exposed = find_exposed_entries(repository_.root());
    for (const auto& entry : exposed) {
      if (options_.fix_permissions) {
        os::file_system().make_private(entry.path, "check --fix-permissions");
        ++report_.permissions_fixed;
        continue;
      }
      warning(fmt::format(
          "{} {} is accessible to its group or others (mode {:04o}); `certvault check "
          "--fix-permissions` makes it {}",
          entry.folder ? "folder" : "file", os::display(entry.path), entry.mode, entry.folder ? "0700" : "0600"));
    }
  }

  // Verify/check outcome records (outcome_log.h) restore nothing: a damaged one is a warning, and
  // `certvault status` skips it the same way.
  void check_outcome_records() {
    std::vector<std::string> unreadable;
    read_outcome_objects(objects_, unreadable);
    for (auto& line : unreadable) warning(std::move(line));
  }

  // Truncation records (truncation_log.h) are the history of what the CA was asked to truncate;
  // no restore reads them, so a damaged one is a warning as an outcome record is, named so that
  // `status` showing no truncation failure for that snapshot is not taken on trust.
  void check_truncation_records() {
    std::vector<std::string> unreadable;
    read_truncation_objects(objects_, unreadable);
    for (auto& line : unreadable) warning(std::move(line));
  }

  void problem(std::string line) { report_.problems.push_back(std::move(line)); }
  void warning(std::string line) { report_.warnings.push_back(std::move(line)); }

  bool chosen_for_reading() {
    if (options_.read_data) return true;
    if (options_.read_data_subset_percent <= 0) return false;
    return std::uniform_real_distribution<double>(0, 100)(random_) < options_.read_data_subset_percent;
  }

  void check_catalog() {
    const auto result = catalog_.integrity_check();
    if (!(result.size() == 1 && result.front() == "ok")) {
      for (const auto& line : result) problem("catalog: SQLite integrity_check: " + line);
    }
    for (auto& line : catalog_.dangling_references()) problem("catalog: " + line);
  }

  // Every dictionary row: its object exists, decodes (frame checksum, ids in name, body and
  // dictionary agree) and is the one the row describes. Chunks naming a dictionary without a row
  // are found by dangling_references(); dictionary objects without a row are leftovers.
  void check_dictionaries() {
    std::set<std::string> known;
    for (const auto& record : catalog_.dictionaries()) {
      ++report_.dictionaries;
      known.insert(record.name);
      if (record.name != dictionary::object_name(record.id)) {
        problem(fmt::format("dictionary {:08x}: the catalog names object {}", record.id, record.name));
        continue;
      }
      if (!objects_.exists(record.name)) {
        problem(fmt::format("dictionary {} is missing: the chunks compressed with it cannot be read", record.name));
        continue;
      }
      try {
        const auto dictionary = dictionary::decode_object(objects_.read_all(record.name), record.name);
        if (dictionary.bytes.size() != record.size || dictionary.role != record.role) {
          problem(fmt::format("dictionary {}: {} bytes for role '{}', but the catalog says {} bytes for '{}'",
                              record.name, dictionary.bytes.size(), dictionary.role, record.size, record.role));
        }
      } catch (const Error& e) {
        problem(fmt::format("{}: the chunks compressed with it cannot be read", e.what()));
      }
    }
    for (const auto& name : objects_.list("dicts/")) {
      if (known.contains(name)) continue;
      warning(
          fmt::format("dictionary object {} is not in the catalog (left by an interrupted backup or prune); "
                      "`certvault prune` removes it",
                      name));
    }
  }

  void check_packs() {
    catalog::PackChunks rows(catalog_, {}, false);  // every pack's rows from one scan, in pack id order
    for (const auto& pack : catalog_.packs()) {
      ++report_.packs;
      pack_names_[pack.id] = pack.name;
      std::vector<catalog::ChunkLocation> chunks;
      for (auto& row : rows.next(pack.id)) chunks.push_back(row.location);
      report_.chunks += chunks.size();
      if (!objects_.exists(pack.name)) {
        problem(fmt::format("pack {} is missing: its {} indexed chunks cannot be read", pack.name, chunks.size()));
        bad_packs_.insert(pack.id);
        continue;
      }
      const uint64_t size = objects_.size(pack.name);
      if (size != pack.size) {
        problem(fmt::format("pack {} is {} bytes, but the catalog recorded {} bytes (truncated or replaced)", pack.name,
                            size, pack.size));
      }
      std::vector<pack::EntryInfo> entries;
      try {
        entries = pack::read_index(objects_, pack.name);
      } catch (const Error& e) {
        problem(
            fmt::format("pack {}: its trailer index cannot be read, so none of its {} indexed chunks can be "
                        "trusted: {}",
                        pack.name, chunks.size(), e.what()));
        bad_packs_.insert(pack.id);
        continue;
      }
      compare_index(pack, chunks, entries);
      if (chosen_for_reading()) read_pack(pack, entries);
    }
  }

  // The catalog's rows against the pack's own trailer; both are sorted by offset.
  void compare_index(const catalog::PackRecord& pack, const std::vector<catalog::ChunkLocation>& chunks,
                     const std::vector<pack::EntryInfo>& entries) {
    size_t next = 0;
    for (const auto& chunk : chunks) {
      while (next < entries.size() && entries[next].offset < chunk.offset) ++next;
      std::string disagreement;
      if (next == entries.size() || entries[next].offset != chunk.offset) {
        disagreement = "has no entry at that offset in the pack's trailer index";
      } else {
        const auto& entry = entries[next];
        if (entry.id != chunk.id) {
          disagreement = fmt::format("is chunk {} in the pack's trailer index", to_hex(entry.id));
        } else if (entry.stored_size != chunk.stored_size || entry.raw_size != chunk.raw_size ||
                   entry.flags != chunk.flags || entry.dictionary != chunk.dictionary) {
          disagreement = fmt::format(
              "has stored/raw size {}/{} flags 0x{:x} dictionary {:08x} in the trailer index but {}/{} flags 0x{:x} "
              "dictionary {:08x} in the catalog",
              entry.stored_size, entry.raw_size, entry.flags, entry.dictionary, chunk.stored_size, chunk.raw_size,
              chunk.flags, chunk.dictionary);
        }
      }
      if (disagreement.empty()) continue;
      problem(fmt::format("pack {} at offset {}: indexed chunk {} {}", pack.name, chunk.offset, to_hex(chunk.id),
                          disagreement));
      mark_bad_chunk(chunk.id, fmt::format("disagrees with the trailer index of pack {}", pack.name));
    }
  }

  void mark_bad_chunk(const Hash128& id, std::string why) {
    if (bad_chunks_.size() < kMaxBadChunks) bad_chunks_.emplace(id, std::move(why));
  }

  // Every entry of the pack, read in runs of adjacent entries (LocalObjectStore
  // opens the file on every read, so one read per entry would be slow).
  void read_pack(const catalog::PackRecord& pack, const std::vector<pack::EntryInfo>& entries) {
    ++report_.packs_read;
    const auto secret = std::span<const uint8_t>(repository_.config().chunk_id_secret);
    chunk_verify::DecompressionContext decompression(&repository_.dictionaries());
    std::vector<uint8_t> raw;
    size_t first = 0;
    while (first < entries.size()) {
      size_t last = first;
      uint64_t end = entries[first].offset + pack::entry_span(entries[first]);
      while (last + 1 < entries.size() && end - entries[first].offset < kReadBytes) {
        ++last;
        end = entries[last].offset + pack::entry_span(entries[last]);
      }
      std::vector<uint8_t> bytes;
      try {
        bytes = objects_.read(pack.name, entries[first].offset, end - entries[first].offset);
      } catch (const Error& e) {
        problem(fmt::format("pack {}: entries from offset {} cannot be read: {}", pack.name, entries[first].offset,
                            e.what()));
        bad_packs_.insert(pack.id);
        return;
      }
      report_.bytes_read += bytes.size();
      for (size_t i = first; i <= last; ++i) {
        const auto& entry = entries[i];
        raw.resize(entry.raw_size);
        ++report_.chunks_read;
        try {
          chunk_verify::decode_entry(
              std::span(bytes).subspan(entry.offset - entries[first].offset, pack::entry_span(entry)), pack.name, entry,
              secret, decompression, raw);
        } catch (const Error& e) {
          problem(
              fmt::format("pack {} at offset {}: chunk {} {}", pack.name, entry.offset, to_hex(entry.id), e.what()));
          mark_bad_chunk(entry.id, fmt::format("is damaged in pack {} at offset {}", pack.name, entry.offset));
        }
      }
      first = last + 1;
    }
  }

  void find_leftovers() {
    for (const auto& name : objects_.list("packs/")) {
      if (catalog_.has_pack_named(name)) continue;
      report_.orphan_packs.push_back(name);
      warning(
          fmt::format("pack {} ({} bytes) is not in the catalog (left by an interrupted backup or prune); "
                      "`certvault prune` removes it",
                      name, objects_.size(name)));
    }
    for (const auto& name : objects_.list("snapshots/")) {
      const auto id = maintenance::snapshot_id_of_manifest(name);
      if (id && catalog_.has_snapshot(*id)) continue;
      // A manifest that cannot be read may be a snapshot `repair catalog` had to leave out: never a mere leftover.
      if (const auto why =
              maintenance::unrecoverable_snapshot(catalog_, objects_, repository_.config().chunk_id_secret, name);
          !why.empty()) {
        problem(
            fmt::format("{}; its snapshot is not in the catalog and cannot be restored or rebuilt, and `certvault "
                        "prune` refuses to run until it is forgotten (`certvault forget {}`)",
                        why, id.value_or(name)));
        continue;
      }
      warning(
          fmt::format("manifest {} has no snapshot in the catalog (left by an interrupted forget or backup); "
                      "`certvault prune` removes it",
                      name));
    }
    for (const auto& name : objects_.list("recipes/")) {
      const auto id = maintenance::recipe_id_of_object(name);
      if (id && catalog_.has_recipe(*id)) continue;
      warning(
          fmt::format("recipe object {} is not in the catalog (left by an interrupted backup or prune); "
                      "`certvault prune` removes it",
                      name));
    }
  }

  // Why chunk `id` cannot be read, or "" if nothing is known against it.
  std::string chunk_problem(const Hash128& id, std::optional<catalog::ChunkLocation>& location) {
    location = catalog_.find_chunk(id);
    if (!location) return "is not in the chunk index";
    if (bad_packs_.contains(location->pack_id)) {
      const auto name = pack_names_.find(location->pack_id);
      return fmt::format("is in pack {}, which is missing or unreadable",
                         name == pack_names_.end() ? std::to_string(location->pack_id) : name->second);
    }
    if (!pack_names_.contains(location->pack_id)) {
      return fmt::format("points to pack id {}, which is not in the catalog", location->pack_id);
    }
    if (const auto bad = bad_chunks_.find(id); bad != bad_chunks_.end()) return bad->second;
    return "";
  }

  // Every recipe's object; the chunks of every recipe a file uses, as its effective list (a
  // delta resolved through its bases): the same lists prune keeps alive, so a base that only
  // serves as a delta's base needs no chunk of its own (docs/design.md). Each distinct chunk is
  // looked up once.
  void check_recipes() {
    catalog_.for_each_recipe([this](const catalog::RecipeRecord& recipe) {
      ++report_.recipes;
      const auto name = recipe::object_name(recipe.id);
      if (!objects_.exists(name)) {
        problem(fmt::format("recipe {}: its object {} is missing, so `repair catalog` could not rebuild it",
                            to_hex(recipe.id), name));
      } else {
        check_recipe_object(recipe, name);
      }
      try {
        // A list kept in its object only was decoded as check_recipe_object() streamed it.
        if (!recipe::row_in_object_only(recipe)) {
          (void)maintenance::chunk_ids_named_by(recipe);
        }
      } catch (const Error& e) {
        problem(fmt::format("recipe {} cannot be decoded: {}", to_hex(recipe.id), e.what()));
        note_broken(recipe.id);
      }
    });
    // Chunks already found good, so that the next full's copy of a page is not looked up again;
    // bounded, so that memory does not grow with the repository (past the bound a chunk shared
    // by several recipes is merely looked up once per recipe).
    constexpr size_t kMaxRememberedGoodChunks = size_t{1} << 16;
    std::unordered_set<Hash128, Hash128Hasher> good_chunks;
    for (const auto& use : catalog_.recipe_uses()) {
      // Read as it is walked (recipe::StreamedIds), so memory does not grow with the database;
      // the catalog's row of every recipe was compared with its object above.
      try {
        recipe::StreamedIds ids(catalog_, objects_, use.recipe, repository_.config().chunk_id_secret);
        std::optional<catalog::ChunkLocation> location;
        for (uint64_t index = 0; index < ids.size(); ++index) {
          const Hash128 id = ids.at(index);
          if (good_chunks.contains(id)) continue;
          if (!chunk_problem(id, location).empty()) {
            note_broken(use.recipe);
            break;
          }
          if (good_chunks.size() < kMaxRememberedGoodChunks) good_chunks.insert(id);
        }
      } catch (const Error&) {
        note_broken(use.recipe);
      }
    }
  }

  // The object `repair catalog` would rebuild the row from: framing checksum,
  // encoding, keyed id and every field against the catalog's row (which is
  // what export reads, so a damaged object is otherwise silent until then).
  void check_recipe_object(const catalog::RecipeRecord& row, const std::string& name) {
    const auto what = fmt::format("recipe {}: its object {}", to_hex(row.id), name);
    const auto damaged = [&](const std::string& why) {
      problem(fmt::format("{}; `repair catalog` could not rebuild the recipe from it", why));
    };
    const auto secret = std::span<const uint8_t>(repository_.config().chunk_id_secret);
    try {
      if (recipe::row_in_object_only(row)) {
        // Kept in its object only: verified as it streams past, so memory does not grow with it.
        const auto head = recipe::read_full_head(objects_, name, what);
        recipe::verify_full_object(objects_, name, head, row.id, secret, what);
        catalog::RecipeRecord object;
        object.id = row.id;
        object.logical_size = head.logical_size;
        object.chunk_count = head.chunk_count;
        if (const auto why = recipe_disagreement(object, row); !why.empty()) {
          damaged(fmt::format("{} disagrees with the catalog: {}", what, why));
        }
        return;
      }
      const auto object = recipe::decode_object(objects_.read_all(name), row.id, what);
      if (keyed_hash128(object.body, secret) != row.id) {
        damaged(what + ": its encoded recipe does not hash to its name");
      } else if (const auto why = recipe_disagreement(object, row); !why.empty()) {
        damaged(fmt::format("{} disagrees with the catalog: {}", what, why));
      }
    } catch (const Error& e) {
      damaged(e.what());
    }
  }

  void note_broken(const Hash128& recipe) {
    if (broken_recipes_.size() < kMaxBroken) broken_recipes_.push_back(recipe);
    ++broken_recipe_count_;
  }

  // Turns each broken recipe into lines naming the snapshots, files and file
  // offsets that cannot be restored.
  void locate_damage() {
    for (const auto& recipe : broken_recipes_) {
      const auto files = catalog_.files_using_recipe(recipe, kMaxFilesPerRecipe);
      if (files.empty()) {
        warning(
            fmt::format("recipe {} names chunks that cannot be read, but no snapshot uses it; `certvault prune` "
                        "removes it",
                        to_hex(recipe)));
        continue;
      }
      for (const auto& [snapshot_id, file] : files) locate_in_file(snapshot_id, file);
      if (files.size() == kMaxFilesPerRecipe) {
        problem(
            fmt::format("recipe {}: more files than the {} above may be damaged", to_hex(recipe), kMaxFilesPerRecipe));
      }
    }
    if (broken_recipe_count_ > broken_recipes_.size()) {
      problem(fmt::format("{} more recipes name chunks that cannot be read (not listed)",
                          broken_recipe_count_ - broken_recipes_.size()));
    }
  }

  void locate_in_file(const std::string& snapshot_id, const catalog::FileRecord& file) {
    const auto where = fmt::format("snapshot {} file '{}'", snapshot_id, file.path);
    reported_files_.insert({file.recipe, file.digest});
    recipe::ChunkList ids;
    try {
      ids = recipe::load_ids(catalog_, objects_, file.recipe, repository_.config().chunk_id_secret);
    } catch (const Error& e) {
      problem(fmt::format("{}: its recipe cannot be loaded: {}", where, e.what()));
      return;
    }
    uint64_t offset = 0;
    std::optional<catalog::ChunkLocation> location;
    for (const auto& id : ids) {
      const auto why = chunk_problem(id, location);
      if (!why.empty()) {
        problem(fmt::format("{} at offset {}: chunk {} {}", where, offset, to_hex(id), why));
        return;
      }
      offset += location->raw_size;
    }
  }

  void check_snapshots() {
    for (const auto& snapshot : catalog_.snapshots()) {
      ++report_.snapshots;
      const auto files = catalog_.files(snapshot.id);
      report_.files += files.size();
      if (!objects_.exists(snapshot.manifest)) {
        problem(fmt::format("snapshot {}: its manifest {} is missing, so `repair catalog` could not rebuild it",
                            snapshot.id, snapshot.manifest));
      } else {
        check_manifest_object(snapshot, files);
      }
    }
  }

  void check_manifest_object(const catalog::SnapshotRecord& row, const std::vector<catalog::FileRecord>& files) {
    const auto what = fmt::format("snapshot {}: its manifest {}", row.id, row.manifest);
    const auto damaged = [&](const std::string& why) {
      problem(fmt::format("{}; `repair catalog` could not rebuild the snapshot from it", why));
    };
    try {
      const auto object = manifest::decode(objects_.read_all(row.manifest), what);
      const auto why = manifest_disagreement(object, row, files, catalog_.missing_files(row.id));
      if (!why.empty()) damaged(fmt::format("{} disagrees with the catalog: {}", what, why));
      check_names(object);
    } catch (const Error& e) {
      damaged(e.what());
    }
  }

  // The names export and restore would refuse, in the words they would use.
  void check_names(const manifest::Manifest& object) {
    std::vector<std::string> paths;
    for (const auto& file : object.files) {
      try {
        check_relative_path(file.path);
        paths.push_back(file.path);
      } catch (const Error& e) {
        problem(fmt::format("snapshot {} file {}: {}; export and restore refuse this snapshot", object.snapshot.id,
                            file.seq, e.what()));
      }
    }
    try {
      check_distinct_paths(paths, fmt::format("snapshot {}", object.snapshot.id));
    } catch (const Error& e) {
      problem(fmt::format("{}; export and restore refuse this snapshot", e.what()));
    }
  }

  // Rebuilds each distinct file content once (snapshots share most files) and
  // compares its whole-file digest.
  void read_files() {
    std::set<std::pair<catalog::Digest, catalog::Digest>> seen = reported_files_;
    for (const auto& snapshot : catalog_.snapshots()) {
      for (const auto& file : catalog_.files(snapshot.id)) {
        if (!seen.insert({file.recipe, file.digest}).second) continue;
        if (!chosen_for_reading()) continue;
        try {
          read_file_contents(repository_, snapshot.id, file, [](std::span<const uint8_t>) {});
          ++report_.files_verified;
        } catch (const std::exception& e) {
          problem(e.what());
        }
      }
    }
  }

  static constexpr size_t kMaxBroken = kMaxBrokenRecipes;
  Repository& repository_;
  catalog::Catalog& catalog_;
  ObjectStore& objects_;
  const CheckOptions& options_;
  std::mt19937_64 random_;
  CheckReport report_;
  std::unordered_map<int64_t, std::string> pack_names_;
  std::unordered_set<int64_t> bad_packs_;
  std::unordered_map<Hash128, std::string, Hash128Hasher> bad_chunks_;
  std::vector<Hash128> broken_recipes_;
  uint64_t broken_recipe_count_ = 0;
  std::set<std::pair<catalog::Digest, catalog::Digest>> reported_files_;
};

}  // namespace

CheckReport check_repository(Repository& repository, const CheckOptions& options) {
  if (!(options.read_data_subset_percent >= 0 && options.read_data_subset_percent <= 100)) {
    throw Error(ErrorKind::kUsage, fmt::format("--read-data-subset {}: must be a percentage from 0 to 100",
                                               options.read_data_subset_percent));
  }
  return Checker(repository, options).run();
}

}  // namespace certvault
