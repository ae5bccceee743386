// certvault-bench modes register themselves here. Each mode parses its own
// options, prints human-readable figures, and prints as its LAST line one
// JSON object with its results (scripts parse that line).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace certvault::bench {
struct Mode {
  std::string name;
  std::string summary;
  std::function<int(int argc, char** argv)> run;  // argv[0] is the mode name
};

std::vector<Mode>& modes();

struct ModeRegistration {
  explicit ModeRegistration(Mode mode) { modes().push_back(std::move(mode)); }
};
}  // namespace certvault::bench
