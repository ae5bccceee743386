// certvault-bench s3 put FILE NAME | s3 get NAME FILE: one object to and from the S3 gateway in
// CERTVAULT_S3_ENDPOINT / CERTVAULT_S3_BUCKET (scripts/ceph-rgw.sh), through the S3 object store
// as the repository uses it: appends of 1 MiB (a single PUT up to 16 MiB, else streamed parts of
// 8 MiB) and ranged GETs of 8 MiB. bench/s3.sh times it against `s3cmd put/get` of the same file.
#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_mode.h"
#include "certvault/repository/object_store.h"
#include "certvault/s3/location.h"
#include "certvault/s3/options.h"

namespace certvault::bench {
namespace {

constexpr size_t kAppendSize = 1 << 20;
constexpr uint64_t kReadSize = 8 << 20;

std::unique_ptr<ObjectStore> open_gateway() {
  const char* endpoint = std::getenv("CERTVAULT_S3_ENDPOINT");
  const char* bucket = std::getenv("CERTVAULT_S3_BUCKET");
  if (endpoint == nullptr || bucket == nullptr) {
    throw std::runtime_error("set CERTVAULT_S3_ENDPOINT and CERTVAULT_S3_BUCKET (scripts/ceph-rgw.sh start)");
  }
  const auto location = s3::parse_s3_location(fmt::format("s3:{}/{}/bench", endpoint, bucket));
  return open_s3_object_store(location, s3::s3_options_from_environment());
}

int run_s3_transfer_bench(int argc, char** argv) {
  if (argc != 4 || (std::string(argv[1]) != "put" && std::string(argv[1]) != "get")) {
    std::fprintf(stderr, "usage: certvault-bench s3 put FILE NAME | s3 get NAME FILE\n");
    return 2;
  }
  const bool put = std::string(argv[1]) == "put";
  auto store = open_gateway();
  const auto start = std::chrono::steady_clock::now();
  uint64_t bytes = 0;
  std::vector<char> buffer(kAppendSize);
  if (put) {
    std::ifstream in(argv[2], std::ios::binary);
    if (!in) throw std::runtime_error(fmt::format("cannot read {}", argv[2]));
    auto writer = store->create(argv[3]);
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
      const auto got = static_cast<size_t>(in.gcount());
      writer->append(std::span(reinterpret_cast<const uint8_t*>(buffer.data()), got));
      bytes += got;
    }
    writer->commit();
  } else {
    std::ofstream out(argv[3], std::ios::binary | std::ios::trunc);
    const uint64_t size = store->size(argv[2]);
    for (uint64_t offset = 0; offset < size; offset += kReadSize) {
      const auto part = store->read(argv[2], offset, std::min(kReadSize, size - offset));
      out.write(reinterpret_cast<const char*>(part.data()), static_cast<std::streamsize>(part.size()));
      bytes += part.size();
    }
    out.close();
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", argv[3]));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s %llu bytes in %.3f s: %.1f MB/s\n", argv[1], static_cast<unsigned long long>(bytes), seconds,
              bytes / seconds / 1e6);
  std::printf(
      "%s\n",
      nlohmann::json{{"mode", std::string("s3 ") + argv[1]}, {"bytes", bytes}, {"seconds", seconds}}.dump().c_str());
  return 0;
}

const ModeRegistration registration{
    {"s3", "S3 object store: put or get one file against the gateway (bench/s3.sh compares s3cmd)",
     run_s3_transfer_bench}};

}  // namespace
}  // namespace certvault::bench
