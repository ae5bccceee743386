#include <catch2/catch.hpp>
#include <set>

#include "certvault/chunker/chunker.h"
#include "chunk_testing.h"

using namespace certvault::chunker;
using namespace certvault::chunker::testing;

TEST_CASE("different keys give different boundaries, the same key the same ones") {
  const Params params = Params::from_average(4096);
  const std::vector<uint8_t> data = random_bytes(2u << 20, 41);
  const std::vector<uint64_t> first = chunk_ends(params, key_from_seed(1), data);
  CHECK(first_difference(chunk_ends(params, key_from_seed(1), data), first) == "");

  const std::set<uint64_t> first_cuts(first.begin(), first.end() - 1);
  Key one_bit_flipped = key_from_seed(1);
  one_bit_flipped[31] ^= 0x01;
  for (const Key& other : {key_from_seed(2), Key{}, one_bit_flipped}) {
    const std::vector<uint64_t> ends = chunk_ends(params, other, data);
    CHECK(first_difference(ends, first) != "");
    size_t shared = 0;
    for (size_t i = 0; i + 1 < ends.size(); ++i) shared += first_cuts.count(ends[i]);
    // Independent cut sets of ~400 cuts each share only a few by chance.
    INFO("cuts shared with the first key: " << shared << " of " << ends.size());
    CHECK(shared < ends.size() / 10);
  }
}

TEST_CASE("the gear table derivation matches its documented known answers") {
  // docs/chunker.md quotes these values; they pin the repository format.
  Key counting{};
  for (size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<uint8_t>(i);
  const GearTable zero_table = derive_gear_table(Key{});
  const GearTable counting_table = derive_gear_table(counting);
  CHECK(zero_table[0] == 0x113201ad1bebd9ddULL);
  CHECK(zero_table[255] == 0x494eefe783446052ULL);
  CHECK(counting_table[0] == 0xa3e77fe1d07ef69aULL);
  CHECK(counting_table[1] == 0xa547c6412504ec53ULL);
  CHECK(counting_table[255] == 0xb7b6071993ba3374ULL);
}

TEST_CASE("the cuts of a reference stream match their documented known answers") {
  // Stream: splitmix64 from seed 0 (see chunk_testing.h), 64 KiB; key 0x00..0x1f; min 128,
  // avg 1024, max 4096. Another implementation reproducing these cuts reproduces the format.
  Key counting{};
  for (size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<uint8_t>(i);
  const std::vector<uint8_t> data = random_bytes(65536, 0);
  const std::vector<uint64_t> ends = chunk_ends(Params::from_average(1024), counting, data);
  const std::vector<uint64_t> expected = {
      1608,  2240,  3591,  4205,  6004,  6550,  6939,  8276,  10699, 12363, 12844, 13343, 14820, 15980, 17331,
      18672, 18896, 20653, 22657, 23803, 25040, 25606, 26051, 26484, 26945, 27503, 27939, 28863, 30290, 30811,
      32870, 34455, 35373, 37149, 38481, 39629, 41158, 41392, 44286, 45477, 46323, 47874, 49837, 50666, 51759,
      54467, 55512, 56769, 57032, 58402, 59492, 60887, 61794, 62266, 63449, 64197, 65536};
  CHECK(first_difference(ends, expected) == "");
}
