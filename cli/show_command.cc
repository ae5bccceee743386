#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>

#include "certvault/base/error.h"
#include "certvault/operations/snapshot_chain.h"
#include "cli_support.h"
#include "commands.h"
#include "progress_line.h"
#include "snapshot_json.h"

namespace certvault::cli {

namespace {

nlohmann::json optional_gen(const std::optional<uint32_t>& gen) {
  return gen ? nlohmann::json(*gen) : nlohmann::json(nullptr);
}

}  // namespace

void register_show_command(CLI::App& app) {
  auto* command = app.add_subcommand("show", "show one snapshot: files, restore map, log range, chain");
  struct Options {
    std::string repo, snapshot;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  add_repo_option(*command, options->repo);
  command->add_option("snapshot", options->snapshot, "snapshot id, unique prefix, or 'latest'")->required();
  command->add_flag("--json", options->json, "print JSON");
  command->callback([options] {
    auto repository = open_repository(options->repo, LockMode::kShared);
    const auto& catalog = repository->catalog();
    const std::string id = repository->resolve(options->snapshot);
    const auto snapshot = catalog.snapshot(id);
    if (!snapshot) throw Error(ErrorKind::kFailure, "snapshot " + id + " disappeared while it was being read");
    const auto files = catalog.files(id);
    const auto missing = catalog.missing_files(id);
    const auto truncations = catalog.truncations(id);
    const auto chain = chain_around(catalog, *snapshot);

    if (options->json) {
      auto json = snapshot_json(*snapshot);
      json["manifest"] = snapshot->manifest;
      json["files"] = nlohmann::json::array();
      for (const auto& f : files) {
        json["files"].push_back({{"path", f.path},
                                 {"role", f.role},
                                 {"type_code", f.type_code},
                                 {"api_path", f.api_path},
                                 {"size", f.size},
                                 {"digest", hex_digest(f.digest)},
                                 {"log_generation", optional_gen(f.log_generation)}});
      }
      json["restore_map"] = nlohmann::json::array();
      for (const auto& entry : snapshot->restore_map) {
        json["restore_map"].push_back({{"type_code", entry.type_code}, {"path", entry.path}});
      }
      json["chain"] = {{"base_full", chain.base_full ? nlohmann::json(chain.base_full->id) : nlohmann::json(nullptr)},
                       {"incrementals", nlohmann::json::array()}};
      for (const auto& link : chain.incrementals) json["chain"]["incrementals"].push_back(link.id);
      json["truncations"] = nlohmann::json::array();
      for (const auto& t : truncations) {
        json["truncations"].push_back({{"time", format_utc(t.time_unix)},
                                       {"hresult", fmt::format("0x{:08X}", static_cast<uint32_t>(t.hresult))},
                                       {"message", t.message},
                                       {"outcome", t.outcome}});
      }
      json["missing_files"] = nlohmann::json::array();
      for (const auto& m : missing) json["missing_files"].push_back({{"path", m.path}, {"reason", m.reason}});
      print_json(json);
      return;
    }

    const auto& s = *snapshot;
    std::string out;
    out += fmt::format("snapshot         {}\n", s.id);
    out += fmt::format("time             {}\n", format_utc(s.created_unix));
    out += fmt::format("type             {}\n", s.kind);
    out += fmt::format("source           {}\n", origin(s));
    if (!s.source_path.empty() && s.source_path != s.source) {
      out += fmt::format("folder           {} (symbolic links resolved)\n", s.source_path);
    }
    if (!s.tags.empty()) out += fmt::format("tags             {}\n", fmt::join(s.tags, ", "));
    out += fmt::format("log generations  {}\n", log_generations(s));
    out += fmt::format("size             {} in {} files, {} added to packs\n", format_bytes(s.logical_size),
                       files.size(), format_bytes(s.added_size));
    if (s.parent) out += fmt::format("parent           {}\n", s.parent->substr(0, 12));
    if (s.kind == "incremental") {
      out += fmt::format("chain            full {}", chain.base_full ? chain.base_full->id.substr(0, 12)
                                                                     : std::string("(missing: not restorable)"));
      for (const auto& link : chain.incrementals) out += " > " + link.id.substr(0, 12);
      out += " > " + s.id.substr(0, 12) + "\n";
      if (chain.base_full && !chain.broken.empty())
        out += fmt::format("                 not restorable: {}\n", chain.broken);
    } else if (s.kind == "full") {
      out += fmt::format("chain            {} incremental{} built on it", chain.incrementals.size(),
                         chain.incrementals.size() == 1 ? "" : "s");
      for (const auto& link : chain.incrementals) out += " " + link.id.substr(0, 12);
      out += "\n";
    }
    out += fmt::format("\nfiles:\n  {:<10}  {:>10}  {:<32}  {:>8}  {}\n", "role", "size", "digest", "log gen", "path");
    for (const auto& f : files) {
      out += fmt::format("  {:<10}  {:>10}  {}  {:>8}  {}\n", f.role, f.size, hex_digest(f.digest),
                         f.log_generation ? fmt::format("0x{:X}", *f.log_generation) : std::string("-"), f.path);
    }
    if (!s.restore_map.empty()) {
      out += "\nrestore map:\n";
      for (const auto& entry : s.restore_map) out += fmt::format("  type 0x{:04X}  {}\n", entry.type_code, entry.path);
    }
    if (!truncations.empty()) {
      out += "\nlog truncations:\n";
      for (const auto& t : truncations) {
        out +=
            fmt::format("  {}  0x{:08X}  {}\n", format_utc(t.time_unix), static_cast<uint32_t>(t.hresult), t.message);
      }
    }
    if (!missing.empty()) {
      out += "\nmissing files:\n";
      for (const auto& m : missing) out += fmt::format("  {}: {}\n", m.path, m.reason);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
}

}  // namespace certvault::cli
