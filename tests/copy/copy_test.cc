// Issue 18, item 3: `certvault copy` through the real binary and the simulated CA.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "certvault/repository/repository.h"
#include "copy_support.h"

namespace {

using certvault_test::quoted;
using namespace copy_test;

// What a copy keeps of a snapshot: everything but the target's commit sequence, added bytes and
// whether its repository is encrypted (a property of the repository, not of the snapshot).
nlohmann::json identity(nlohmann::json snapshot) {
  snapshot.erase("commit_seq");
  snapshot.erase("added_bytes");
  snapshot.erase("encrypted");
  return snapshot;
}

void require_same_snapshots(const nlohmann::json& source, const nlohmann::json& target) {
  REQUIRE(source.size() == target.size());
  for (size_t i = 0; i < source.size(); ++i) CHECK(identity(source[i]) == identity(target[i]));
}

void require_same_exports(const std::filesystem::path& source, const std::filesystem::path& target,
                          const nlohmann::json& snapshots, const std::filesystem::path& scratch,
                          const std::string& target_environment = "") {
  for (const auto& snapshot : snapshots) {
    const std::string id = snapshot.at("id");
    INFO("snapshot " << id);
    const auto original = exported(source, id, scratch / ("a-" + id));
    const auto copied = exported(target, id, scratch / ("b-" + id), target_environment);
    REQUIRE(!original.empty());
    CHECK(original == copied);  // paths and bytes
  }
}

}  // namespace

TEST_CASE("copy --all: plaintext to encrypted to encrypted under another passphrase, same snapshots and exports") {
  CaSeries series;
  const auto encrypted = series.path("encrypted");
  const auto offsite = series.path("offsite");
  require_ok(certvault_test::certvault("init --repo " + quoted(encrypted.string())));
  const std::string other = "CERTVAULT_PASSWORD=" + quoted(kOtherPassphrase);
  require_ok(certvault_with(other, "init --repo " + quoted(offsite.string())));
  const auto password_file = series.path("source-password");
  certvault_test::write_bytes(password_file,
                              std::vector<uint8_t>({'c', 'e', 'r', 't', 'v', 'a', 'u', 'l', 't', ' ', 't', 'e', 's',
                                                    't', ' ', 'p', 'a', 's', 's', 'p', 'h', 'r', 'a', 's', 'e', '\n'}));
  const auto other_file = series.path("offsite-password");
  certvault_test::write_bytes(other_file, std::vector<uint8_t>(kOtherPassphrase.begin(), kOtherPassphrase.end()));

  // Plaintext -> encrypted (the test passphrase from the environment).
  const auto first = certvault_test::certvault("copy --all --json" + copy_args(series.source(), encrypted));
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  const auto report = nlohmann::json::parse(first.output);
  CHECK(report.at("copied") == 5);
  CHECK(report.at("skipped") == 0);
  CHECK(report.at("bytes_added").get<uint64_t>() > 0);

  // Encrypted -> encrypted under another passphrase: the source's from a file, the target's too.
  const auto second = certvault_with(
      "CERTVAULT_PASSWORD=", "copy --all" + copy_args(encrypted, offsite) + "--from-password-file " +
                                 quoted(password_file.string()) + " --to-password-file " + quoted(other_file.string()));
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(second.output, Catch::Contains("copied 5 snapshots"));

  const auto source_list = snapshots_json(series.source());
  require_same_snapshots(source_list, snapshots_json(encrypted));
  require_same_snapshots(source_list, snapshots_json(offsite, other));
  require_same_exports(series.source(), offsite, source_list, series.path("exports"), other);
  require_ok(certvault_with(other, "check --read-data --repo " + quoted(offsite.string())));
  require_ok(certvault_test::certvault("check --read-data --repo " + quoted(encrypted.string())));

  // A second run copies nothing, adds nothing and says so.
  const auto again = certvault_test::certvault("copy --all" + copy_args(series.source(), encrypted));
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  CHECK_THAT(again.output, Catch::Contains("nothing to copy: all 5 selected snapshots are already in"));
  const auto again_json = certvault_test::certvault("copy --all --json" + copy_args(series.source(), encrypted));
  REQUIRE(again_json.exit_code == 0);
  const auto again_report = nlohmann::json::parse(again_json.output);
  CHECK(again_report.at("copied") == 0);
  CHECK(again_report.at("skipped") == 5);
  CHECK(again_report.at("bytes_added") == 0);
}

