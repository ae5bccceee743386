// certvault-bench chunker: chunker throughput against XXH3-64 over the same in-memory buffer.
#include <fmt/core.h>
#include <xxhash.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "bench_mode.h"
#include "certvault/chunker/chunker.h"

namespace certvault::bench {
namespace {

constexpr int kPasses = 5;

std::vector<uint8_t> random_buffer(size_t size) {
  std::vector<uint8_t> bytes(size);
  uint64_t state = 0x2545f4914f6cdd1dULL;
  for (size_t i = 0; i + 8 <= size; i += 8) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    std::copy_n(reinterpret_cast<const uint8_t*>(&state), 8, bytes.data() + i);
  }
  return bytes;
}

template <typename Pass>
double median_seconds(Pass pass) {
  std::vector<double> seconds;
  for (int i = 0; i < kPasses; ++i) {
    const auto start = std::chrono::steady_clock::now();
    pass();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[kPasses / 2];
}

int run_chunker_bench(int argc, char** argv) {
  CLI::App app{"Chunk N MiB of random data in memory; median of 5 passes, compared with XXH3-64"};
  uint64_t size_mib = 256;
  uint32_t avg = chunker::Params::kDefaultAverage;
  app.add_option("--size-mib", size_mib, "MiB of random data to chunk")->check(CLI::Range(1, 65536));
  app.add_option("--avg", avg, "average chunk size in bytes (power of two; min = avg/8, max = avg*4)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  const chunker::Params params = chunker::Params::from_average(avg);
  chunker::Key key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 37 + 11);
  const std::vector<uint8_t> data = random_buffer(size_mib << 20);
  const double bytes = static_cast<double>(data.size());

  uint64_t chunks = 0;
  chunker::Chunker boundary_finder(params, key);
  const double chunker_seconds = median_seconds([&] {
    chunks = 0;
    std::span<const uint8_t> rest(data);
    while (const std::optional<size_t> cut = boundary_finder.next_cut(rest)) {
      ++chunks;
      rest = rest.subspan(*cut);
    }
    if (boundary_finder.pending() != 0) ++chunks;
    boundary_finder.reset();
  });

  // StreamChunker fed in 1 MiB reads, as a backup would: adds the carry copies and callbacks.
  uint64_t stream_chunks = 0;
  chunker::StreamChunker stream(params, key);
  const double stream_seconds = median_seconds([&] {
    stream_chunks = 0;
    const auto count = [&](std::span<const uint8_t>) { ++stream_chunks; };
    for (size_t offset = 0; offset < data.size(); offset += 1u << 20) {
      stream.feed(std::span(data).subspan(offset, std::min<size_t>(1u << 20, data.size() - offset)), count);
    }
    stream.finish(count);
  });

  volatile uint64_t sink = 0;
  const double xxh3_seconds = median_seconds([&] { sink = sink + XXH3_64bits(data.data(), data.size()); });

  const double chunker_gbps = bytes / chunker_seconds / 1e9;
  const double stream_gbps = bytes / stream_seconds / 1e9;
  const double xxh3_gbps = bytes / xxh3_seconds / 1e9;
  const double mean_chunk = bytes / static_cast<double>(chunks);
  fmt::print("chunker: {} MiB random data, min/avg/max = {}/{}/{}, median of {} passes\n", size_mib, params.min_size,
             params.avg_size, params.max_size, kPasses);
  fmt::print("  Chunker::next_cut      {:.3f} GB/s  ({} chunks, mean {:.0f} bytes)\n", chunker_gbps, chunks,
             mean_chunk);
  fmt::print("  StreamChunker (1 MiB)  {:.3f} GB/s  ({} chunks)\n", stream_gbps, stream_chunks);
  fmt::print("  XXH3-64                {:.3f} GB/s\n", xxh3_gbps);
  nlohmann::json result = {{"mode", "chunker"},
                           {"size_mib", size_mib},
                           {"avg", params.avg_size},
                           {"min", params.min_size},
                           {"max", params.max_size},
                           {"chunker_gbps", chunker_gbps},
                           {"stream_chunker_gbps", stream_gbps},
                           {"xxh3_gbps", xxh3_gbps},
                           {"ratio_to_xxh3", chunker_gbps / xxh3_gbps},
                           {"mean_chunk", mean_chunk},
                           {"chunks", chunks}};
  std::puts(result.dump().c_str());
  return stream_chunks == chunks ? 0 : 1;
}

const ModeRegistration kRegistration{
    {"chunker", "content-defined chunker throughput vs XXH3-64 (--size-mib N, --avg BYTES)", run_chunker_bench}};

}  // namespace
}  // namespace certvault::bench
