#include <catch2/catch.hpp>
#include <string>

#include "certvault/base/error.h"
#include "certvault/chunker/chunker.h"

using certvault::chunker::Chunker;
using certvault::chunker::Key;
using certvault::chunker::Params;
using certvault::chunker::StreamChunker;

TEST_CASE("from_average gives min = avg/8 and max = avg*4") {
  const Params params = Params::from_average(8192);
  CHECK(params.min_size == 1024);
  CHECK(params.avg_size == 8192);
  CHECK(params.max_size == 32768);
  CHECK_NOTHROW(Params::from_average(512).validate());
  CHECK_NOTHROW(Params::from_average(4u << 20).validate());
}

TEST_CASE("bad parameters are rejected with a message naming the parameter, value and rule") {
  struct Case {
    Params params;
    std::string expected;
  };
  const Case cases[] = {
      {{63, 256, 1024}, "min_size = 63 is below the smallest allowed, 64"},
      {{0, 256, 1024}, "min_size = 0 is below"},
      {{64, 256, (16u << 20) + 1}, "max_size = 16777217 is above the largest allowed, 16777216"},
      {{64, 1000, 4096}, "avg_size = 1000 is not a power of two"},
      {{64, 0, 4096}, "avg_size = 0 is not a power of two"},
      {{256, 256, 1024}, "min_size = 256 must be below avg_size = 256"},
      {{512, 256, 1024}, "min_size = 512 must be below avg_size = 256"},
      {{64, 256, 256}, "max_size = 256 must be above avg_size = 256"},
      {{64, 4096, 1024}, "max_size = 1024 must be above avg_size = 4096"},
  };
  const Key key{};
  for (const Case& c : cases) {
    INFO("min " << c.params.min_size << " avg " << c.params.avg_size << " max " << c.params.max_size);
    CHECK_THROWS_AS(c.params.validate(), certvault::Error);
    CHECK_THROWS_WITH(c.params.validate(), Catch::Contains(c.expected));
    CHECK_THROWS_WITH(Chunker(c.params, key), Catch::Contains(c.expected));
    CHECK_THROWS_WITH(StreamChunker(c.params, key), Catch::Contains(c.expected));
  }
}

TEST_CASE("from_average rejects averages that are not powers of two or give out-of-range sizes") {
  CHECK_THROWS_WITH(Params::from_average(3000), Catch::Contains("avg_size = 3000 is not a power of two"));
  CHECK_THROWS_WITH(Params::from_average(0), Catch::Contains("avg_size = 0 is not a power of two"));
  CHECK_THROWS_WITH(Params::from_average(256), Catch::Contains("avg_size = 256 is outside [512, 4194304]"));
  CHECK_THROWS_WITH(Params::from_average(8u << 20), Catch::Contains("avg_size = 8388608 is outside"));
  CHECK_THROWS_WITH(Params::from_average(1u << 31), Catch::Contains("avg_size = 2147483648 is outside"));
  CHECK_THROWS_AS(Params::from_average(3000), certvault::Error);
  try {
    Params::from_average(3000);
  } catch (const certvault::Error& error) {
    CHECK(error.kind() == certvault::ErrorKind::kUsage);  // a bad value, e.g. `init --chunk-avg`
  }
}

TEST_CASE("the extreme valid parameters are accepted") {
  const Key key{};
  CHECK_NOTHROW(Chunker(Params{64, 128, 129}, key));
  CHECK_NOTHROW(Chunker(Params{64, 8u << 20, 16u << 20}, key));
}
