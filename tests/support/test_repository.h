// A fresh repository in a temporary folder, with the real binary run against it: the fixture the
// command-level tests (snapshots, show, forget, series) share.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "test_support.h"

namespace certvault_test {

class TestRepository {
 public:
  explicit TestRepository(const std::string& name) : temp_(name) {
    REQUIRE(certvault("init --repo " + quoted(repo().string())).exit_code == 0);
  }
  std::filesystem::path repo() const { return temp_ / "repo"; }
  std::filesystem::path path(const std::string& leaf) const { return temp_ / leaf; }

  // `certvault ARGUMENTS --repo REPO`.
  CommandResult cv(const std::string& arguments) const {
    return certvault(arguments + " --repo " + quoted(repo().string()));
  }
  // The same with --json; requires exit 0 and returns the parsed output.
  nlohmann::json cv_json(const std::string& arguments) const {
    const auto result = cv(arguments + " --json");
    INFO(arguments << "\n" << result.output);
    REQUIRE(result.exit_code == 0);
    return nlohmann::json::parse(result.output);
  }

 private:
  TempFolder temp_;
};

}  // namespace certvault_test
