// The page-aligned chunker and FileChunker: the streaming contract of the content-defined one.
#include "certvault/chunker/page_chunker.h"

#include <catch2/catch.hpp>
#include <functional>

#include "certvault/base/error.h"
#include "certvault/chunker/file_chunker.h"
#include "chunk_testing.h"

using namespace certvault::chunker;
using namespace certvault::chunker::testing;

namespace {

using Chunks = std::vector<std::vector<uint8_t>>;

template <typename AnyChunker>
Chunks feed_in_pieces(AnyChunker& chunker, std::span<const uint8_t> data, const std::function<size_t()>& next_size) {
  Chunks chunks;
  const auto collect = [&](std::span<const uint8_t> chunk) { chunks.emplace_back(chunk.begin(), chunk.end()); };
  while (!data.empty()) {
    const size_t piece = std::min(next_size(), data.size());
    chunker.feed(data.first(piece), collect);
    data = data.subspan(piece);
  }
  chunker.finish(collect);
  return chunks;
}

// What the contract says the chunks are: consecutive page_size slices, the last one short.
Chunks expected_pages(std::span<const uint8_t> data, size_t page_size) {
  Chunks pages;
  for (size_t offset = 0; offset < data.size(); offset += page_size) {
    const auto page = data.subspan(offset, std::min(page_size, data.size() - offset));
    pages.emplace_back(page.begin(), page.end());
  }
  return pages;
}

}  // namespace

TEST_CASE("PageChunker cuts at every page boundary whatever the feed sizes, for ESE's page sizes") {
  for (const uint32_t page_size : {4096u, 8192u, 16384u, 32768u}) {
    INFO("page size " << page_size);
    const auto data = random_bytes(size_t{page_size} * 37 + 1234, page_size);  // a short tail of 1234 bytes
    const auto expected = expected_pages(data, page_size);
    REQUIRE(expected.size() == 38);
    REQUIRE(expected.back().size() == 1234);
    PageChunker chunker(page_size);
    SplitMix rng(page_size + 1);
    CHECK(first_difference(feed_in_pieces(chunker, data, [&] { return data.size(); }), expected) == "");
    CHECK(first_difference(feed_in_pieces(chunker, data, [] { return size_t{1}; }), expected) == "");
    CHECK(first_difference(feed_in_pieces(chunker, data, [&] { return size_t{page_size} - 1; }), expected) == "");
    CHECK(first_difference(feed_in_pieces(chunker, data, [&] { return size_t{page_size} + 1; }), expected) == "");
    CHECK(first_difference(feed_in_pieces(chunker, data, [&] { return 1 + rng.below(3 * page_size); }), expected) ==
          "");
  }
}

TEST_CASE("PageChunker: a whole number of pages has no tail, a stream shorter than a page is one chunk") {
  PageChunker chunker(4096);
  const auto whole = random_bytes(4096 * 3, 1);
  const auto chunks = feed_in_pieces(chunker, whole, [] { return size_t{1000}; });
  REQUIRE(chunks.size() == 3);
  for (const auto& chunk : chunks) CHECK(chunk.size() == 4096);

  const auto tiny = random_bytes(100, 2);
  CHECK(feed_in_pieces(chunker, tiny, [] { return size_t{7}; }) == Chunks{tiny});
  CHECK(feed_in_pieces(chunker, std::span<const uint8_t>(), [] { return size_t{1}; }).empty());
}

TEST_CASE("PageChunker passes pages inside one feed without copying") {
  PageChunker chunker(4096);
  const auto data = random_bytes(4096 * 4, 3);
  std::vector<const uint8_t*> starts;
  chunker.feed(data, [&](std::span<const uint8_t> chunk) { starts.push_back(chunk.data()); });
  chunker.finish([&](std::span<const uint8_t>) { FAIL("no tail expected"); });
  REQUIRE(starts.size() == 4);
  for (size_t i = 0; i < starts.size(); ++i) CHECK(starts[i] == data.data() + i * 4096);
}

TEST_CASE("PageChunker refuses page sizes outside 512..16 MiB") {
  CHECK_THROWS_AS(PageChunker(0), certvault::Error);
  CHECK_THROWS_AS(PageChunker(511), certvault::Error);
  CHECK_THROWS_AS(PageChunker(Params::kLargestMaxSize + 1), certvault::Error);
  CHECK(PageChunker(512).page_size() == 512);
  try {
    PageChunker chunker(511);
  } catch (const certvault::Error& error) {
    CHECK(error.kind() == certvault::ErrorKind::kInternal);  // the chunking decision's bug, never the user's
  }
}

TEST_CASE("FileChunker cuts each file as its Chunking says, one file after another") {
  const Params params = Params::from_average(4096);
  const Key key = key_from_seed(21);
  const auto data = random_bytes(200000, 22);
  FileChunker chunker(params, key);
  SplitMix rng(23);
  const auto random_pieces = [&] { return 1 + rng.below(20000); };

  chunker.start(Chunking::page_aligned(8192));
  CHECK(first_difference(feed_in_pieces(chunker, data, random_pieces), expected_pages(data, 8192)) == "");

  // Content-defined: the same chunks StreamChunker makes.
  StreamChunker stream(params, key);
  const auto content_defined = feed_in_pieces(stream, data, [&] { return data.size(); });
  chunker.start(Chunking::content_defined());
  CHECK(first_difference(feed_in_pieces(chunker, data, random_pieces), content_defined) == "");

  // Back to pages, of another size; a file left unfinished does not leak into the next one.
  chunker.start(Chunking::page_aligned(16384));
  chunker.feed(std::span(data).first(100), [](std::span<const uint8_t>) { FAIL("no whole page yet"); });
  chunker.start(Chunking::page_aligned(16384));
  CHECK(first_difference(feed_in_pieces(chunker, data, random_pieces), expected_pages(data, 16384)) == "");

  // A refused page size leaves the previous choice in place.
  CHECK_THROWS_AS(chunker.start(Chunking::page_aligned(100)), certvault::Error);
  CHECK(chunker.chunking() == Chunking::page_aligned(16384));
  CHECK(describe(Chunking::page_aligned(8192)) == "page-aligned (8192-byte pages)");
  CHECK(describe(Chunking::content_defined()) == "content-defined");
}
