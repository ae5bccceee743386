// The JSON document in a command's output, for tests that run the real binary with --json.
// Output is stdout and stderr together, so notes may precede or follow the document.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "test_support.h"

namespace certvault_test {

// Requires exit code 0. The document starts at the first character of `openers` ('{' for an
// object only; "{[" also takes a list) and ends at the first '}' or ']' at the start of a line.
inline nlohmann::json json_document(const CommandResult& result, std::string_view openers = "{[") {
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  const auto at = result.output.find_first_of(openers);
  REQUIRE(at != std::string::npos);
  size_t close = std::string::npos;
  for (size_t i = at; i + 1 < result.output.size(); ++i) {
    if (result.output[i] == '\n' && (result.output[i + 1] == '}' || result.output[i + 1] == ']')) {
      close = i + 2;
      break;
    }
  }
  return nlohmann::json::parse(result.output.substr(at, close == std::string::npos ? std::string::npos : close - at));
}

}  // namespace certvault_test
