// The module graph is a rule, not a picture: docs/development.md holds a table of which module may
// include which, and these tests read that table and every source file, so the documented graph
// and the code cannot drift apart.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kSourceRoot = CERTVAULT_SOURCE_DIR;

struct ModuleRule {
  std::set<std::string> modules;  // modules whose headers it may include (besides its own)
  std::set<std::string> headers;  // single headers it may include ("certadm/abi.h")
};

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t`");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t`");
  return text.substr(first, last - first + 1);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, separator)) parts.push_back(part);
  return parts;
}

// The table after the "module-dependencies" marker in docs/development.md:
// | `module` | dep, dep/header.h | what it owns |
std::map<std::string, ModuleRule> read_documented_graph() {
  std::ifstream doc(kSourceRoot / "docs" / "development.md");
  REQUIRE(doc.good());
  std::map<std::string, ModuleRule> graph;
  std::string line;
  bool in_table = false;
  while (std::getline(doc, line)) {
    if (line.find("module-dependencies") != std::string::npos) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.empty() || line[0] != '|') {
      if (!graph.empty()) break;
      continue;
    }
    const auto cells = split(line, '|');
    REQUIRE(cells.size() >= 3);
    const std::string name = trim(cells[1]);
    if (name == "module" || name.starts_with("---")) continue;
    ModuleRule rule;
    for (const auto& entry : split(cells[2], ',')) {
      const std::string dependency = trim(entry);
      if (dependency.empty()) continue;
      if (dependency.find('/') != std::string::npos) {
        rule.headers.insert(dependency);
      } else {
        rule.modules.insert(dependency);
      }
    }
    graph[name] = rule;
  }
  return graph;
}

bool is_source(const fs::path& path) {
  const auto extension = path.extension();
  return extension == ".cc" || extension == ".h";
}

struct Include {
  std::string target;
  bool angled = false;
  int line = 0;
};

std::vector<Include> includes_of(const fs::path& file) {
  std::ifstream in(file);
  std::vector<Include> result;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line.compare(start, 8, "#include") != 0) continue;
    const auto open = line.find_first_of("\"<", start + 8);
    if (open == std::string::npos) continue;
    const char close_char = line[open] == '"' ? '"' : '>';
    const auto close = line.find(close_char, open + 1);
    if (close == std::string::npos) continue;
    result.push_back({line.substr(open + 1, close - open - 1), line[open] == '<', number});
  }
  return result;
}

// Is `inner` (made canonical as far as it exists) inside `outer`?
bool is_within(const fs::path& inner, const fs::path& outer) {
  const auto a = fs::weakly_canonical(inner);
  const auto b = fs::weakly_canonical(outer);
  const auto mismatch = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return mismatch.first == b.end();
}

// Where a quoted include that does not name a module resolves: next to the file, or in one of the
// module's include roots (src/, include/). Nothing outside the module may be reached this way.
std::optional<fs::path> resolve_private(const fs::path& file, const fs::path& module_dir, const std::string& target) {
  for (const auto& root : {file.parent_path(), module_dir / "src", module_dir / "include"}) {
    const auto candidate = root / target;
    if (fs::exists(candidate)) return candidate;
  }
  return std::nullopt;
}

// Every violation of the documented graph in the files of `module` (the folder `root`/`module`),
// one line each.
std::vector<std::string> violations_of(const fs::path& root, const std::string& module, const ModuleRule& rule) {
  std::vector<std::string> violations;
  const fs::path module_dir = root / module;
  for (const auto& entry : fs::recursive_directory_iterator(module_dir)) {
    if (!entry.is_regular_file() || !is_source(entry.path())) continue;
    const auto relative = fs::relative(entry.path(), root).generic_string();
    for (const auto& include : includes_of(entry.path())) {
      const auto where = relative + ":" + std::to_string(include.line) + ": ";
      if (include.target.starts_with("certvault/")) {
        const auto rest = include.target.substr(std::string("certvault/").size());
        const auto target_module = rest.substr(0, rest.find('/'));
        const bool allowed =
            target_module == module || rule.modules.contains(target_module) || rule.headers.contains(rest);
        if (!allowed) {
          violations.push_back(where + "includes " + include.target + ", but docs/development.md does not let " +
                               module + " include " + target_module);
        }
        continue;
      }
      if (include.angled) continue;  // system and Debian packages' headers
      const auto resolved = resolve_private(entry.path(), module_dir, include.target);
      if (!resolved) {
        violations.push_back(where + "includes \"" + include.target + "\", which is not a file of " + module);
      } else if (!is_within(*resolved, module_dir)) {
        violations.push_back(where + "includes \"" + include.target + "\", which lies outside " + module + "/");
      }
    }
  }
  return violations;
}

