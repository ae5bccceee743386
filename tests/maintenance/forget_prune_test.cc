// forget removes snapshots; prune then frees exactly what no kept snapshot
// needs, and every kept snapshot still exports byte for byte.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "certvault/base/error.h"
#include "maintenance_fixture.h"

using namespace certvault;
using namespace certvault_test;

namespace {
using Files = std::vector<std::pair<std::string, std::vector<uint8_t>>>;

std::set<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}
}  // namespace

TEST_CASE("prune after forget deletes exactly the packs only the forgotten snapshot used") {
  MaintenanceRepo repo;
  const auto source = repo.scratch("source");
  const auto shared = random_bytes(700u << 10, 1);
  const Files first = {{"a1.bin", random_bytes(1500u << 10, 11)}, {"shared.bin", shared}};
  const Files second = {{"a2.bin", random_bytes(1500u << 10, 12)}, {"shared.bin", shared}};
  const Files third = {{"a3.bin", random_bytes(1500u << 10, 13)}, {"shared.bin", shared}};
  set_folder(source, first);
  const auto s1 = repo.back_up(source);
  const auto packs_after_first = repo.pack_files();
  set_folder(source, second);
  const auto s2 = repo.back_up(source);
  const auto only_second = minus(repo.pack_files(), packs_after_first);
  set_folder(source, third);
  const auto s3 = repo.back_up(source);
  const auto packs_before = repo.pack_files();
  const auto recipes_before = repo.objects_under("recipes");
  REQUIRE(only_second.size() >= 2);  // 1.5 MiB of new data in 1 MiB packs

  uint64_t second_bytes = 0;
  for (const auto& name : only_second) second_bytes += std::filesystem::file_size(repo.repo_path() / name);

  repo.forget({s2});
  CHECK_FALSE(std::filesystem::exists(repo.repo_path() / "snapshots" / (s2 + ".snap")));
  CHECK(repo.open(LockMode::kShared)->catalog().snapshots().size() == 2);

  const auto report = repo.prune();
  CHECK(report.packs_deleted == only_second.size());
  CHECK(report.packs_repacked == 0);
  CHECK(report.recipes_removed == 1);  // a2.bin's; shared.bin's recipe is s1's and s3's too
  CHECK(report.bytes_freed == second_bytes);
  CHECK(repo.pack_files() == minus(packs_before, only_second));
  CHECK(repo.objects_under("recipes").size() == recipes_before.size() - 1);

  CHECK(repo.exported(s1) == first);
  CHECK(repo.exported(s3) == third);
  const auto check = repo.check(true);
  INFO(joined(check.problems) << joined(check.warnings));
  CHECK(check.ok());
  CHECK(check.warnings.empty());
  CHECK(check.files_verified == 3);  // a1, a3 and the shared file once

  // A second prune finds nothing more to do.
  const auto again = repo.prune();
  CHECK(again.packs_deleted == 0);
  CHECK(again.recipes_removed == 0);
  CHECK(again.bytes_freed == 0);
}

TEST_CASE("a delta recipe keeps its base recipe when the base snapshot is forgotten") {
  MaintenanceRepo repo;
  const auto source = repo.scratch("source");
  auto database = random_bytes(2u << 20, 5);
  set_folder(source, {{"db.bin", database}});
  const auto s1 = repo.back_up(source);
  const auto patch = [&](size_t offset, uint64_t seed) {
    const auto bytes = random_bytes(64u << 10, seed);
    std::copy(bytes.begin(), bytes.end(), database.begin() + static_cast<std::ptrdiff_t>(offset));
    set_folder(source, {{"db.bin", database}});
  };
  patch(1u << 20, 6);
  const auto s2 = repo.back_up(source);
  const Files second = {{"db.bin", database}};
  patch(300u << 10, 7);
  const auto s3 = repo.back_up(source);
  const Files third = {{"db.bin", database}};
  {
    auto repository = repo.open(LockMode::kShared);
    const auto& catalog = repository->catalog();
    const auto recipe3 = catalog.recipe(catalog.files(s3).at(0).recipe);
    REQUIRE(recipe3->base);  // the premise: s3 is a delta on s2, s2 on s1
    REQUIRE(*recipe3->base == catalog.files(s2).at(0).recipe);
    REQUIRE(catalog.recipe(*recipe3->base)->base == catalog.files(s1).at(0).recipe);
  }
  const auto recipes = repo.objects_under("recipes");

  repo.forget({s1});
  auto report = repo.prune();
  CHECK(report.recipes_removed == 0);
  CHECK(repo.objects_under("recipes") == recipes);
  CHECK(repo.exported(s2) == second);
  CHECK(repo.exported(s3) == third);
  auto check = repo.check(true);
  INFO(joined(check.problems));
  CHECK(check.ok());

  repo.forget({s2});
  report = repo.prune();
  CHECK(report.recipes_removed == 0);  // s3's delta still needs s2's and s1's recipes
  CHECK(repo.exported(s3) == third);
  CHECK(repo.check(true).ok());

  repo.forget({s3});
  report = repo.prune();
  CHECK(report.recipes_removed == recipes.size());
  CHECK(repo.pack_files().empty());
  CHECK(repo.objects_under("recipes").empty());
  CHECK(repo.objects_under("snapshots").empty());
  check = repo.check(true);
  CHECK(check.ok());
  CHECK(check.warnings.empty());
}

