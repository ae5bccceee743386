// Helpers of the copy tests: a simulated CA with a series of fulls and incrementals, repositories
// to copy between, exports to compare.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_support.h"

namespace copy_test {

using certvault_test::quoted;

inline const std::string kOtherPassphrase = "another passphrase for the offsite copy";

// `certvault ARGUMENTS` with environment assignments (`VAR=value ...`) in front.
inline certvault_test::CommandResult certvault_with(const std::string& environment, const std::string& arguments) {
  return certvault_test::run(environment + " " + quoted(certvault_test::certvault_binary().string()) + " " + arguments);
}

inline void require_ok(const certvault_test::CommandResult& result) {
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
}

// A simulated CA and a source repository holding full, incremental, incremental, full,
// incremental (certificates issued between them), plus a scratch folder.
class CaSeries {
 public:
  explicit CaSeries(const std::string& source_init_args = " --insecure-no-encryption") : temp_("copy") {
    certvault_test::casim("init " + quoted(ca().string()) + " --ca-name 'Contoso Copy CA' --db-size 2MiB");
    certvault_test::casim("issue " + quoted(ca().string()) + " --count 40");
    require_ok(certvault_test::certvault("init --repo " + quoted(source().string()) + source_init_args));
    for (const char* type : {"full", "incremental", "incremental", "full", "incremental"}) {
      back_up(source(), type);
      certvault_test::casim("issue " + quoted(ca().string()) + " --count 15");
    }
  }
  std::filesystem::path ca() const { return temp_ / "ca"; }
  std::filesystem::path source() const { return temp_ / "source"; }
  std::filesystem::path path(const std::string& leaf) const { return temp_ / leaf; }

  // `extra`: more backup options, e.g. --keep-logs.
  void back_up(const std::filesystem::path& repo, const std::string& type, const std::string& extra = "") const {
    const auto result = certvault_test::certvault(
        "backup --repo " + quoted(repo.string()) + " --server " + quoted(ca().string()) + " --library " +
        quoted(certvault_test::sim_library().string()) + " --type " + type + " " + extra);
    require_ok(result);
  }

 private:
  certvault_test::TempFolder temp_;
};

inline nlohmann::json snapshots_json(const std::filesystem::path& repo, const std::string& environment = "") {
  const auto result = certvault_with(environment, "snapshots --json --repo " + quoted(repo.string()));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  return nlohmann::json::parse(result.output);
}

// The files `export ID` writes, relative path -> bytes.
inline std::vector<std::pair<std::string, std::vector<uint8_t>>> exported(const std::filesystem::path& repo,
                                                                          const std::string& id,
                                                                          const std::filesystem::path& into,
                                                                          const std::string& environment = "") {
  require_ok(certvault_with(environment,
                            "export " + id + " --to " + quoted(into.string()) + " --repo " + quoted(repo.string())));
  return certvault_test::folder_contents(into);
}

inline std::string copy_args(const std::filesystem::path& from, const std::filesystem::path& to) {
  return " --from " + quoted(from.string()) + " --to " + quoted(to.string()) + " ";
}

}  // namespace copy_test
