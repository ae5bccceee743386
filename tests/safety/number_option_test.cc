// Issue 15, item 8: numeric options are finite and within their documented range; anything else
// exits 2 naming the range, before the repository is touched.
#include <catch2/catch.hpp>

#include "test_support.h"

using namespace certvault_test;

TEST_CASE("numeric options refuse non-finite, out-of-range and malformed values with exit 2 naming the range") {
  TempFolder temp("safety-numbers");
  const auto repo = temp / "repo";
  REQUIRE(certvault("init --repo " + quoted(repo.string())).exit_code == 0);
  const std::string r = " --repo " + quoted(repo.string());
  struct Case {
    std::string command, value, range;
  };
  const std::vector<Case> cases = {
      {"backup --server x --full-every", "inf", "0..36500"},
      {"backup --server x --full-every", "nan", "0..36500"},
      {"backup --server x --full-every", "1e308", "0..36500"},
      {"backup --server x --full-every", "-1", "0..36500"},
      {"backup --server x --full-every", "36501", "0..36500"},
      {"backup --server x --full-every", "0x10", "0..36500"},
      {"backup --server x --read-buffer-kib", "4194304", "4..65536"},
      {"backup --server x --read-buffer-kib", "-1", "4..65536"},
      {"prune --max-unused", "nan", "0..100"},
      {"prune --max-unused", "-0.5", "0..100"},
      {"check --read-data-subset", "NaN", "0..100"},
      {"check --read-data-subset", "1e2", "0..100"},
      {"forget --keep-last", "-1", "0..1000000"},
      {"forget --keep-last", "4294967297", "0..1000000"},
      {"forget --keep-daily", "2.5", "0..1000000"},
  };
  for (const auto& c : cases) {
    const auto result = certvault(c.command + " " + quoted(c.value) + r);
    INFO(c.command << " " << c.value << "\n" << result.output);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.output, Catch::Contains(c.range));
  }
  const auto init = certvault("init --repo " + quoted((temp / "r2").string()) + " --pack-size-mib 1e3");
  CHECK(init.exit_code == 2);
  CHECK(!std::filesystem::exists(temp / "r2" / "config"));
  // In range still works, fractions of a day included.
  CHECK(certvault("prune --max-unused 12.5 --dry-run" + r).exit_code == 0);
}
