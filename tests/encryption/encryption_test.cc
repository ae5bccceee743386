// Issue 17: what an encrypted repository hides and what it detects.
#include <fmt/format.h>
#include <xxhash.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "certvault/base/error.h"
#include "certvault/repository/repository.h"
#include "encryption_support.h"

namespace {

using certvault_test::quoted;
using namespace encryption_test;
using certvault::ErrorKind;
using certvault::LockMode;
using certvault::Repository;

}  // namespace

TEST_CASE("no plaintext of the simulated CA's database is in any file of an encrypted repository") {
  BackedUpCa encrypted;
  std::vector<std::string> found;
  // The strings are in the CA's database: the search itself works.
  REQUIRE(files_containing_ca_strings(encrypted.ca(), found) > 0);
  found.clear();
  CHECK(files_containing_ca_strings(encrypted.repo(), found) == 0);
  for (const auto& file : found) INFO("plaintext in " << file);
  // The same backups in a plaintext repository show them (the comparison this test rests on).
  BackedUpCa plaintext(" --insecure-no-encryption");
  found.clear();
  CHECK(files_containing_ca_strings(plaintext.repo(), found) > 0);
  // And the encrypted repository still exports the CA's database.
  const auto files = encrypted.exported("out");
  const auto edb = std::find_if(files.begin(), files.end(), [](const auto& file) {
    return file.first.rfind("DataBase/", 0) == 0 && file.first.size() > 4 &&
           file.first.substr(file.first.size() - 4) == ".edb";
  });
  REQUIRE(edb != files.end());
  std::vector<std::string> in_export;
  CHECK(files_containing_ca_strings(encrypted.path("out"), in_export) > 0);
}

TEST_CASE("snapshots and check say when a repository is not encrypted, and --json stays JSON") {
  BackedUpCa plaintext(" --insecure-no-encryption");
  for (const char* command : {"snapshots", "check"}) {
    const auto text = certvault_test::certvault(std::string(command) + plaintext.r());
    INFO(text.output);
    CHECK(text.exit_code == 0);
    CHECK_THAT(text.output, Catch::Contains("NOT encrypted"));
  }
  const auto json = certvault_test::certvault("check --json" + plaintext.r());
  REQUIRE(json.exit_code == 0);
  CHECK(nlohmann::json::parse(json.output).at("encrypted") == false);
  const auto list = certvault_test::certvault("snapshots --json" + plaintext.r());
  REQUIRE(list.exit_code == 0);
  CHECK(nlohmann::json::parse(list.output).size() == 2);

  BackedUpCa encrypted;
  const auto checked = certvault_test::certvault("check" + encrypted.r());
  CHECK(checked.exit_code == 0);
  CHECK_THAT(checked.output, !Catch::Contains("NOT encrypted"));
  CHECK(nlohmann::json::parse(certvault_test::certvault("check --json" + encrypted.r()).output).at("encrypted") ==
        true);
}

TEST_CASE("snapshots --json says in every element whether the repository is encrypted, keeping the other fields") {
  for (const bool is_encrypted : {false, true}) {
    BackedUpCa ca(is_encrypted ? "" : " --insecure-no-encryption");
    const auto listed = certvault_test::certvault("snapshots --json" + ca.r());
    INFO(listed.output);
    REQUIRE(listed.exit_code == 0);
    const auto list = nlohmann::json::parse(listed.output);
    REQUIRE(list.is_array());
    REQUIRE(list.size() == 2);
    for (const auto& element : list) {
      CHECK(element.at("encrypted").is_boolean());
      CHECK(element.at("encrypted") == is_encrypted);
      // The fields scripts already read are still there, under the same names.
      for (const char* field : {"id", "time", "kind", "source", "logical_bytes", "added_bytes"}) {
        CHECK(element.contains(field));
      }
    }
  }
}