TEST_CASE("copy of one incremental brings its full and the links before it, and new snapshots follow later") {
  CaSeries series;
  const auto target = series.path("target");
  require_ok(certvault_test::certvault("init --repo " + quoted(target.string())));
  const auto source_list = snapshots_json(series.source());
  REQUIRE(source_list.size() == 5);
  const std::string third = source_list[2].at("id");  // the second incremental of the first chain
  const auto result = certvault_test::certvault("copy " + third.substr(0, 10) + copy_args(series.source(), target));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains("needed by a selected incremental"));
  const auto copied = snapshots_json(target);
  REQUIRE(copied.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(identity(copied[i]) == identity(source_list[i]));
  require_same_exports(series.source(), target, nlohmann::json::array({source_list[2]}), series.path("exports"));

  // The rest later: only the two new ones are copied; the chain links of the copies hold.
  const auto rest = certvault_test::certvault("copy --all --json" + copy_args(series.source(), target));
  REQUIRE(rest.exit_code == 0);
  const auto report = nlohmann::json::parse(rest.output);
  CHECK(report.at("copied") == 2);
  CHECK(report.at("skipped") == 3);
  require_same_snapshots(source_list, snapshots_json(target));
  require_same_exports(series.source(), target, nlohmann::json::array({source_list[4]}), series.path("exports2"));
  // A backup into the target continues the copied chain.
  series.back_up(target, "incremental");
  require_ok(certvault_test::certvault("check --repo " + quoted(target.string())));
}

TEST_CASE("copy into a repository that backs up the same CA adds about what a backup of it there would add") {
  CaSeries series;
  const auto empty = series.path("empty");
  const auto similar = series.path("similar");
  const auto native = series.path("native");
  for (const auto& repo : {empty, similar, native}) {
    require_ok(certvault_test::certvault("init --repo " + quoted(repo.string())));
  }
  // `similar` and `native` hold their own full of the CA as it is now; then the CA moves on a little.
  // Logs are kept, so that the source's next full and `native`'s see the same files.
  series.back_up(similar, "full", "--keep-logs");
  series.back_up(native, "full", "--keep-logs");
  certvault_test::casim("issue " + quoted(series.ca().string()) + " --count 10");
  series.back_up(series.source(), "full", "--keep-logs");
  series.back_up(native, "full", "--keep-logs");  // the baseline: the same data backed up there
  const uint64_t native_added = snapshots_json(native).back().at("added_bytes");

  const auto into_empty = certvault_test::certvault("copy --json latest" + copy_args(series.source(), empty));
  const auto into_similar = certvault_test::certvault("copy --json latest" + copy_args(series.source(), similar));
  INFO(into_empty.output << into_similar.output);
  REQUIRE(into_empty.exit_code == 0);
  REQUIRE(into_similar.exit_code == 0);
  const uint64_t added_empty = nlohmann::json::parse(into_empty.output).at("bytes_added");
  const uint64_t added_similar = nlohmann::json::parse(into_similar.output).at("bytes_added");
  INFO("added: into an empty repository " << added_empty << ", into one with a similar full " << added_similar
                                          << ", a backup of the same data there " << native_added);
  CHECK(added_empty > 0);
  CHECK(added_similar * 4 < added_empty);
  CHECK(added_similar <= native_added + native_added / 4 + 16384);
}

