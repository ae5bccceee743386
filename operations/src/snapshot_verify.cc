#include "certvault/operations/snapshot_verify.h"

#include <fmt/format.h>

#include <array>
#include <chrono>

#include "certvault/base/child_process.h"
#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/certadm/certadm.h"
#include "certvault/operations/api_restore.h"
#include "certvault/operations/snapshot_export.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_reader.h"

namespace certvault {
namespace {

namespace fs = std::filesystem;

void check_every_file(Repository& repository, VerifyReport& report) {
  auto check = [&](const std::string& snapshot_id, const catalog::FileRecord& file) {
    read_file_contents(repository, snapshot_id, file, [](std::span<const uint8_t>) {});
    ++report.files;
    report.bytes += file.size;
  };
  for (const auto& set : report.chain.sets) {
    for (const auto& file : set.database_files) check(set.snapshot.id, file);
    for (const auto& file : set.logs) check(set.snapshot.id, file);
  }
  for (const auto& file : report.chain.dynamic_files) check(report.chain.target.id, file);
}

// The folder the restore map's paths hang from (the sim's CA folder): the log folder's parent.
std::string stored_root(const SnapshotChain& chain) {
  for (const auto& entry : chain.full().snapshot.restore_map) {
    if (entry.type_code == CSBFT_LOG_DIR) {
      std::string path = entry.path;
      while (path.size() > 1 && (path.back() == '/' || path.back() == '\\')) path.pop_back();
      return fs::path(path).parent_path().string();
    }
  }
  throw Error(ErrorKind::kRefused, fmt::format("snapshot {}: the restore map names no log folder (0x82)",
                                               chain.full().snapshot.id.substr(0, 12)));
}

class ScratchFolder {
 public:
  ScratchFolder() {
    std::array<uint8_t, 8> random{};
    fill_random(random);
    path_ = fs::temp_directory_path() / ("certvault-verify-" + to_hex(random));
    // It will hold a restored copy of the CA's database: the owner's alone (0700).
    os::file_system().create_folder(path_, "create verify's scratch folder");
  }
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void run_casim(const fs::path& casim, const std::vector<std::string>& arguments, const std::string& what,
               std::string& transcript) {
  std::vector<std::string> argv{casim.string()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const auto result = run_program(argv);
  transcript += "$ casim";
  for (const auto& argument : arguments) transcript += " " + argument;
  transcript += "\n" + result.output;
  if (result.exit_code != 0) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("{} failed (casim exit {}):\n{}", what, result.exit_code, result.output));
  }
}

void scratch_restore(Repository& repository, const std::string& snapshot_id, const VerifyOptions& options,
                     const fs::path& casim, VerifyReport& report) {
  ScratchFolder scratch;
  const fs::path ca = scratch.path() / "ca";
  run_casim(casim, {"scratch", stored_root(report.chain), "--to", ca.string()}, "creating the scratch CA",
            report.recovery_output);
  ApiRestoreOptions restore;
  restore.server = ca.string();
  restore.library = options.library;
  restore.relocations.push_back({stored_root(report.chain), ca.string()});
  // Anything the relocation does not move (a database or dynamic file stored outside the
  // CA's folder) would land in the live CA's folders: refuse instead.
  restore.confine_to = scratch.path();
  restore.on_step = options.on_step;
  const auto restored = restore_through_api(repository, snapshot_id, restore);
  report.files = restored.files.size();
  report.bytes = restored.bytes;
  run_casim(casim, {"start", ca.string()}, "recovery of the restored scratch CA (casim start)", report.recovery_output);
  run_casim(casim, {"verify", ca.string()}, "ground-truth verification of the restored scratch CA (casim verify)",
            report.recovery_output);
}

}  // namespace

VerifyReport verify_snapshot(Repository& repository, const std::string& snapshot_id, const VerifyOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  VerifyReport report;
  report.chain = plan_chain(repository, snapshot_id);
  std::string server = report.chain.target.server;
  try {
    server = stored_root(report.chain);
  } catch (const Error&) {
    // no log folder in the map: judged by the server name alone
  }
  const fs::path casim = options.casim.empty() ? find_casim() : options.casim;
  if (options.chain_only) {
    report.why = "--chain-only was given";
  } else if (!is_simulated_ca(server)) {
    report.why = fmt::format(
        "the source '{}' is not a simulated CA folder (no .casim/state.json), so no scratch CA "
        "can be built; a real CA is verified by the chain check",
        server);
  } else if (casim.empty()) {
    report.why = "the source is a simulated CA, but casim was not found beside certvault (use --casim PATH)";
  } else {
    report.method = "scratch-restore";
    report.why =
        fmt::format("the source '{}' is a simulated CA: restored into a scratch copy with {}", server, casim.string());
    scratch_restore(repository, snapshot_id, options, casim, report);
  }
  if (report.method.empty()) {
    report.method = "chain-check";
    check_every_file(repository, report);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace certvault
