// The golden repositories (tests/golden/README.md), read by this build through
// the real binary: every golden passes `check --read-data` and exports every
// snapshot byte-identically, with its committed catalog and with a catalog
// rebuilt by `repair catalog`; copies damaged one structure at a time fail with
// exit code 4 and a message naming the damaged object.
//
// The test reads the pack layout itself (footer and index, docs/format.md
// "Pack files") to find the bytes to damage, so it does not trust the code it
// tests to say where they are.
#include <xxhash.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "test_support.h"

using namespace certvault_test;
namespace fs = std::filesystem;

namespace {

constexpr int kExitIntegrity = 4;  // README's exit code table: corruption found

std::string utf8(const fs::path& path) {
  const auto text = path.generic_u8string();
  return std::string(text.begin(), text.end());
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Plain (unkeyed) XXH3-128 in canonical byte order, as `xxhsum -H2` prints it.
std::string plain_xxh128(const fs::path& file) {
  const auto bytes = read_bytes(file);
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(bytes.data(), bytes.size()));
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (uint8_t byte : canonical.digest) hex += {digits[byte >> 4], digits[byte & 15]};
  return hex;
}

using Digests = std::map<std::string, std::string>;  // path in the export -> digest

struct Golden {
  std::string name;  // e.g. "v1/ca"
  fs::path folder;
  // Encrypted goldens (v3 on) hold their passphrase beside the repository (a golden's key
  // protects nothing); every command on them is given it.
  std::optional<fs::path> passphrase_file;
  std::vector<std::pair<std::string, std::string>> snapshots;  // id, kind; oldest first
  std::map<std::string, Digests> expected;                     // by snapshot id
};

Digests read_expected(const fs::path& file) {
  Digests digests;
  std::ifstream in(file);
  REQUIRE(in.good());
  std::string line;
  while (std::getline(in, line)) {
    INFO(utf8(file) << ": " << line);
    REQUIRE(line.size() > 34);
    REQUIRE(line.substr(32, 2) == "  ");
    digests.emplace(line.substr(34), line.substr(0, 32));
  }
  return digests;
}

// Every vN/<name>/ holding a snapshots.txt: goldens added later are picked up without a change here.
std::vector<Golden> all_goldens() {
  std::vector<Golden> goldens;
  const fs::path root = fs::path(CERTVAULT_SOURCE_DIR) / "tests" / "golden";
  for (const auto& version : fs::directory_iterator(root)) {
    if (!version.is_directory()) continue;
    for (const auto& folder : fs::directory_iterator(version.path())) {
      if (!fs::exists(folder.path() / "snapshots.txt")) continue;
      Golden golden;
      golden.name = utf8(fs::relative(folder.path(), root));
      golden.folder = folder.path();
      // A golden is committed checkpointed: SQLite leftovers beside its catalog mean something
      // opened the committed files in place (the goldens are only ever read through copies).
      for (const char* leftover : {"catalog.db-wal", "catalog.db-shm", "catalog.db-journal"}) {
        INFO(utf8(folder.path()) << " holds " << leftover);
        REQUIRE_FALSE(fs::exists(folder.path() / "repo" / leftover));
      }
      if (fs::exists(folder.path() / "passphrase.txt")) golden.passphrase_file = folder.path() / "passphrase.txt";
      std::ifstream list(folder.path() / "snapshots.txt");
      std::string id, kind;
      while (list >> id >> kind) {
        golden.snapshots.emplace_back(id, kind);
        golden.expected[id] = read_expected(folder.path() / "expected" / (id + ".xxh128"));
      }
      REQUIRE_FALSE(golden.snapshots.empty());
      goldens.push_back(std::move(golden));
    }
  }
  std::sort(goldens.begin(), goldens.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  REQUIRE(goldens.size() >= 2);  // v1/ca and v1/folder at least
  return goldens;
}

// The goldens whose objects are plaintext (formats 1 and 2): the damage tests below find the
// bytes to damage by reading those layouts; sealed objects have their own test.
std::vector<Golden> plaintext_goldens() {
  auto goldens = all_goldens();
  std::erase_if(goldens, [](const Golden& golden) { return golden.passphrase_file.has_value(); });
  return goldens;
}

std::vector<Golden> encrypted_goldens() {
  auto goldens = all_goldens();
  std::erase_if(goldens, [](const Golden& golden) { return !golden.passphrase_file.has_value(); });
  return goldens;
}

// A golden copied to a temporary folder: the committed files are never touched.
class GoldenCopy {
 public:
  explicit GoldenCopy(const Golden& golden) : golden_(golden) {
    fs::copy(golden.folder / "repo", repo(), fs::copy_options::recursive);
    // The modes certvault gives what it writes (0600/0700); git checks the goldens out 0644/0755,
    // which check would rightly warn about (tested in tests/safety/permissions_test.cc).
    fs::permissions(repo(), fs::perms::owner_all);
    for (const auto& entry : fs::recursive_directory_iterator(repo())) {
      fs::permissions(entry.path(),
                      entry.is_directory() ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write);
    }
  }
  const Golden& golden() const { return golden_; }
  fs::path repo() const { return temp_ / "repo"; }
  fs::path file(const std::string& object) const { return repo() / object; }

  // The test main's CERTVAULT_PASSWORD is emptied, so an encrypted golden opens only with its own
  // passphrase file.
  CommandResult cv(const std::string& arguments) const {
    std::string command = "CERTVAULT_PASSWORD= " + quoted(certvault_binary().string()) + " " + arguments + " --repo " +
                          quoted(repo().string());
    if (golden_.passphrase_file) command += " --password-file " + quoted(golden_.passphrase_file->string());
    return run(command);
  }

  struct Export {
    CommandResult result;
    Digests digests;  // of every file written, MANIFEST aside
  };
  Export export_snapshot(const std::string& id) {
    const auto target = temp_ / ("export-" + std::to_string(++exports_));
    Export outcome{cv("export " + id + " --to " + quoted(target.string())), {}};
    if (outcome.result.exit_code == 0) {
      for (const auto& entry : fs::recursive_directory_iterator(target)) {
        const auto relative = utf8(fs::relative(entry.path(), target));
        if (entry.is_regular_file() && relative != "MANIFEST") outcome.digests[relative] = plain_xxh128(entry.path());
      }
    }
    return outcome;
  }

  // Objects of one kind on disk, sorted: "packs/", "recipes/", "snapshots/".
  std::vector<std::string> objects(const std::string& folder) const {
    std::vector<std::string> names;
    for (const auto& entry : fs::recursive_directory_iterator(repo() / folder)) {
      if (entry.is_regular_file()) names.push_back(utf8(fs::relative(entry.path(), repo())));
    }
    std::sort(names.begin(), names.end());
    REQUIRE_FALSE(names.empty());
    return names;
  }

  void flip_byte(const std::string& object, uint64_t offset) const {
    auto bytes = read_bytes(file(object));
    REQUIRE(offset < bytes.size());
    bytes[offset] ^= 0x20;
    write_bytes(file(object), bytes);
  }

 private:
  const Golden& golden_;
  TempFolder temp_{"golden"};
  int exports_ = 0;
};

void require_snapshots_listed(const GoldenCopy& copy) {
  const auto result = copy.cv("snapshots --json");
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  std::vector<std::pair<std::string, std::string>> listed;
  for (const auto& snapshot : nlohmann::json::parse(result.output)) {
    listed.emplace_back(snapshot.at("id").get<std::string>(), snapshot.at("kind").get<std::string>());
  }
  CHECK(listed == copy.golden().snapshots);
}

void require_check_passes(const GoldenCopy& copy) {
  const auto result = copy.cv("check --read-data");
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK(contains(result.output, "no problems found"));
  CHECK_FALSE(contains(result.output, "warning"));
}

void require_identical_exports(GoldenCopy& copy) {
  for (const auto& [id, kind] : copy.golden().snapshots) {
    INFO("snapshot " << id << " (" << kind << ")");
    const auto exported = copy.export_snapshot(id);
    INFO(exported.result.output);
    REQUIRE(exported.result.exit_code == 0);
    CHECK(exported.digests == copy.golden().expected.at(id));
  }
}

// After damage: nothing exports wrong bytes. Returns the outputs of the exports that failed.
std::vector<CommandResult> exports_never_wrong(GoldenCopy& copy) {
  std::vector<CommandResult> failures;
  for (const auto& [id, kind] : copy.golden().snapshots) {
    const auto exported = copy.export_snapshot(id);
    INFO("snapshot " << id << "\n" << exported.result.output);
    if (exported.result.exit_code == 0) {
      CHECK(exported.digests == copy.golden().expected.at(id));
    } else {
      CHECK(exported.result.exit_code == kExitIntegrity);
      failures.push_back(exported.result);
    }
  }
  return failures;
}

void require_integrity_failure(const CommandResult& result, const std::string& names) {
  INFO(result.output);
  CHECK(result.exit_code == kExitIntegrity);
  CHECK(contains(result.output, names));
}

uint64_t read_le(const std::vector<uint8_t>& bytes, uint64_t offset, int width) {
  uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i) value = (value << 8) | bytes.at(offset + static_cast<uint64_t>(i));
  return value;
}

// docs/format.md, "Pack files": the 32-byte footer holds u64 index_offset and u32 entry_count; the
// index holds 40-byte records with the entry offset at 16 and stored_size at 28; an entry is a
// 48-byte header followed by the stored bytes.
struct PackLayout {
  uint64_t index_offset = 0;
  uint64_t first_entry = 0;
  uint64_t first_stored_size = 0;
};

PackLayout pack_layout(const GoldenCopy& copy, const std::string& pack) {
  const auto bytes = read_bytes(copy.file(pack));
  REQUIRE(bytes.size() >= 16 + 32);
  const uint64_t footer = bytes.size() - 32;
  PackLayout layout;
  layout.index_offset = read_le(bytes, footer, 8);
  REQUIRE(read_le(bytes, footer + 8, 4) >= 1);
  REQUIRE(layout.index_offset + 40 <= footer);
  layout.first_entry = read_le(bytes, layout.index_offset + 16, 8);
  layout.first_stored_size = read_le(bytes, layout.index_offset + 28, 4);
  REQUIRE(layout.first_stored_size > 0);
  REQUIRE(layout.first_entry + 48 + layout.first_stored_size <= layout.index_offset);
  return layout;
}

// docs/format.md, "Recipe object": after the 24-byte frame and two u64 sizes, byte 40 is the
// kind (0 full, 1 delta). Damaging one of each keeps the test short and covers both encodings.
std::vector<std::string> one_full_and_one_delta_recipe(const Golden& golden) {
  const GoldenCopy copy(golden);
  std::map<uint8_t, std::string> first_of_kind;
  for (const auto& recipe : copy.objects("recipes/")) {
    first_of_kind.emplace(read_bytes(copy.file(recipe)).at(40), recipe);
  }
  REQUIRE(first_of_kind.size() == 2);  // every v1 golden holds delta recipes
  return {first_of_kind.at(0), first_of_kind.at(1)};
}

}  // namespace

