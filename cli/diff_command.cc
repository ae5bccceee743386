#include <fmt/format.h>

#include <cstdio>

#include "certvault/operations/snapshot_diff.h"
#include "cli_support.h"
#include "commands.h"
#include "progress_line.h"
#include "snapshot_json.h"

namespace certvault::cli {

namespace {

nlohmann::json file_side(const std::optional<catalog::FileRecord>& f) {
  if (!f) return nullptr;
  return {{"size", f->size}, {"digest", hex_digest(f->digest)}, {"role", f->role}};
}

nlohmann::json diff_json(const std::string& a, const std::string& b, const SnapshotDiff& diff) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : diff.changes) {
    list.push_back({{"path", c.path},
                    {"change", change_name(c.kind)},
                    {"before", file_side(c.before)},
                    {"after", file_side(c.after)}});
  }
  const auto& summary = diff.summary;
  return {{"a", a},
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
            {"changed_bytes_after", summary.changed_bytes_after}}}};
}

std::string diff_text(const std::string& a, const std::string& b, const SnapshotDiff& diff) {
  std::string out;
  for (const auto& c : diff.changes) {
    switch (c.kind) {
      case FileChange::Kind::kAdded:
        out += fmt::format("+ {}  ({})\n", c.path, format_bytes(c.after->size));
        break;
      case FileChange::Kind::kRemoved:
        out += fmt::format("- {}  ({})\n", c.path, format_bytes(c.before->size));
        break;
      case FileChange::Kind::kChanged:
        out += fmt::format("M {}  ({} -> {})\n", c.path, format_bytes(c.before->size), format_bytes(c.after->size));
        break;
    }
  }
  const auto& summary = diff.summary;
  out += fmt::format("{} -> {}: {} added ({}), {} removed ({}), {} changed ({} -> {}), {} unchanged\n", a.substr(0, 12),
                     b.substr(0, 12), summary.added, format_bytes(summary.added_bytes), summary.removed,
                     format_bytes(summary.removed_bytes), summary.changed, format_bytes(summary.changed_bytes_before),
                     format_bytes(summary.changed_bytes_after), summary.unchanged);
  return out;
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
    const auto diff = diff_snapshots(repository->catalog(), a, b);
    if (options->json) {
      print_json(diff_json(a, b, diff));
      return;
    }
    const std::string out = diff_text(a, b, diff);
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
}

}  // namespace certvault::cli
