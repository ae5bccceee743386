#include <xxhash.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>
#include <set>

#include "certvault/chunker/chunker.h"
#include "chunk_testing.h"

using namespace certvault::chunker;
using namespace certvault::chunker::testing;

namespace {

constexpr size_t kStreamSize = 64u << 20;
constexpr size_t kPageSize = 8192;

std::vector<uint64_t> chunk_digests(const Params& params, const Key& key, std::span<const uint8_t> data) {
  std::vector<uint64_t> digests;
  uint64_t start = 0;
  for (const uint64_t end : chunk_ends(params, key, data)) {
    digests.push_back(XXH3_64bits(data.data() + start, end - start));
    start = end;
  }
  return digests;
}

// Chunks of `edited` that the original stream does not have.
size_t new_chunks(const std::vector<uint64_t>& original, const std::vector<uint64_t>& edited) {
  const std::set<uint64_t> known(original.begin(), original.end());
  size_t count = 0;
  for (const uint64_t digest : edited) count += known.count(digest) == 0 ? 1 : 0;
  return count;
}

// Length of the common prefix of two chunk sequences: the chunks before the edit.
size_t common_head(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

// Length of the common suffix of two chunk sequences: the chunks after resynchronisation.
size_t common_tail(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[a.size() - 1 - n] == b[b.size() - 1 - n]) ++n;
  return n;
}

struct Fixture {
  Params params = Params::from_average(8192);
  Key key = key_from_seed(31);
  std::vector<uint8_t> data = random_bytes(kStreamSize, 32);
  std::vector<uint64_t> digests = chunk_digests(params, key, data);
};

}  // namespace

TEST_CASE("inserting or deleting 1..1000 bytes near the start changes at most 3 chunks") {
  const Fixture original;
  SplitMix rng(33);
  for (const size_t edit_size : {size_t{1}, size_t{2}, size_t{64}, size_t{999}, size_t{1000}}) {
    for (const bool insert : {true, false}) {
      const size_t offset = 1 + rng.below(1u << 20);
      std::vector<uint8_t> edited = original.data;
      if (insert) {
        std::vector<uint8_t> inserted = random_bytes(edit_size, rng.next());
        edited.insert(edited.begin() + static_cast<std::ptrdiff_t>(offset), inserted.begin(), inserted.end());
      } else {
        edited.erase(edited.begin() + static_cast<std::ptrdiff_t>(offset),
                     edited.begin() + static_cast<std::ptrdiff_t>(offset + edit_size));
      }
      const std::vector<uint64_t> digests = chunk_digests(original.params, original.key, edited);
      const size_t changed = new_chunks(original.digests, digests);
      INFO((insert ? "inserting " : "deleting ")
           << edit_size << " bytes at offset " << offset << " changed " << changed << " chunks");
      CHECK(changed >= 1);
      CHECK(changed <= 3);
      // Everything but the chunks around the edit is shared, in the same order.
      CHECK(common_head(original.digests, digests) + changed + common_tail(original.digests, digests) ==
            digests.size());
    }
  }
}

// No content-defined chunker can promise 2 for every page: a page straddling a cut already lies in
// two chunks, and if its new bytes hold a cut of their own it lies in three. So this bounds the
// typical (median) and average cost and the worst case over a sample of pages.
TEST_CASE("overwriting one 8 KiB-aligned page typically changes at most 2 chunks") {
  const Fixture original;
  const std::vector<uint64_t> ends = chunk_ends(original.params, original.key, original.data);
  SplitMix rng(34);
  constexpr int kPages = 32;
  std::vector<size_t> changed_per_page;
  for (int trial = 0; trial < kPages; ++trial) {
    const size_t page = 16 + rng.below(kStreamSize / kPageSize - 256);
    // Cuts depend only on the bytes since the chunk start, so chunking a window that begins at an
    // original cut before the page reproduces the original cuts; 1 MiB is ample to resynchronise.
    const auto first_after = std::upper_bound(ends.begin(), ends.end(), page * kPageSize);
    const size_t window_start = *(first_after - 3);
    std::vector<uint8_t> window(original.data.begin() + static_cast<std::ptrdiff_t>(window_start),
                                original.data.begin() + static_cast<std::ptrdiff_t>(window_start + (1u << 20)));
    SplitMix(rng.next()).fill(std::span(window).subspan(page * kPageSize - window_start, kPageSize));
    std::vector<uint64_t> digests = chunk_digests(original.params, original.key, window);
    digests.pop_back();  // cut short by the window's end
    const size_t changed = new_chunks(original.digests, digests);
    INFO("overwriting page " << page << " changed " << changed << " chunks");
    CHECK(changed >= 1);
    CHECK(changed <= 6);
    changed_per_page.push_back(changed);
  }
  std::sort(changed_per_page.begin(), changed_per_page.end());
  const double mean =
      static_cast<double>(std::accumulate(changed_per_page.begin(), changed_per_page.end(), size_t{0})) / kPages;
  INFO("median " << changed_per_page[kPages / 2] << ", mean " << mean << " changed chunks per page");
  CHECK(changed_per_page[kPages / 2] <= 2);
  CHECK(mean <= 2.5);
}