TEST_CASE("every flipped byte of an encrypted object is detected, and the error names the object") {
  BackedUpCa setup;
  const auto names = object_names(setup.repo());
  REQUIRE(names.size() >= 4);
  auto repository = Repository::open(setup.repo(), LockMode::kShared);
  auto& objects = repository->objects();
  size_t flips = 0;
  for (const auto& name : names) {
    const auto file = setup.repo() / name;
    const auto original = certvault_test::read_bytes(file);  // its size, and the check below
    const uint64_t plain_size = objects.size(name);
    // Every byte of small objects; of larger ones every byte of the header and of each block's
    // last 32 bytes (the tag and its neighbours), and every 251st byte elsewhere.
    for (size_t at = 0; at < original.size(); ++at) {
      const size_t in_block = at < 32 ? 0 : (at - 32) % (65536 + 16);
      const bool near_tag = in_block >= 65536 + 16 - 32 || at + 32 >= original.size();
      if (original.size() > 8192 && at >= 32 && !near_tag && at % 251 != 0) continue;
      flip_byte(file, at);
      // A ranged read of the plaintext the flipped byte belongs to (all of it for the header).
      const uint64_t block = at < 32 ? 0 : (at - 32) / (65536 + 16);
      const uint64_t from = at < 32 ? 0 : std::min<uint64_t>(block * 65536, plain_size);
      const uint64_t length = at < 32 ? plain_size : std::min<uint64_t>(65536, plain_size - from);
      try {
        (void)objects.read(name, from, std::max<uint64_t>(length, 1));
        FAIL("flipping byte " << at << " of " << name << " went unnoticed");
      } catch (const certvault::Error& e) {
        INFO(e.what());
        CHECK(e.kind() == ErrorKind::kIntegrity);
        CHECK_THAT(e.what(), Catch::Contains(name));
      }
      flip_byte(file, at);
      ++flips;
    }
  }
  CHECK(flips > 1000);
  for (const auto& name : names) CHECK(objects.read_all(name).size() == objects.size(name));  // all restored
  repository.reset();
  // And through the binary: a flip in any object check reads makes check --read-data fail naming it
  // (check does not read truncation records; the reads above covered them).
  for (const auto& name : names) {
    if (name.rfind("truncations/", 0) == 0) continue;
    flip_byte(setup.repo() / name, certvault_test::read_bytes(setup.repo() / name).size() / 2);
    const auto checked = certvault_test::certvault("check --read-data" + setup.r());
    INFO(checked.output);
    CHECK(checked.exit_code == 4);
    CHECK_THAT(checked.output, Catch::Contains(name));
    flip_byte(setup.repo() / name, certvault_test::read_bytes(setup.repo() / name).size() / 2);
  }
  CHECK(certvault_test::certvault("check --read-data" + setup.r()).exit_code == 0);
}