bool has_cycle_from(const std::string& module, const std::map<std::string, ModuleRule>& graph,
                    std::set<std::string>& visiting, std::set<std::string>& done, std::string& path) {
  if (done.contains(module)) return false;
  if (visiting.contains(module)) {
    path += module;
    return true;
  }
  visiting.insert(module);
  const auto it = graph.find(module);
  if (it != graph.end()) {
    for (const auto& next : it->second.modules) {
      if (has_cycle_from(next, graph, visiting, done, path)) {
        path = module + " -> " + path;
        return true;
      }
    }
  }
  visiting.erase(module);
  done.insert(module);
  return false;
}

}  // namespace

TEST_CASE("architecture: the documented module graph names every module and has no cycle") {
  const auto graph = read_documented_graph();
  for (const auto& module : {"base", "chunker", "catalog", "certadm", "repository", "operations", "cli", "sim"}) {
    INFO(module);
    CHECK(graph.contains(module));
  }
  // Every top-level folder with a public include folder is a module and must be in the table.
  for (const auto& entry : fs::directory_iterator(kSourceRoot)) {
    if (fs::is_directory(entry.path() / "include" / "certvault")) {
      INFO(entry.path().filename().string());
      CHECK(graph.contains(entry.path().filename().string()));
    }
  }
  for (const auto& [module, rule] : graph) {
    INFO(module);
    CHECK(fs::is_directory(kSourceRoot / module));
    for (const auto& dependency : rule.modules) CHECK(graph.contains(dependency));
    std::set<std::string> visiting, done;
    std::string cycle;
    CHECK_FALSE(has_cycle_from(module, graph, visiting, done, cycle));
    CHECK(cycle.empty());
  }
}

TEST_CASE("architecture: no module includes a header outside its documented dependencies") {
  const auto graph = read_documented_graph();
  REQUIRE(graph.size() >= 8);
  std::vector<std::string> violations;
  for (const auto& [module, rule] : graph) {
    for (auto& line : violations_of(kSourceRoot, module, rule)) violations.push_back(std::move(line));
  }
  std::string report;
  for (const auto& line : violations) report += line + "\n";
  INFO(report);
  CHECK(violations.empty());
}

TEST_CASE("architecture: the dependency check catches an upward include and a reach into another src/") {
  // The check itself must be able to fail: in a scratch tree, a chunker/ file that includes a
  // repository/ header, or a private header of repository/ by a relative path, is reported.
  const fs::path root = fs::temp_directory_path() / ("certvault-architecture-" + std::to_string(::getpid()));
  fs::create_directories(root / "chunker" / "src");
  fs::create_directories(root / "repository" / "src");
  std::ofstream(root / "repository" / "src" / "pack.h") << "#pragma once\n";
  std::ofstream(root / "chunker" / "src" / "ok.h") << "#pragma once\n";
  std::ofstream(root / "chunker" / "src" / "probe.cc") << "#include \"certvault/repository/repository.h\"\n"
                                                       << "#include \"../../repository/src/pack.h\"\n"
                                                       << "#include \"certvault/base/error.h\"\n"
                                                       << "#include \"ok.h\"\n"
                                                       << "#include <vector>\n";
  ModuleRule chunker_rule;
  chunker_rule.modules = {"base"};
  const auto violations = violations_of(root, "chunker", chunker_rule);
  fs::remove_all(root);
  std::string report;
  for (const auto& line : violations) report += line + "\n";
  INFO(report);
  REQUIRE(violations.size() == 2);
  CHECK(violations[0].find("chunker/src/probe.cc:1: includes certvault/repository/repository.h") == 0);
  CHECK(violations[1].find("chunker/src/probe.cc:2:") == 0);
  CHECK(violations[1].find("outside chunker/") != std::string::npos);
}
