#include <fmt/format.h>

#include <cstdio>

#include "certvault/base/os_file.h"
#include "certvault/base/quoted_text.h"
#include "certvault/operations/api_backup.h"
#include "certvault/operations/folder_backup.h"
#include "cli_support.h"
#include "commands.h"
#include "exit_codes.h"
#include "number_option.h"
#include "progress_line.h"

namespace certvault::cli {
namespace {

struct BackupOptions {
  std::string repo;
  std::string folder;
  std::string source;
  std::string server;
  std::string library;
  std::string type = "auto";
  double full_every_days = 7;
  bool keep_logs = false;
  bool with_config = true;
  bool with_key = false;
  std::string key_password_file;
  std::vector<std::string> tags;
  bool json = false;
  uint32_t read_buffer_kib = 4096;  // ApiBackupOptions::read_buffer_bytes
};

// --json's "key": null without --with-key; else whether Config/<CA>.p12 was stored, and why not.
nlohmann::json key_json(const BackupOptions& options, const ApiBackupResult& result) {
  if (!options.with_key || result.kind != BackupKind::kFull) return nullptr;
  if (result.key_not_stored) {
    return {{"stored", false},
            {"path", result.key_not_stored->path},
            {"not_exportable", result.key_not_stored->not_exportable},
            {"reason", result.key_not_stored->reason}};
  }
  for (const auto& path : result.recovery_set) {
    if (path.ends_with(".p12")) return {{"stored", true}, {"path", path}, {"not_exportable", false}, {"reason", ""}};
  }
  return nullptr;
}

// What went over the network to an object store, the repository's opening included, to set
// against what the backup stored; printed for an object store only (--json: "traffic").
void print_traffic(Repository& repository) {
  const auto traffic = repository.objects().traffic();
  if (traffic.requests == 0) return;
  std::printf("sent %llu requests, %s to the object store\n", static_cast<unsigned long long>(traffic.requests),
              format_bytes(traffic.bytes_sent).c_str());
}

// Each returns the message of its event (event_log.h): what was backed up, the snapshot, the outcome.
std::string run_folder_backup(const BackupOptions& options) {
  auto repository = open_repository(options.repo, LockMode::kAppend);
  FolderBackupOptions folder;
  folder.folder = os::path_from_utf8(options.folder);
  folder.tags = options.tags;
  if (!options.source.empty()) folder.source = options.source;
  folder.on_skip = [](const std::string& path, const std::string& reason) {
    warn(fmt::format("skipped {}: {}", quoted_if_needed(path), reason));
  };
  const auto result = back_up_folder(*repository, folder);
  const std::string event =
      fmt::format("certvault backup of folder {} into {}: snapshot {} committed, {} files, {} read, {} stored",
                  result.source, options.repo, result.snapshot_id, result.files, format_bytes(result.logical_bytes),
                  format_bytes(result.new_bytes_stored));
  if (options.json) {
    print_json({{"snapshot", result.snapshot_id},
                {"type", "folder"},
                {"source", result.source},
                {"files", result.files},
                {"skipped", result.skipped},
                {"logical_bytes", result.logical_bytes},
                {"new_bytes_stored", result.new_bytes_stored},
                {"traffic", traffic_json(repository->objects())},
                {"seconds", result.seconds}});
    return event;
  }
  std::printf("snapshot %s: %u files, %s read, %s stored, %.2f s\n", result.snapshot_id.substr(0, 12).c_str(),
              result.files, format_bytes(result.logical_bytes).c_str(), format_bytes(result.new_bytes_stored).c_str(),
              result.seconds);
  print_traffic(*repository);
  return event;
}

std::string run_server_backup(const BackupOptions& options) {
  auto repository = open_repository(options.repo, LockMode::kAppend);
  ApiBackupOptions api;
  api.server = options.server;
  api.library = os::path_from_utf8(options.library);
  api.type = options.type == "full"          ? RequestedBackupType::kFull
             : options.type == "incremental" ? RequestedBackupType::kIncremental
                                             : RequestedBackupType::kAuto;
  api.full_every = std::chrono::seconds(static_cast<int64_t>(options.full_every_days * 86400));
  api.keep_logs = options.keep_logs;
  api.with_config = options.with_config;
  if (options.with_key) {
    // Read before the repository is touched, so that a bad file is a usage error and nothing else.
    api.key_passphrase = Credentials::read_passphrase_file(os::path_from_utf8(options.key_password_file));
  }
  api.tags = options.tags;
  api.read_buffer_bytes = options.read_buffer_kib * 1024;
  ProgressLine progress;
  if (progress.enabled()) api.on_progress = [&progress](const BackupProgress& p) { progress.update(p); };
  ApiBackupResult result;
  try {
    result = back_up_server(*repository, api);
  } catch (...) {
    progress.finish();
    throw;
  }
  progress.finish();
  for (const auto& missing : result.missing_dynamic_files) warn("dynamic file not backed up: " + missing);
  for (const auto& warning : result.warnings) warn(warning);
  const std::string kind = result.kind == BackupKind::kFull ? "full" : "incremental";
  std::string event = fmt::format(
      "certvault {} backup of CA {} on {} into {}: snapshot {} committed, {} files, {} read, {} stored, logs {}", kind,
      result.ca_name, options.server, options.repo, result.snapshot_id, result.files,
      format_bytes(result.logical_bytes), format_bytes(result.new_bytes_stored),
      result.logs_truncated ? "truncated" : (options.keep_logs ? "kept (--keep-logs)" : "not truncated"));
  if (options.json) {
    nlohmann::json range = nullptr;
    if (result.log_range) range = {{"low", result.log_range->low}, {"high", result.log_range->high}};
    print_json({{"snapshot", result.snapshot_id},
                {"type", kind},
                {"type_reason", result.kind_reason},
                {"ca_name", result.ca_name},
                {"series", result.series},
                {"files", result.files},
                {"logical_bytes", result.logical_bytes},
                {"new_bytes_stored", result.new_bytes_stored},
                {"traffic", traffic_json(repository->objects())},
                {"log_generations", range},
                {"missing_dynamic_files", result.missing_dynamic_files},
                {"recovery_set", result.recovery_set},
                {"recovery_set_notes", result.recovery_set_notes},
                {"key", key_json(options, result)},
                {"logs_truncated", result.logs_truncated},
                {"truncation_error", result.truncation_error},
                {"session_end_error", result.session_end_error},
                {"warnings", result.warnings},
                {"seconds", result.seconds}});
  } else {
    std::printf("snapshot %s: %s backup of %s (%s), %u files, %s read, %s stored, logs %s, %.2f s\n",
                result.snapshot_id.substr(0, 12).c_str(), kind.c_str(), quoted_if_needed(result.ca_name).c_str(),
                result.kind_reason.c_str(), result.files, format_bytes(result.logical_bytes).c_str(),
                format_bytes(result.new_bytes_stored).c_str(),
                result.logs_truncated ? "truncated" : (options.keep_logs ? "kept (--keep-logs)" : "not truncated"),
                result.seconds);
    if (!result.recovery_set.empty()) {
      std::string names;
      for (const auto& path : result.recovery_set) {
        if (!names.empty()) names += ", ";
        names += path;
      }
      std::printf("recovery set: %s\n", names.c_str());
    }
    if (result.key_not_stored) {
      std::printf("CA private key: not in this snapshot (%s)\n",
                  result.key_not_stored->not_exportable ? "not exportable: back it up with the HSM vendor's procedure"
                                                        : "not exported");
    }
    print_traffic(*repository);
  }
  // After the summary line (flushed first: scripts read the snapshot id from the first line).
  std::fflush(stdout);
  if (!result.series_note.empty()) std::fprintf(stderr, "certvault: %s\n", result.series_note.c_str());
  for (const auto& note : result.recovery_set_notes)
    std::fprintf(stderr, "certvault: recovery set: %s\n", note.c_str());
  if (!result.session_end_error.empty()) {
    warn(fmt::format("snapshot {} is committed and safe, but the CA did not record the end of the backup: {}",
                     result.snapshot_id.substr(0, 12), result.session_end_error));
    command_exit_code() = kExitSessionEnd;
    event += "; but the CA did not record the end of the backup: " + result.session_end_error;
  }
  // A failed truncation (exit 5) outranks a failed CertSrvBackupEnd (exit 8).
  if (!result.truncation_error.empty()) {
    std::fprintf(stderr, "certvault: error: snapshot %s is committed and safe, but log truncation failed: %s\n",
                 result.snapshot_id.substr(0, 12).c_str(), result.truncation_error.c_str());
    command_exit_code() = kExitApi;
    event += "; but log truncation failed: " + result.truncation_error;
  }
  return event;
}

}  // namespace

void register_backup_command(CLI::App& app) {
  auto* command = app.add_subcommand("backup", "take a snapshot of a live CA (--server) or of a folder (--folder)");
  auto options = std::make_shared<BackupOptions>();
  add_repo_option(*command, options->repo);
  auto* folder = command->add_option("--folder", options->folder, "back up every regular file under this folder");
  auto* server = command->add_option("--server", options->server, kServerOptionHelp);
  folder->excludes(server);
  command
      ->add_option("--source", options->source,
                   "with --folder: the series this snapshot belongs to (e.g. the CA's name when each night's "
                   "certutil -backupDB output is a new dated folder); default: the folder as given")
      ->needs(folder);
  command->add_option("--type", options->type, "full, incremental (logs only) or auto")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "incremental", "auto"}));
  command
      ->add_option("--full-every", options->full_every_days,
                   "with --type auto: take a full when the last one is older than this many days")
      ->capture_default_str()
      ->check(finite_number_in(0, 36500, "days"));
  command->add_flag("--keep-logs", options->keep_logs, "do not truncate the CA's logs after the snapshot commits");
  command->add_flag("--with-config,!--no-config", options->with_config,
                    "a full also stores the recovery set under Config/: the CA configuration key (CA.reg), "
                    "CAPolicy.inf, the CA certificates, an enterprise CA's templates (templates.txt) (default: on)");
  auto* with_key = command->add_flag(
      "--with-key", options->with_key,
      "a full also stores the CA's private key as Config/<CA>.p12, protected by the passphrase of "
      "--key-password-file; only into an encrypted repository (refused with exit 6 otherwise). A key that cannot be "
      "exported (HSM, non-exportable key) is recorded as such (default: off)");
  auto* key_password =
      command->add_option("--key-password-file", options->key_password_file,
                          "with --with-key: file whose first line is the PKCS#12 passphrase (not the repository's)");
  key_password->needs(with_key);
  command->add_option("--library", options->library,
                      "Certadm library to load (default: certadm.dll on Windows, libcertadm_sim.so elsewhere)");
  command->add_option("--tag", options->tags, "tag the snapshot (repeatable)");
  command->add_option("--read-buffer-kib", options->read_buffer_kib, "CertSrvBackupRead buffer size")
      ->capture_default_str()
      ->check(integer_in(4, 65536, "KiB"));
  command->add_flag("--json", options->json, "print a JSON summary");
  command->callback([options] {
    if (options->folder.empty() && options->server.empty()) {
      throw CLI::ValidationError("backup", "give --server NAME or --folder DIR");
    }
    if (options->with_key && options->server.empty()) {
      throw CLI::ValidationError("--with-key", "--with-key backs up a CA's key: it needs --server");
    }
    if (options->with_key && options->key_password_file.empty()) {
      throw CLI::ValidationError("--with-key",
                                 "--with-key needs --key-password-file FILE: the passphrase that protects the "
                                 "PKCS#12 file of the CA's key (choose one apart from the repository's, and keep it "
                                 "where the restore can find it)");
    }
    const std::string what =
        !options->folder.empty() ? "backup of folder " + options->folder : "backup of CA " + options->server;
    run_with_event(event_log::Command::kBackup, what + " into " + options->repo, [&] {
      return !options->folder.empty() ? run_folder_backup(*options) : run_server_backup(*options);
    });
  });
}

}  // namespace certvault::cli
