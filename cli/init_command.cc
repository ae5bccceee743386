#include <cstdio>

#include "certvault/base/account_protection.h"
#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "cli_support.h"
#include "commands.h"
#include "number_option.h"

namespace certvault::cli {

void register_init_command(CLI::App& app) {
  auto* command = app.add_subcommand("init", "create a new, empty repository");
  struct Options {
    std::string repo;
    uint32_t chunk_avg = InitOptions{}.chunk_avg;
    int compression = InitOptions{}.zstd_level;
    uint64_t pack_mib = InitOptions{}.pack_target_bytes >> 20;
    bool insecure_no_encryption = false;
    bool dpapi = false;
  };
  auto options = std::make_shared<Options>();
  add_repo_option(*command, options->repo);
  command->add_option("--chunk-avg", options->chunk_avg, "average chunk size in bytes (power of two)")
      ->capture_default_str()
      ->check(integer_in(1, 4294967295, "bytes"));
  command->add_option("--compression", options->compression, "zstd level 1..19")
      ->capture_default_str()
      ->check(integer_in(1, 19, "zstd levels"));
  command->add_option("--pack-size-mib", options->pack_mib, "target pack file size in MiB")
      ->capture_default_str()
      ->check(integer_in(1, 4096, "MiB"));
  command->add_flag("--insecure-no-encryption", options->insecure_no_encryption,
                    "create a plaintext repository: anyone who can read its files reads the CA's database");
  command->add_flag("--dpapi", options->dpapi,
                    "Windows: the key file --key-file creates is sealed with DPAPI for the account running init");
  command->callback([options] {
    InitOptions init;
    init.chunk_avg = options->chunk_avg;
    init.zstd_level = options->compression;
    init.pack_target_bytes = options->pack_mib << 20;
    if (!options->insecure_no_encryption) {
      if (options->dpapi) {
        if (!credentials().key_file) {
          throw Error(ErrorKind::kUsage, "--dpapi protects the key file init creates: give --key-file");
        }
        os::require_account_protection();
      }
      init.encryption = new_repository_credentials(
          "init encrypts the repository: give its passphrase (--password-file, CERTVAULT_PASSWORD_FILE, "
          "CERTVAULT_PASSWORD, or type it on a terminal) or a key file (--key-file, created when absent), or say "
          "--insecure-no-encryption for a plaintext repository");
      init.encryption->protect_new_key_file_with_dpapi = options->dpapi;
    }
    if (options->insecure_no_encryption && options->dpapi) {
      throw Error(ErrorKind::kUsage, "--dpapi protects a key file; a plaintext repository has none");
    }
    Repository::init(repository_location(options->repo), init);
    std::printf("created %s repository %s\n", init.encryption ? "encrypted" : "plaintext (NOT encrypted)",
                options->repo.c_str());
    if (init.encryption && init.encryption->key_file && !init.encryption->passphrase) {
      std::printf(
          "its key is the key file %s: keep a copy apart from the repository; without it the backups "
          "cannot be read\n",
          os::display(*init.encryption->key_file).c_str());
    }
  });
}

}  // namespace certvault::cli