TEST_CASE("prune repacks a pack whose unused share exceeds --max-unused") {
  MaintenanceRepo repo;
  const auto source = repo.scratch("source");
  const auto keep = random_bytes(300u << 10, 21);
  set_folder(source, {{"keep.bin", keep}, {"drop.bin", random_bytes(300u << 10, 22)}});
  const auto s1 = repo.back_up(source);
  set_folder(source, {{"keep.bin", keep}});
  const auto s2 = repo.back_up(source);
  const auto packs = repo.pack_files();
  REQUIRE(packs.size() == 1);  // both files in one pack: half of it is about to become unused

  repo.forget({s1});
  const auto dry = repo.prune(10, true);
  CHECK(dry.dry_run);
  CHECK(dry.packs_repacked == 1);
  CHECK(dry.bytes_freed > (250u << 10));
  CHECK(repo.pack_files() == packs);  // a dry run changes nothing
  CHECK(std::filesystem::exists(repo.repo_path() / "snapshots" / (s1 + ".snap")) == false);

  const auto lenient = repo.prune(60);  // ~50% unused is within 60%
  CHECK(lenient.packs_repacked == 0);
  CHECK(lenient.recipes_removed == 1);
  CHECK(repo.pack_files() == packs);

  const auto strict = repo.prune(10);
  CHECK(strict.packs_repacked == 1);
  CHECK(strict.packs_written == 1);
  CHECK(strict.chunks_removed > 0);
  CHECK(strict.bytes_freed > (250u << 10));
  CHECK(strict.bytes_freed == dry.bytes_freed);
  const auto repacked = repo.pack_files();
  CHECK(repacked.size() == 1);
  CHECK(repacked != packs);
  CHECK(repo.exported(s2) == Files{{"keep.bin", keep}});
  const auto check = repo.check(true);
  INFO(joined(check.problems) << joined(check.warnings));
  CHECK(check.ok());
  CHECK(check.warnings.empty());
}

// Schema 4 has no index by pack: the rows of every pack to repack come from one sorted scan, and
// new packs are committed group by group (the live data outgrows one 1 MiB pack here).
TEST_CASE("prune repacks many half-used packs into several new ones and keeps every live chunk") {
  MaintenanceRepo repo;
  const auto source = repo.scratch("source");
  Files all, kept;
  for (uint64_t i = 0; i < 16; ++i) {
    auto bytes = random_bytes(192u << 10, 100 + i);
    const auto name = "file" + std::to_string(10 + i) + ".bin";
    if (i % 2 == 0) kept.emplace_back(name, bytes);
    all.emplace_back(name, std::move(bytes));
  }
  set_folder(source, all);
  const auto s1 = repo.back_up(source);
  set_folder(source, kept);
  const auto s2 = repo.back_up(source);
  const auto packs = repo.pack_files();
  REQUIRE(packs.size() >= 3);
  const uint64_t before = repo.bytes_under("packs");

  repo.forget({s1});
  const auto report = repo.prune(10);
  CHECK(report.packs_repacked + report.packs_deleted == packs.size());
  CHECK(report.packs_written >= 2);
  CHECK(report.bytes_freed > (1300u << 10));  // half of 3 MiB, less the entries' headers
  CHECK(repo.bytes_under("packs") == before - report.bytes_freed);
  CHECK(repo.exported(s2) == kept);
  const auto check = repo.check(true);
  INFO(joined(check.problems) << joined(check.warnings));
  CHECK(check.ok());
  CHECK(check.warnings.empty());
  CHECK(check.chunks == report.live_chunks);  // no row of a repacked pack was left behind
}

TEST_CASE("forget removes a snapshot's rows and manifest but keeps its truncation records") {
  MaintenanceRepo repo;
  const auto source = repo.scratch("source");
  set_folder(source, {{"a.bin", random_bytes(10000, 3)}});
  const auto s1 = repo.back_up(source);
  const auto s2 = repo.back_up(source);
  {
    auto repository = repo.open();
    repository->catalog().record_truncation({s1, 1700000000, 0, "logs truncated after snapshot", "truncated"});
  }
  repo.forget({s1});
  auto repository = repo.open(LockMode::kShared);
  const auto& catalog = repository->catalog();
  CHECK_FALSE(catalog.snapshot(s1));
  CHECK(catalog.files(s1).empty());
  CHECK(catalog.snapshot(s2));
  CHECK(catalog.files(s2).size() == 1);
  CHECK(catalog.truncations(s1).size() == 1);
  CHECK_FALSE(std::filesystem::exists(repo.repo_path() / "snapshots" / (s1 + ".snap")));

  CHECK_THROWS_AS(forget_snapshots(*repository, {s2}), Error);  // shared lock only
  repository.reset();
  try {
    repo.forget({std::string(32, 'a')});
    FAIL("forgetting an unknown snapshot must fail");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kUsage);
  }
  CHECK_THROWS_AS(repo.forget({"../../etc"}), Error);
}

TEST_CASE("prune and check through the real binary") {
  MaintenanceRepo repo;
  const auto source = repo.scratch("source");
  set_folder(source, {{"a.bin", random_bytes(400u << 10, 8)}});
  const auto s1 = repo.back_up(source);
  set_folder(source, {{"b.bin", random_bytes(400u << 10, 9)}});
  repo.back_up(source);
  repo.forget({s1});
  const auto repo_arg = "--repo " + quoted(repo.repo_path().string());

  auto result = certvault_test::certvault("prune " + repo_arg + " --dry-run --json");
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  const auto json = json_in(result.output);
  CHECK(json.at("dry_run") == true);
  CHECK(json.at("packs_deleted") == 1);

  result = certvault_test::certvault("prune " + repo_arg);
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK(result.output.find("would") == std::string::npos);
  CHECK(result.output.find("freed") != std::string::npos);

  result = certvault_test::certvault("check " + repo_arg + " --read-data");
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK(result.output.find("no problems found") != std::string::npos);

  CHECK(certvault_test::certvault("prune " + repo_arg + " --max-unused 150").exit_code == 2);
  CHECK(certvault_test::certvault("check " + repo_arg + " --read-data --read-data-subset 5").exit_code == 2);
}
