#include <fmt/format.h>

#include <cstdio>

#include "certvault/base/byte_count_text.h"
#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/repository/encryption_migration.h"
#include "cli_support.h"
#include "commands.h"

namespace certvault::cli {

void register_migrate_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "migrate",
      "convert a repository in place: --encrypt turns a plaintext one (format 1 or 2) into an encrypted one "
      "(format 3), crash-safely; run it again to finish one that was interrupted");
  struct Options {
    std::string repo;
    bool encrypt = false;
  };
  auto options = std::make_shared<Options>();
  add_repo_option(*command, options->repo);
  command
      ->add_flag("--encrypt", options->encrypt,
                 "encrypt the repository under a new key: its first key slot opens with the passphrase "
                 "(--password-file, CERTVAULT_PASSWORD_FILE, CERTVAULT_PASSWORD, or typed) or the key file "
                 "(--key-file, created when absent)")
      ->required();
  command->callback([options] {
    EncryptionMigrationOptions migration;
    migration.credentials = new_repository_credentials(
        "migrate --encrypt needs the new key: a passphrase (--password-file, CERTVAULT_PASSWORD_FILE, "
        "CERTVAULT_PASSWORD, or type it on a terminal) or a key file (--key-file, created when absent)");
    migration.warn = warn;
    migration.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    if (!repository_location(options->repo).is_local()) {
      // Remote objects cannot be renamed into place as the local migration does (docs/user-guide.md).
      throw Error(ErrorKind::kUsage, fmt::format("--repo {}: migrate --encrypt converts local repositories only; "
                                                 "copy the snapshots into a new encrypted repository instead "
                                                 "(certvault copy --all)",
                                                 options->repo));
    }
    const auto report = encrypt_repository(os::path_from_utf8(options->repo), migration);
    if (report.discarded_earlier_run) {
      std::printf("discarded what an interrupted earlier run had staged (before it switched anything)\n");
    }
    if (report.finished_earlier_run) {
      std::printf("finished the interrupted migration of %s: %llu encrypted objects moved into place\n",
                  options->repo.c_str(), static_cast<unsigned long long>(report.objects_moved));
      return;
    }
    std::printf("encrypted repository %s: %llu objects (%s) sealed, key slot %s; no plaintext object is left\n",
                options->repo.c_str(), static_cast<unsigned long long>(report.objects_sealed),
                byte_count_text(report.bytes_sealed).c_str(), report.key_slot.c_str());
    if (migration.credentials.key_file && !migration.credentials.passphrase) {
      std::printf(
          "its key is the key file %s: keep a copy apart from the repository; without it the backups "
          "cannot be read\n",
          os::display(*migration.credentials.key_file).c_str());
    }
  });
}

}  // namespace certvault::cli