TEST_CASE("objects swapped, replayed under another name, truncated or from another repository are detected") {
  BackedUpCa setup;
  const auto names = object_names(setup.repo());
  std::vector<std::string> manifests, recipes, packs;
  for (const auto& name : names) {
    if (name.rfind("snapshots/", 0) == 0) manifests.push_back(name);
    if (name.rfind("recipes/", 0) == 0) recipes.push_back(name);
    if (name.rfind("packs/", 0) == 0) packs.push_back(name);
  }
  REQUIRE(manifests.size() == 2);
  REQUIRE(recipes.size() >= 2);
  const auto file = [&](const std::string& name) { return setup.repo() / name; };

  SECTION("two manifests swapped") {
    const auto a = certvault_test::read_bytes(file(manifests[0]));
    const auto b = certvault_test::read_bytes(file(manifests[1]));
    certvault_test::write_bytes(file(manifests[0]), b);
    certvault_test::write_bytes(file(manifests[1]), a);
    auto repository = Repository::open(setup.repo(), LockMode::kShared);
    for (const auto& name : manifests) {
      try {
        (void)repository->objects().read_all(name);
        FAIL(name << " read although it holds another manifest's bytes");
      } catch (const certvault::Error& e) {
        CHECK(e.kind() == ErrorKind::kIntegrity);
        CHECK_THAT(e.what(), Catch::Contains(name) && Catch::Contains("snapshot manifest"));
      }
    }
  }
  SECTION("a recipe replayed under another recipe's name") {
    certvault_test::write_bytes(file(recipes[1]), certvault_test::read_bytes(file(recipes[0])));
    const auto checked = certvault_test::certvault("check" + setup.r());
    INFO(checked.output);
    CHECK(checked.exit_code == 4);
    CHECK_THAT(checked.output, Catch::Contains(recipes[1]));
  }
  SECTION("a pack cut at a block boundary") {
    auto bytes = certvault_test::read_bytes(file(packs[0]));
    REQUIRE(bytes.size() > 32 + 65552);
    bytes.resize(32 + 65552);  // the header and exactly one whole block: only the last-block flag differs
    certvault_test::write_bytes(file(packs[0]), bytes);
    auto repository = Repository::open(setup.repo(), LockMode::kShared);
    try {
      (void)repository->objects().read(packs[0], 0, 16);
      FAIL("a truncated pack read");
    } catch (const certvault::Error& e) {
      CHECK_THAT(e.what(), Catch::Contains(packs[0]) && Catch::Contains("block 0"));
    }
  }
  SECTION("an object of another repository with the same passphrase") {
    BackedUpCa other;
    const auto other_names = object_names(other.repo());
    const auto other_manifest = std::find_if(other_names.begin(), other_names.end(),
                                             [](const std::string& n) { return n.rfind("snapshots/", 0) == 0; });
    REQUIRE(other_manifest != other_names.end());
    certvault_test::write_bytes(file(manifests[0]), certvault_test::read_bytes(other.repo() / *other_manifest));
    const auto checked = certvault_test::certvault("check" + setup.r());
    INFO(checked.output);
    CHECK(checked.exit_code == 4);
    CHECK_THAT(checked.output, Catch::Contains(manifests[0]));
  }
}

TEST_CASE("a changed config of an encrypted repository is refused") {
  BackedUpCa setup;
  const auto config = setup.repo() / "config";
  const auto original = certvault_test::read_bytes(config);
  std::string s(original.begin(), original.end());
  // Change a plain setting and recompute the unkeyed checksum, as anyone with write access can.
  const auto at = s.find("zstd-level = 3");
  REQUIRE(at != std::string::npos);
  s.replace(at, 14, "zstd-level = 9");
  const auto line = s.find("config-xxh64 = ");
  REQUIRE(line != std::string::npos);
  s = s.substr(0, line) + fmt::format("config-xxh64 = {:016x}\n", XXH64(s.data(), line, 0));
  certvault_test::write_bytes(config, ascii(s));
  const auto opened = certvault_test::certvault("snapshots" + setup.r());
  INFO(opened.output);
  CHECK(opened.exit_code == 4);
  CHECK_THAT(opened.output, Catch::Contains("config-mac") && Catch::Contains("does not authenticate"));
  certvault_test::write_bytes(config, original);
  CHECK(certvault_test::certvault("snapshots" + setup.r()).exit_code == 0);
}

TEST_CASE("repair catalog rebuilds an encrypted repository's catalog from its objects with the key") {
  BackedUpCa setup;
  const auto before = setup.exported("before");
  std::filesystem::remove(setup.repo() / "catalog.db");
  const auto wrong = certvault_with("CERTVAULT_PASSWORD=wrong", "repair catalog" + setup.r());
  CHECK(wrong.exit_code == 9);
  const auto repaired = certvault_test::certvault("repair catalog" + setup.r());
  INFO(repaired.output);
  REQUIRE(repaired.exit_code == 0);
  CHECK_THAT(repaired.output, Catch::Contains("2 snapshots"));
  CHECK(setup.exported("after") == before);
  CHECK(certvault_test::certvault("check --read-data" + setup.r()).exit_code == 0);
}