TEST_CASE("golden: every golden repository passes check --read-data and exports every snapshot byte-identically") {
  for (const auto& golden : all_goldens()) {
    INFO("golden " << golden.name);
    GoldenCopy copy(golden);
    require_snapshots_listed(copy);
    require_check_passes(copy);
    require_identical_exports(copy);
  }
}

TEST_CASE("golden: with the catalog deleted, repair catalog rebuilds it and every export is the same") {
  for (const auto& golden : all_goldens()) {
    INFO("golden " << golden.name);
    GoldenCopy copy(golden);
    fs::remove(copy.file("catalog.db"));
    REQUIRE(copy.cv("snapshots").exit_code == kExitIntegrity);  // a missing catalog is named, not recreated empty
    const auto repaired = copy.cv("repair catalog");
    INFO(repaired.output);
    REQUIRE(repaired.exit_code == 0);
    CHECK(contains(repaired.output, std::to_string(golden.snapshots.size()) + " snapshots"));
    require_snapshots_listed(copy);
    require_check_passes(copy);
    require_identical_exports(copy);
  }
}

TEST_CASE("golden: a flipped byte in a chunk's compressed data fails check --read-data and export with exit 4") {
  for (const auto& golden : plaintext_goldens()) {
    INFO("golden " << golden.name);
    GoldenCopy copy(golden);
    const auto pack = copy.objects("packs/").front();
    const auto layout = pack_layout(copy, pack);
    copy.flip_byte(pack, layout.first_entry + 48 + layout.first_stored_size / 2);
    require_integrity_failure(copy.cv("check --read-data"), "pack " + pack);
    // Every chunk of a golden is used by some snapshot: at least one export must fail, naming the pack.
    const auto failures = exports_never_wrong(copy);
    REQUIRE_FALSE(failures.empty());
    for (const auto& failure : failures) require_integrity_failure(failure, "pack " + pack);
  }
}

