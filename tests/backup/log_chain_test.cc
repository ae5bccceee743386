#include "certvault/operations/log_chain.h"

#include <catch2/catch.hpp>

using namespace certvault;
using namespace std::chrono_literals;

TEST_CASE("generation sets report their range and gaps") {
  CHECK_FALSE(summarize_generations({}).has_value());
  auto set = summarize_generations({7, 5, 6, 6, 10, 12});
  REQUIRE(set.has_value());
  CHECK(set->range == GenerationRange{5, 12});
  REQUIRE(set->gaps.size() == 2);
  CHECK(set->gaps[0] == std::pair<uint32_t, uint32_t>{8, 9});
  CHECK(set->gaps[1] == std::pair<uint32_t, uint32_t>{11, 11});
  CHECK(describe_gaps(set->gaps) == "0x8-0x9, 0xB");
  CHECK(summarize_generations({0xFFFFFFFF})->range == GenerationRange{0xFFFFFFFF, 0xFFFFFFFF});
}

TEST_CASE("a logs-only backup must continue the previous range") {
  CHECK(check_continuation(9, {10, 14}).continues);
  CHECK(check_continuation(9, {8, 14}).continues);  // logs kept past the checkpoint are listed again
  CHECK(check_continuation(9, {9, 9}).continues);
  CHECK_FALSE(check_continuation(9, {3, 8}).continues);  // older than what we already hold: nothing new
  const auto gap = check_continuation(9, {12, 14});
  CHECK_FALSE(gap.continues);
  REQUIRE(gap.missing.size() == 1);
  CHECK(describe_gaps(gap.missing) == "0xA-0xB");
  CHECK(check_continuation(0xFFFFFFFE, {0xFFFFFFFF, 0xFFFFFFFF}).continues);
}

TEST_CASE("backup type auto chooses full or incremental for a stated reason") {
  auto none = decide_backup_kind(std::nullopt, true, 168h);
  CHECK(none.kind == BackupKind::kFull);
  CHECK_THAT(none.reason, Catch::Contains("no committed full"));
  CHECK(decide_backup_kind(std::chrono::seconds(24h), false, 168h).kind == BackupKind::kFull);
  auto old = decide_backup_kind(std::chrono::seconds(200h), true, 168h);
  CHECK(old.kind == BackupKind::kFull);
  CHECK_THAT(old.reason, Catch::Contains("200 h old"));
  CHECK(decide_backup_kind(std::chrono::seconds(24h), true, 168h).kind == BackupKind::kIncremental);
}
