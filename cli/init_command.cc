#include <cstdio>

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
  command->callback([options] {
    InitOptions init;
    init.chunk_avg = options->chunk_avg;
    init.zstd_level = options->compression;
    init.pack_target_bytes = options->pack_mib << 20;
    Repository::init(options->repo, init);
    std::printf("created repository %s\n", options->repo.c_str());
  });
}

}  // namespace certvault::cli
