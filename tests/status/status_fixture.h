// A repository and a simulated CA for the `certvault status` tests, driven through the real binary.
#pragma once

#include <catch2/catch.hpp>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include "test_support.h"

namespace status_test {

using namespace certvault_test;
using nlohmann::json;

class StatusFixture {
 public:
  StatusFixture() {
    REQUIRE(certvault("init --repo " + quoted(repo().string())).exit_code == 0);
    casim("init " + quoted(ca().string()) + " --ca-name 'Status CA' --db-size 1MiB --seed 5");
    casim("issue " + quoted(ca().string()) + " --count 20");
  }
  std::filesystem::path repo() const { return temp_ / "repo"; }
  std::filesystem::path ca() const { return temp_ / "ca"; }
  std::filesystem::path path(const std::string& leaf) const { return temp_ / leaf; }
  std::string server() const { return ca().string(); }

  CommandResult cv(const std::string& arguments) const {
    return certvault(arguments + " --repo " + quoted(repo().string()));
  }
  std::string ok(const std::string& arguments) const {
    const auto result = cv(arguments);
    INFO(arguments << "\n" << result.output);
    REQUIRE(result.exit_code == 0);
    return result.output;
  }
  CommandResult backup_result(const std::string& type) const {
    casim("issue " + quoted(ca().string()) + " --count 5");
    return cv("backup --json --server " + quoted(server()) + " --library " + quoted(sim_library().string()) +
              " --type " + type);
  }
  std::string backup(const std::string& type) const {
    const auto result = backup_result(type);
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    return json::parse(result.output).at("snapshot").get<std::string>();
  }
  // `status --json` (plus `extra`), its exit code checked against `exit_code`.
  json status(int exit_code, const std::string& extra = "") const {
    const auto result = cv("status --json " + extra);
    INFO(result.output);
    REQUIRE(result.exit_code == exit_code);
    return json::parse(result.output);
  }

 private:
  TempFolder temp_{"status"};
};

// An instant `hours` from now as the ISO text --now takes.
inline std::string hours_from_now(int hours) {
  const std::time_t when = std::time(nullptr) + static_cast<std::time_t>(hours) * 3600;
  std::tm parts{};
  gmtime_r(&when, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

}  // namespace status_test
