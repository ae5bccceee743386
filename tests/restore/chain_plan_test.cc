// The generation arithmetic of a restore chain, without a repository.
#include <catch2/catch.hpp>

#include "certvault/operations/export_plan.h"

using namespace certvault;

namespace {

RestoreSet set_of(uint32_t gen_low, uint32_t gen_high, std::vector<uint32_t> present) {
  RestoreSet set;
  set.snapshot.gen_low = gen_low;
  set.snapshot.gen_high = gen_high;
  for (uint32_t generation : present) {
    catalog::FileRecord log;
    log.log_generation = generation;
    set.logs.push_back(log);
  }
  set.generations = {gen_low, gen_high};
  return set;
}

}  // namespace

TEST_CASE("a contiguous chain has no gaps, overlaps included") {
  CHECK(chain_gaps({set_of(3, 5, {3, 4, 5}), set_of(6, 8, {6, 7, 8}), set_of(9, 9, {9})}).empty());
  CHECK(chain_gaps({set_of(3, 5, {3, 4, 5}), set_of(5, 7, {5, 6, 7})}).empty());
}

TEST_CASE("a log missing inside a set, a set without logs and a hole between sets are all named") {
  CHECK(chain_gaps({set_of(3, 6, {3, 6})}) == GenerationGaps{{4, 5}});
  CHECK(chain_gaps({set_of(3, 5, {3, 4, 5}), set_of(6, 6, {})}) == GenerationGaps{{6, 6}});
  CHECK(chain_gaps({set_of(3, 5, {3, 4, 5}), set_of(8, 9, {8, 9})}) == GenerationGaps{{6, 7}});
  CHECK(chain_gaps({set_of(3, 5, {4}), set_of(9, 9, {9})}) == GenerationGaps{{3, 3}, {5, 5}, {6, 8}});
  CHECK(describe_gaps(chain_gaps({set_of(0x1F, 0x21, {0x1F, 0x21})})) == "0x20");
}
