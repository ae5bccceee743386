// Exporting a CA snapshot as the folder `certutil -backupDB` writes.
//
// Contract: export_ca_snapshot() plans the chain first (export_plan.h: a gap
// in the logs is refused before anything is written), then streams every file
// verified (snapshot_export.h) into a folder or a tar (export_destination.h),
// writes DataBase/certbkxp.dat with the restore map bytes exactly as
// CertSrvRestoreGetDatabaseLocationsW returned them, and writes MANIFEST last:
// a text listing of the chain, generations, restore map and every file with
// its size, plain XXH3-128 digest and original path. The folder appears
// under its name only once complete.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "certvault/operations/export_plan.h"

namespace certvault {

class Repository;
class ExportDestination;

struct CaExportOptions {
  std::filesystem::path folder;  // used when `tar` is empty
  std::string tar;               // tar file, or "-" for standard output
  bool force = false;
  ExportLayout layout = ExportLayout::kCertutil;
};

struct ExportedFile {
  std::string path;  // in the export
  uint64_t size = 0;
  std::string xxh128;       // hex, plain XXH3-128 (`xxhsum -H2`)
  std::string origin;       // the path the API gave at backup time
  std::string snapshot_id;  // empty for generated files
  std::optional<uint32_t> generation;
};

struct CaExportReport {
  SnapshotChain chain;
  ExportLayout layout = ExportLayout::kCertutil;
  std::vector<ExportedFile> files;
  uint64_t bytes = 0;
  double seconds = 0;
  std::string destination;
  std::string manifest;  // the MANIFEST text
};

CaExportReport export_ca_snapshot(Repository& repository, const std::string& snapshot_id,
                                  const CaExportOptions& options);

// The same into a destination the caller made (a tar stream to a pipe, a benchmark's null sink).
CaExportReport export_ca_snapshot(Repository& repository, const std::string& snapshot_id, ExportLayout layout,
                                  ExportDestination& destination);

// "0x44 C:\\Windows\\system32\\CertLog\\CA.edb" lines of a snapshot's restore map.
std::vector<std::string> describe_restore_map(const catalog::SnapshotRecord& snapshot);

const char* layout_name(ExportLayout layout);

}  // namespace certvault