TEST_CASE("golden: a damaged pack trailer fails check with exit 4 naming the pack") {
  // Catch's SECTIONs do not repeat inside a loop, so the damages are a loop of their own.
  const std::vector<std::pair<std::string, std::function<uint64_t(const PackLayout&, uint64_t)>>> damages = {
      {"an index record", [](const PackLayout& layout, uint64_t) { return layout.index_offset + 16; }},
      {"the footer's magic", [](const PackLayout&, uint64_t size) { return size - 8; }},
      {"the footer's entry count", [](const PackLayout&, uint64_t size) { return size - 32 + 8; }},
  };
  for (const auto& golden : plaintext_goldens()) {
    for (const auto& [where, offset] : damages) {
      INFO("golden " << golden.name << ", damaged: " << where);
      GoldenCopy copy(golden);
      const auto pack = copy.objects("packs/").back();
      copy.flip_byte(pack, offset(pack_layout(copy, pack), fs::file_size(copy.file(pack))));
      require_integrity_failure(copy.cv("check"), "pack " + pack);
      exports_never_wrong(copy);
    }
  }
}

TEST_CASE("golden: a flipped byte in a recipe object fails check and repair catalog with exit 4 naming it") {
  for (const auto& golden : plaintext_goldens()) {
    INFO("golden " << golden.name);
    for (const auto& recipe : one_full_and_one_delta_recipe(golden)) {
      INFO("damaged " << recipe);
      GoldenCopy copy(golden);
      copy.flip_byte(recipe, fs::file_size(copy.file(recipe)) - 1);
      require_integrity_failure(copy.cv("check"), "its object " + recipe + ": body checksum");
      exports_never_wrong(copy);
      fs::remove(copy.file("catalog.db"));
      require_integrity_failure(copy.cv("repair catalog"), "recipe " + recipe + " skipped");
    }
  }
}

