#include <string>

#include "certvault/base/error.h"
#include "certvault/chunker/chunker.h"

namespace certvault::chunker {
namespace {

bool is_power_of_two(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

[[noreturn]] void reject(const char* where, const char* parameter, uint64_t value, const std::string& rule) {
  throw Error(ErrorKind::kUsage, std::string(where) + ": " + parameter + " = " + std::to_string(value) + " " + rule);
}

}  // namespace

Params Params::from_average(uint32_t avg) {
  constexpr uint32_t kSmallestAverage = kSmallestMinSize * 8;
  constexpr uint32_t kLargestAverage = kLargestMaxSize / 4;
  if (!is_power_of_two(avg)) reject("chunker::Params::from_average", "avg_size", avg, "is not a power of two");
  if (avg < kSmallestAverage || avg > kLargestAverage) {
    reject("chunker::Params::from_average", "avg_size", avg,
           "is outside [" + std::to_string(kSmallestAverage) + ", " + std::to_string(kLargestAverage) +
               "] (min_size = avg/8 must be >= " + std::to_string(kSmallestMinSize) +
               " and max_size = avg*4 must be <= " + std::to_string(kLargestMaxSize) + ")");
  }
  Params params{avg / 8, avg, avg * 4};
  params.validate();
  return params;
}

void Params::validate() const {
  constexpr const char* kWhere = "chunker::Params::validate";
  if (min_size < kSmallestMinSize) {
    reject(kWhere, "min_size", min_size, "is below the smallest allowed, " + std::to_string(kSmallestMinSize));
  }
  if (max_size > kLargestMaxSize) {
    reject(kWhere, "max_size", max_size, "is above the largest allowed, " + std::to_string(kLargestMaxSize));
  }
  if (!is_power_of_two(avg_size)) reject(kWhere, "avg_size", avg_size, "is not a power of two");
  if (min_size >= avg_size) {
    reject(kWhere, "min_size", min_size, "must be below avg_size = " + std::to_string(avg_size));
  }
  if (avg_size >= max_size) {
    reject(kWhere, "max_size", max_size, "must be above avg_size = " + std::to_string(avg_size));
  }
}

}  // namespace certvault::chunker
