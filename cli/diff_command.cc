#include <fmt/format.h>

#include <cstdio>
#include <map>

#include "cli_support.h"
#include "commands.h"
#include "progress_line.h"
#include "snapshot_json.h"

namespace certvault::cli {

namespace {

struct FileChange {
  std::string path;
  const catalog::FileRecord* before = nullptr;  // null: added
  const catalog::FileRecord* after = nullptr;   // null: removed
};

struct Summary {
  uint64_t added = 0, removed = 0, changed = 0, unchanged = 0;
  uint64_t added_bytes = 0, removed_bytes = 0, changed_bytes_before = 0, changed_bytes_after = 0;
};

nlohmann::json file_side(const catalog::FileRecord* f) {
  if (!f) return nullptr;
  return {{"size", f->size}, {"digest", hex_digest(f->digest)}, {"role", f->role}};
}

}  // namespace

void register_diff_command(CLI::App& app) {
  auto* command = app.add_subcommand("diff", "compare two snapshots: files added, removed and changed");
  struct Options {
    std::string repo, first, second;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  add_repo_option(*command, options->repo);
  command->add_option("A", options->first, "the older snapshot (id, unique prefix or 'latest')")->required();
  command->add_option("B", options->second, "the newer snapshot")->required();
  command->add_flag("--json", options->json, "print JSON");
  command->callback([options] {
    auto repository = open_repository(options->repo, LockMode::kShared);
    const std::string a = repository->resolve(options->first);
    const std::string b = repository->resolve(options->second);
    const auto files_a = repository->catalog().files(a);
    const auto files_b = repository->catalog().files(b);
    std::map<std::string, FileChange> by_path;
    for (const auto& f : files_a) by_path[f.path].before = &f;
    for (const auto& f : files_b) by_path[f.path].after = &f;

    Summary summary;
    std::vector<FileChange> changes;
    for (auto& [path, change] : by_path) {
      change.path = path;
      if (!change.before) {
        ++summary.added;
        summary.added_bytes += change.after->size;
      } else if (!change.after) {
        ++summary.removed;
        summary.removed_bytes += change.before->size;
      } else if (change.before->digest != change.after->digest || change.before->size != change.after->size) {
        ++summary.changed;
        summary.changed_bytes_before += change.before->size;
        summary.changed_bytes_after += change.after->size;
      } else {
        ++summary.unchanged;
        continue;
      }
      changes.push_back(change);
    }

    if (options->json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& c : changes) {
        list.push_back({{"path", c.path},
                        {"change", !c.before  ? "added"
                                   : !c.after ? "removed"
                                              : "changed"},
                        {"before", file_side(c.before)},
                        {"after", file_side(c.after)}});
      }
      print_json({{"a", a},
                  {"b", b},
                  {"files", list},
                  {"summary",
                   {{"added", summary.added},
                    {"removed", summary.removed},
                    {"changed", summary.changed},
                    {"unchanged", summary.unchanged},
                    {"added_bytes", summary.added_bytes},
                    {"removed_bytes", summary.removed_bytes},
                    {"changed_bytes_before", summary.changed_bytes_before},
                    {"changed_bytes_after", summary.changed_bytes_after}}}});
      return;
    }
    std::string out;
    for (const auto& c : changes) {
      if (!c.before) {
        out += fmt::format("+ {}  ({})\n", c.path, format_bytes(c.after->size));
      } else if (!c.after) {
        out += fmt::format("- {}  ({})\n", c.path, format_bytes(c.before->size));
      } else {
        out += fmt::format("M {}  ({} -> {})\n", c.path, format_bytes(c.before->size), format_bytes(c.after->size));
      }
    }
    out +=
        fmt::format("{} -> {}: {} added ({}), {} removed ({}), {} changed ({} -> {}), {} unchanged\n", a.substr(0, 12),
                    b.substr(0, 12), summary.added, format_bytes(summary.added_bytes), summary.removed,
                    format_bytes(summary.removed_bytes), summary.changed, format_bytes(summary.changed_bytes_before),
                    format_bytes(summary.changed_bytes_after), summary.unchanged);
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
}

}  // namespace certvault::cli