TEST_CASE("golden: a flipped byte in a snapshot manifest fails check and repair catalog with exit 4 naming it") {
  for (const auto& golden : plaintext_goldens()) {
    INFO("golden " << golden.name);
    GoldenCopy copy(golden);
    const auto manifest = "snapshots/" + golden.snapshots.back().first + ".snap";
    copy.flip_byte(manifest, fs::file_size(copy.file(manifest)) / 2);
    require_integrity_failure(copy.cv("check"), "its manifest " + manifest + ": body checksum");
    exports_never_wrong(copy);
    fs::remove(copy.file("catalog.db"));
    require_integrity_failure(copy.cv("repair catalog"), "snapshot " + manifest + " skipped");
  }
}

TEST_CASE("golden: a damaged config stops check and export with exit 4 naming the config") {
  for (const auto& golden : plaintext_goldens()) {
    for (const bool in_first_line : {true, false}) {
      INFO("golden " << golden.name
                     << ", damaged: " << (in_first_line ? "first line" : "a digit of the chunk-id secret"));
      GoldenCopy copy(golden);
      const auto config = copy.file("config");
      std::string names = config.string();
      if (in_first_line) {
        copy.flip_byte("config", 0);
      } else {
        auto text = read_bytes(config);
        const std::string key = "\nchunk-id-secret = ";
        const auto at = std::search(text.begin(), text.end(), key.begin(), key.end());
        REQUIRE(at != text.end());
        auto& digit = *(at + static_cast<std::ptrdiff_t>(key.size()) + 10);
        digit = digit == '0' ? '1' : '0';
        write_bytes(config, text);
        // A config with its checksum line (written since issue 15, so v2 on) fails that first.
        const std::string checksum_key = "\nconfig-xxh64 = ";
        const bool checksummed =
            std::search(text.begin(), text.end(), checksum_key.begin(), checksum_key.end()) != text.end();
        names = checksummed ? config.string() + ": checksum mismatch"
                            : "config " + config.string() + " disagrees with the catalog's copy of it: chunk-id-secret";
      }
      require_integrity_failure(copy.cv("check --read-data"), names);
      require_integrity_failure(copy.cv("export " + golden.snapshots.front().first + " --to " +
                                        quoted((copy.repo().parent_path() / "export").string())),
                                names);
    }
  }
}

