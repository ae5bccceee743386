#include "certvault/operations/ca_export.h"

#include <fmt/format.h>

#include <chrono>

#include "certvault/base/error.h"
#include "certvault/base/quoted_text.h"
#include "certvault/base/utc_time.h"
#include "certvault/operations/export_destination.h"
#include "certvault/operations/snapshot_export.h"
#include "certvault/repository/repository.h"

namespace certvault {
namespace {

// "2026-11-24 10:30:00Z" in MANIFEST (its format 1: never change it in place).
std::string utc_text(int64_t unix_seconds) { return format_utc(unix_seconds, UtcFormat::kDateTimeZ); }

std::string range_text(const GenerationRange& range) { return fmt::format("0x{:X}-0x{:X}", range.low, range.high); }

std::string manifest_text(const CaExportReport& report) {
  const auto& chain = report.chain;
  const auto& target = chain.target;
  std::string text = "certvault export MANIFEST (format 1)\n";
  text += fmt::format("snapshot:    {} ({})\n", target.id, target.kind);
  // Names from the CA are quoted (quoted_if_needed) so that none can end its line and forge another.
  text += fmt::format("server:      {}\n", quoted_if_needed(target.server));
  text += fmt::format("CA:          {}\n", quoted_if_needed(target.ca_name));
  text += fmt::format("created:     {}\n", utc_text(target.created_unix));
  text += fmt::format("layout:      {}\n", layout_name(report.layout));
  text += fmt::format("generations: {} (contiguous, full through this snapshot)\n", range_text(chain.generations));
  text += "chain (restore in this order):\n";
  for (size_t i = 0; i < chain.sets.size(); ++i) {
    const auto& set = chain.sets[i];
    text += fmt::format("  {:02} {:<11} {} logs {} ({} files), taken {}\n", i, set.snapshot.kind, set.snapshot.id,
                        range_text(set.generations), set.logs.size() + set.database_files.size(),
                        utc_text(set.snapshot.created_unix));
  }
  text += "restore map (DataBase/certbkxp.dat: raw UTF-16LE multi-string, type codes included):\n";
  for (const auto& line : describe_restore_map(chain.full().snapshot)) text += "  " + line + "\n";
  text += "files (xxh128 = plain XXH3-128 as `xxhsum -H2` prints it; size in bytes; path; original path):\n";
  for (const auto& file : report.files) {
    text += fmt::format("  {} {:>12} {}  <- {}\n", file.xxh128, file.size, quoted_if_needed(file.path),
                        quoted_if_needed(file.origin));
  }
  return text;
}

}  // namespace

const char* layout_name(ExportLayout layout) { return layout == ExportLayout::kCertutil ? "certutil" : "sets"; }

std::vector<std::string> describe_restore_map(const catalog::SnapshotRecord& snapshot) {
  std::vector<std::string> lines;
  for (const auto& entry : snapshot.restore_map)
    lines.push_back(fmt::format("0x{:02X} {}", entry.type_code, quoted_if_needed(entry.path)));
  return lines;
}

namespace {

CaExportReport write_export(Repository& repository, SnapshotChain chain, ExportLayout layout,
                            ExportDestination& destination) {
  const auto started = std::chrono::steady_clock::now();
  CaExportReport report;
  report.chain = std::move(chain);
  report.layout = layout;
  report.destination = destination.description();
  for (const auto& file : plan_export(report.chain, layout)) {
    ExportedFile exported;
    exported.path = file.path;
    exported.size = file.size();
    exported.origin = file.origin;
    exported.snapshot_id = file.snapshot_id;
    if (file.snapshot_id.empty()) {
      exported.xxh128 = export_bytes(file.generated, file.path, destination);
    } else {
      exported.generation = file.record.log_generation;
      exported.xxh128 = export_file(repository, file.snapshot_id, file.record, file.path, destination);
    }
    report.bytes += exported.size;
    report.files.push_back(std::move(exported));
  }
  report.manifest = manifest_text(report);
  export_bytes(std::span(reinterpret_cast<const uint8_t*>(report.manifest.data()), report.manifest.size()), "MANIFEST",
               destination);
  destination.finish();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace

CaExportReport export_ca_snapshot(Repository& repository, const std::string& snapshot_id,
                                  const CaExportOptions& options) {
  // The chain is checked (and plan_export() run once) before the destination exists.
  auto chain = plan_chain(repository, snapshot_id);
  plan_export(chain, options.layout);
  auto destination = options.tar.empty() ? make_folder_destination(options.folder, options.force, repository.root())
                                         : make_tar_destination(options.tar, options.force, chain.target.created_unix,
                                                                repository.root());
  return write_export(repository, std::move(chain), options.layout, *destination);
}

CaExportReport export_ca_snapshot(Repository& repository, const std::string& snapshot_id, ExportLayout layout,
                                  ExportDestination& destination) {
  auto chain = plan_chain(repository, snapshot_id);
  plan_export(chain, layout);
  return write_export(repository, std::move(chain), layout, destination);
}

}  // namespace certvault
