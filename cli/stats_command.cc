#include <fmt/format.h>

#include <cstdio>

#include "certvault/repository/stats.h"
#include "cli_support.h"
#include "commands.h"
#include "progress_line.h"

namespace certvault::cli {

namespace {
nlohmann::json totals_json(const catalog::Catalog::ChunkTotals& totals) {
  return {{"chunks", totals.chunks}, {"raw_bytes", totals.raw_bytes}, {"stored_bytes", totals.stored_bytes}};
}
}  // namespace

void register_stats_command(CLI::App& app) {
  auto* command = app.add_subcommand("stats", "space used: logical, stored, deduplication, compression, unique bytes");
  struct Options {
    std::string repo, snapshot, source;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  add_repo_option(*command, options->repo);
  command->add_option("snapshot", options->snapshot, "report on this snapshot only (id, prefix or 'latest')");
  command->add_option("--source", options->source,
                      "report on the snapshots of this series (a server name, a folder as given to backup, or a "
                      "--source name)");
  command->add_flag("--json", options->json, "print JSON");
  command->callback([options] {
    auto repository = open_repository(options->repo, LockMode::kShared);
    std::optional<std::string> focus;
    if (!options->snapshot.empty()) focus = repository->resolve(options->snapshot);
    std::optional<std::string> source;
    if (!options->source.empty()) source = options->source;
    const auto stats = compute_stats(*repository, focus, source);
    if (options->json) {
      nlohmann::json per_snapshot = nlohmann::json::array();
      for (const auto& u : stats.per_snapshot) {
        per_snapshot.push_back({{"id", u.id},
                                {"logical_bytes", u.logical_bytes},
                                {"added_bytes", u.added_bytes},
                                {"unique_chunks", u.unique_chunks},
                                {"unique_raw_bytes", u.unique_raw_bytes},
                                {"unique_stored_bytes", u.unique_stored_bytes},
                                {"unique_pack_bytes", u.unique_pack_bytes}});
      }
      print_json({{"snapshot", focus ? nlohmann::json(*focus) : nlohmann::json(nullptr)},
                  {"source", source ? nlohmann::json(*source) : nlohmann::json(nullptr)},
                  {"snapshots", stats.snapshots},
                  {"logical_bytes", stats.logical_bytes},
                  {"referenced", totals_json(stats.referenced)},
                  {"indexed", totals_json(stats.indexed)},
                  {"packs", {{"count", stats.packs.packs}, {"bytes", stats.packs.bytes}}},
                  {"dedup_ratio", stats.dedup_ratio},
                  {"compression_ratio", stats.compression_ratio},
                  {"per_snapshot", per_snapshot}});
      return;
    }
    std::string out;
    if (focus) out += fmt::format("snapshot              {}\n", *focus);
    out += fmt::format("snapshots             {}\n", stats.snapshots);
    out += fmt::format("logical bytes         {} ({} B)\n", format_bytes(stats.logical_bytes), stats.logical_bytes);
    out += fmt::format("referenced chunks     {} chunks, {} raw, {} stored (compressed)\n", stats.referenced.chunks,
                       format_bytes(stats.referenced.raw_bytes), format_bytes(stats.referenced.stored_bytes));
    out += fmt::format("dedup ratio           {:.2f}x\n", stats.dedup_ratio);
    out += fmt::format("compression ratio     {:.2f}x\n", stats.compression_ratio);
    if (source) out += fmt::format("source                {}\n", *source);
    if (!focus && !source) {
      out += fmt::format("packs                 {} packs, {}\n", stats.packs.packs, format_bytes(stats.packs.bytes));
      out += fmt::format("unreferenced chunks   {} ({} stored; prune frees them)\n", stats.unreferenced_chunks(),
                         format_bytes(stats.unreferenced_stored_bytes()));
    }
    out += fmt::format("\n{:<12}  {:>10}  {:>10}  {:>10}  {:>8}\n", "snapshot", "logical", "added", "unique", "chunks");
    for (const auto& u : stats.per_snapshot) {
      out += fmt::format("{:<12}  {:>10}  {:>10}  {:>10}  {:>8}\n", u.id.substr(0, 12), format_bytes(u.logical_bytes),
                         format_bytes(u.added_bytes), format_bytes(u.unique_pack_bytes), u.unique_chunks);
    }
    out += "unique: pack bytes of chunks no other snapshot uses (what forgetting it alone frees)\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
}

}  // namespace certvault::cli
