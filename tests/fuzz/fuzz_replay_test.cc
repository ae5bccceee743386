// Feeds every registered fuzz target its committed corpus (tests/fuzz/corpus/
// <target>/, see make-corpus.sh), its seeds and deterministic mutations of
// them (bit flips, truncations, extensions, random bytes). Any crash or
// sanitizer report fails the run; exceptions are the parsers' way to say no.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>

#include "fuzz_target.h"

namespace certvault::fuzz {
std::vector<Target>& targets() {
  static std::vector<Target> all;
  return all;
}
}  // namespace certvault::fuzz

namespace {
void run_guarded(const certvault::fuzz::Target& target, const std::vector<uint8_t>& input) {
  try {
    target.run(input.data(), input.size());
  } catch (const std::exception&) {
    // Rejecting bad input is correct behaviour.
  }
}

std::vector<uint8_t> mutate(std::vector<uint8_t> input, std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0:
      if (!input.empty()) input[rng() % input.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      break;
    case 1:
      if (!input.empty()) input.resize(rng() % input.size());
      break;
    case 2:
      for (int i = 0, n = static_cast<int>(rng() % 64); i < n; ++i) input.push_back(static_cast<uint8_t>(rng()));
      break;
    case 3:
      for (int i = 0, n = static_cast<int>(rng() % 8); i < n && !input.empty(); ++i) {
        input[rng() % input.size()] = static_cast<uint8_t>(rng());
      }
      break;
    default:
      if (input.size() >= 4) {
        const size_t at = rng() % (input.size() - 3);
        const uint32_t extreme = (rng() & 1) != 0 ? 0xFFFFFFFFu : 0x7FFFFFFFu;
        for (int i = 0; i < 4; ++i) input[at + static_cast<size_t>(i)] = static_cast<uint8_t>(extreme >> (8 * i));
      }
      break;
  }
  return input;
}
std::filesystem::path corpus_root() {
  return std::filesystem::path(CERTVAULT_SOURCE_DIR) / "tests" / "fuzz" / "corpus";
}

std::vector<uint8_t> file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("every fuzz target replays its committed corpus, and every corpus folder has a target") {
  std::set<std::string> names;
  for (const auto& target : certvault::fuzz::targets()) {
    names.insert(target.name);
    const auto folder = corpus_root() / target.name;
    INFO("corpus " << folder.string());
    REQUIRE(std::filesystem::is_directory(folder));
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
      INFO("input " << entry.path().filename().string());
      run_guarded(target, file_bytes(entry.path()));
      ++files;
    }
    CHECK(files >= 3);
  }
  for (const auto& entry : std::filesystem::directory_iterator(corpus_root())) {
    if (entry.is_directory()) CHECK(names.contains(entry.path().filename().string()));
  }
}

TEST_CASE("every fuzz target survives its seeds and 20000 mutations of them") {
  const auto& all = certvault::fuzz::targets();
  REQUIRE_FALSE(all.empty());
  for (const auto& target : all) {
    INFO("target " << target.name);
    auto seeds = target.seeds();
    REQUIRE_FALSE(seeds.empty());
    // The committed corpus is real data: mutations of it reach deeper than hand-made seeds.
    for (const auto& entry : std::filesystem::directory_iterator(corpus_root() / target.name)) {
      seeds.push_back(file_bytes(entry.path()));
    }
    std::mt19937_64 rng(0xC3A7'5EED);
    for (const auto& seed : seeds) run_guarded(target, seed);
    for (int i = 0; i < 20000; ++i) {
      auto input = seeds[static_cast<size_t>(rng() % seeds.size())];
      for (int depth = 0, n = 1 + static_cast<int>(rng() % 4); depth < n; ++depth)
        input = mutate(std::move(input), rng);
      run_guarded(target, input);
    }
    run_guarded(target, {});
    SUCCEED("target " << target.name << " done");
  }
}

// Not run by ctest (hidden tag): make-corpus.sh runs it to write each target's seeds, the valid
// encodings its source builds, into the corpus as seed-<n>, where libFuzzer (which never calls the
// seed functions) starts from them.
TEST_CASE("write every fuzz target's seeds into CERTVAULT_FUZZ_SEEDS_TO/<target>/", "[.write-seeds]") {
  const char* root = std::getenv("CERTVAULT_FUZZ_SEEDS_TO");
  REQUIRE(root != nullptr);
  for (const auto& target : certvault::fuzz::targets()) {
    const auto folder = std::filesystem::path(root) / target.name;
    std::filesystem::create_directories(folder);
    const auto seeds = target.seeds();
    for (size_t i = 0; i < seeds.size(); ++i) {
      std::ofstream out(folder / ("seed-" + std::to_string(i)), std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(seeds[i].data()), static_cast<std::streamsize>(seeds[i].size()));
      REQUIRE(out.good());
    }
  }
}
