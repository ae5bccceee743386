// certvault-bench ideal: the page-level storage ideal of one backup, for
// bench/peers.sh. Each named 8 KiB database page is compressed on its own with
// zstd -3 (what a store keyed by page would keep), each new log as one file.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "bench_mode.h"
#include "bench_support.h"

namespace certvault::bench {
namespace {

constexpr uint64_t kPageSize = 8192;  // the sim's database page (docs/sim.md)

std::vector<uint64_t> read_page_numbers(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open page list " + path);
  std::vector<uint64_t> pages;
  uint64_t number = 0;
  while (in >> number) pages.push_back(number);
  if (!in.eof()) throw std::runtime_error("page list " + path + " holds something that is not a page number");
  return pages;
}

struct Sizes {
  uint64_t count = 0;
  uint64_t bytes = 0;
};

// Data page N sits at (N + 1) * 8192: page 0 is the header, then its shadow.
Sizes compress_pages(const std::filesystem::path& database, const std::vector<uint64_t>& pages) {
  std::ifstream in(database, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open database " + database.string());
  std::vector<uint8_t> page(kPageSize);
  Sizes sizes;
  for (const uint64_t number : pages) {
    in.clear();
    in.seekg(static_cast<std::streamoff>((number + 1) * kPageSize));
    in.read(reinterpret_cast<char*>(page.data()), static_cast<std::streamsize>(page.size()));
    if (in.gcount() != static_cast<std::streamsize>(kPageSize)) {
      throw std::runtime_error(fmt::format("page {} lies past the end of {} (offset {})", number, database.string(),
                                           (number + 1) * kPageSize));
    }
    sizes.bytes += zstd_size(page.data(), page.size());
    ++sizes.count;
  }
  return sizes;
}

Sizes compress_files(const std::vector<std::string>& paths) {
  Sizes sizes;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    sizes.bytes += zstd_size(bytes.data(), bytes.size());
    ++sizes.count;
  }
  return sizes;
}

int run_ideal(int argc, char** argv) {
  CLI::App app{"zstd -3 size of the given database pages (one by one) plus whole files: the page-level ideal"};
  std::string database;
  std::string page_list;
  bool all_pages = false;
  std::vector<std::string> files;
  app.add_option("--database", database, "the CA database (<CA>.edb)");
  app.add_option("--pages", page_list, "file with one data page number per line (casim changed-pages)");
  app.add_flag("--all-pages", all_pages, "every data page of the database (the first backup)");
  app.add_option("--files", files, "files stored whole (new logs, dynamic files)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if ((all_pages || !page_list.empty()) && database.empty()) throw std::runtime_error("--database is required");
  std::vector<uint64_t> pages;
  if (all_pages) {
    const uint64_t data_pages = std::filesystem::file_size(database) / kPageSize - 2;
    for (uint64_t n = 1; n <= data_pages; ++n) pages.push_back(n);
  } else if (!page_list.empty()) {
    pages = read_page_numbers(page_list);
  }
  const Sizes page_sizes = database.empty() ? Sizes{} : compress_pages(database, pages);
  const Sizes file_sizes = compress_files(files);
  fmt::print("ideal: {} pages -> {} bytes, {} files -> {} bytes, total {} bytes\n", page_sizes.count, page_sizes.bytes,
             file_sizes.count, file_sizes.bytes, page_sizes.bytes + file_sizes.bytes);
  const nlohmann::json result = {{"pages", page_sizes.count},
                                 {"pages_bytes", page_sizes.bytes},
                                 {"files", file_sizes.count},
                                 {"files_bytes", file_sizes.bytes},
                                 {"total_bytes", page_sizes.bytes + file_sizes.bytes}};
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

const ModeRegistration registration{
    {"ideal", "page-level storage ideal of one backup (for bench/peers.sh)", run_ideal}};

}  // namespace
}  // namespace certvault::bench