TEST_CASE("copy refuses bad input with clear messages and the documented exit codes") {
  CaSeries series;
  const auto target = series.path("target");
  require_ok(certvault_test::certvault("init --repo " + quoted(target.string())));

  SECTION("an unknown snapshot id: usage (2), nothing copied") {
    const auto result = certvault_test::certvault("copy 0123abcd" + copy_args(series.source(), target));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.output, Catch::Contains("no snapshot id starts with '0123abcd'"));
    CHECK(snapshots_json(target).empty());
  }
  SECTION("neither ids nor --all, or both: usage (2)") {
    CHECK(certvault_test::certvault("copy" + copy_args(series.source(), target)).exit_code == 2);
    const auto both = certvault_test::certvault("copy latest --all" + copy_args(series.source(), target));
    CHECK(both.exit_code == 2);
    CHECK_THAT(both.output, Catch::Contains("not both"));
  }
  SECTION("the same repository as source and target, by path or as a file copy: usage (2)") {
    const auto same = certvault_test::certvault("copy --all" + copy_args(series.source(), series.source()));
    CHECK(same.exit_code == 2);
    CHECK_THAT(same.output, Catch::Contains("same repository"));
    std::filesystem::copy(series.source(), series.path("clone"), std::filesystem::copy_options::recursive);
    const auto clone = certvault_test::certvault("copy --all" + copy_args(series.source(), series.path("clone")));
    CHECK(clone.exit_code == 2);
    CHECK_THAT(clone.output, Catch::Contains("same repository (repository id"));
  }
  SECTION("a wrong passphrase for an encrypted source: key rejected (9), naming the source") {
    require_ok(certvault_test::certvault("copy --all" + copy_args(series.source(), target)));
    const auto third = series.path("third");
    require_ok(certvault_test::certvault("init --repo " + quoted(third.string())));
    const auto result = certvault_with("CERTVAULT_FROM_PASSWORD=wrong", "copy --all" + copy_args(target, third));
    CHECK(result.exit_code == 9);
    CHECK_THAT(result.output, Catch::Contains("source repository"));
    CHECK(snapshots_json(third).empty());
  }
  SECTION("an encrypted source into a plaintext target: refused (6) unless --insecure-plaintext-target") {
    require_ok(certvault_test::certvault("copy --all" + copy_args(series.source(), target)));
    const auto plain = series.path("plain");
    require_ok(certvault_test::certvault("init --insecure-no-encryption --repo " + quoted(plain.string())));
    const auto refused = certvault_test::certvault("copy --all" + copy_args(target, plain));
    CHECK(refused.exit_code == 6);
    CHECK_THAT(refused.output, Catch::Contains("--insecure-plaintext-target"));
    CHECK(snapshots_json(plain).empty());
    const auto allowed = certvault_test::certvault("copy --all --insecure-plaintext-target" + copy_args(target, plain));
    INFO(allowed.output);
    CHECK(allowed.exit_code == 0);
    CHECK_THAT(allowed.output, Catch::Contains("NOT encrypted"));
    CHECK(snapshots_json(plain).size() == 5);
  }
  SECTION("a target that does not exist: usage or failure, never a new repository") {
    const auto result = certvault_test::certvault("copy --all" + copy_args(series.source(), series.path("none")));
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output, Catch::Contains("target repository"));
    CHECK(!std::filesystem::exists(series.path("none") / "config"));
  }
}

TEST_CASE("copy opens a source by its key file and a target by its own, and waits for no locked target") {
  CaSeries series;
  // The source is re-made encrypted under a key file only; the target under the test passphrase.
  const auto keyed = series.path("keyed");
  const auto key = series.path("keyed.key");
  require_ok(certvault_with("env -u CERTVAULT_PASSWORD",
                            "init --repo " + quoted(keyed.string()) + " --key-file " + quoted(key.string())));
  require_ok(certvault_with("env -u CERTVAULT_PASSWORD", "copy --all --to-key-file " + quoted(key.string()) +
                                                             copy_args(series.source(), keyed) + "</dev/null"));
  const auto target = series.path("target");
  require_ok(certvault_test::certvault("init --repo " + quoted(target.string())));

  // Without the source's key file, the target's passphrase does not open it.
  const auto refused = certvault_test::certvault("copy --all" + copy_args(keyed, target) + "</dev/null");
  CHECK(refused.exit_code == 9);
  CHECK_THAT(refused.output, Catch::Contains("source repository"));

  {
    // Another process's backup holds the target: exit 3, nothing copied.
    auto holder = certvault::Repository::open(target, certvault::LockMode::kExclusive);
    const auto locked =
        certvault_test::certvault("copy --all --from-key-file " + quoted(key.string()) + copy_args(keyed, target));
    CHECK(locked.exit_code == 3);
    CHECK_THAT(locked.output, Catch::Contains("target repository"));
  }
  const auto copied =
      certvault_test::certvault("copy --all --json --from-key-file " + quoted(key.string()) + copy_args(keyed, target));
  INFO(copied.output);
  REQUIRE(copied.exit_code == 0);
  CHECK(nlohmann::json::parse(copied.output).at("copied") == 5);
  require_same_snapshots(snapshots_json(series.source()), snapshots_json(target));
}