// Repository format 2 (issue 16): database pages compressed with a zstd dictionary, named in the
// version-2 pack entries; the dictionary is an object of its own that check verifies.
TEST_CASE("golden: v2/ca is format 2 with a dictionary its pages use, and a damaged dictionary fails with exit 4") {
  const auto goldens = all_goldens();
  const auto v2 = std::find_if(goldens.begin(), goldens.end(), [](const Golden& g) { return g.name == "v2/ca"; });
  REQUIRE(v2 != goldens.end());
  GoldenCopy copy(*v2);
  const auto dictionaries = copy.objects("dicts/");
  REQUIRE(dictionaries.size() == 1);
  // Every pack is version 2 (u16 at offset 4 of its header, docs/format.md §5.2).
  for (const auto& pack : copy.objects("packs/")) {
    const auto bytes = read_bytes(copy.file(pack));
    CHECK(read_le(bytes, 4, 2) == 2);
  }
  // A flipped byte inside the dictionary: its frame checksum fails, so check names it and exports
  // of snapshots whose pages need it fail rather than write wrong bytes.
  copy.flip_byte(dictionaries.front(), read_bytes(copy.file(dictionaries.front())).size() - 100);
  require_integrity_failure(copy.cv("check --read-data"), dictionaries.front());
  const auto failures = exports_never_wrong(copy);
  CHECK(failures.size() == copy.golden().snapshots.size());
}

// Repository format 3 (issue 17): every object sealed. The golden opens with either of its key
// slots (the passphrase, the key file beside it) and not without one; a flipped byte in the
// middle of any sealed object fails check --read-data with exit 4 naming the object, and no
// export writes wrong bytes.
TEST_CASE("golden: an encrypted golden opens with each of its keys, and damage to any sealed object is named") {
  const auto goldens = encrypted_goldens();
  REQUIRE_FALSE(goldens.empty());  // v3/ca at least
  for (const auto& golden : goldens) {
    INFO("golden " << golden.name);
    {
      GoldenCopy copy(golden);
      const std::string repo = " --repo " + quoted(copy.repo().string());
      const auto with_key_file = run("CERTVAULT_PASSWORD= " + quoted(certvault_binary().string()) + " check" + repo +
                                     " --key-file " + quoted((golden.folder / "golden.key").string()));
      INFO(with_key_file.output);
      CHECK(with_key_file.exit_code == 0);
      const auto without_key =
          run("CERTVAULT_PASSWORD= " + quoted(certvault_binary().string()) + " snapshots" + repo + " < /dev/null");
      CHECK(without_key.exit_code == 9);
    }
    for (const std::string folder : {"packs/", "recipes/", "snapshots/", "dicts/"}) {
      GoldenCopy copy(golden);
      const auto object = copy.objects(folder).front();
      INFO("damaged " << object);
      copy.flip_byte(object, fs::file_size(copy.file(object)) / 2);
      require_integrity_failure(copy.cv("check --read-data"), object);
      exports_never_wrong(copy);
    }
    // Records no restore reads (verification outcomes, truncation history): a warning naming them.
    for (const std::string folder : {"outcomes/", "truncations/"}) {
      GoldenCopy copy(golden);
      const auto object = copy.objects(folder).front();
      INFO("damaged " << object);
      copy.flip_byte(object, fs::file_size(copy.file(object)) / 2);
      const auto checked = copy.cv("check --read-data");
      INFO(checked.output);
      CHECK(checked.exit_code == 0);
      CHECK(contains(checked.output, "warning"));
      CHECK(contains(checked.output, object));
    }
    GoldenCopy copy(golden);
    copy.flip_byte("config", 0);
    require_integrity_failure(copy.cv("check"), copy.file("config").string());
  }
}
