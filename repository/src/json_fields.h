// Numbers and strings read out of repository JSON (snapshot manifests, outcome and truncation
// records): nlohmann's get<T>() narrows silently (70000 as a u16, -1 as a u64, 1.5 as an int) and
// casts a number beyond 64 bits, which it holds as a double, to an integer (undefined behaviour),
// so every number is checked to be an integer within its field's range instead.
#pragma once

#include <fmt/format.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "certvault/base/error.h"

namespace certvault::json_fields {

using nlohmann::json;

template <typename T>
T value_of(const json& value) {
  if constexpr (std::is_integral_v<T>) {
    if (value.is_number_unsigned()) {
      const auto number = value.get<uint64_t>();
      if (number > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
        throw Error(ErrorKind::kIntegrity, fmt::format("{} is out of range", number));
      }
      return static_cast<T>(number);
    }
    if (value.is_number_integer()) {
      const auto number = value.get<int64_t>();
      if constexpr (std::is_unsigned_v<T>) {
        throw Error(ErrorKind::kIntegrity, fmt::format("{} is negative", number));
      } else {
        if (number < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
            number > static_cast<int64_t>(std::numeric_limits<T>::max())) {
          throw Error(ErrorKind::kIntegrity, fmt::format("{} is out of range", number));
        }
        return static_cast<T>(number);
      }
    }
    throw Error(ErrorKind::kIntegrity, fmt::format("{} is not an integer", value.dump()));
  } else {
    return value.get<T>();  // strings and arrays of strings: get() checks the type
  }
}

// The field `key` of `object`, read with value_of(); errors name the field.
template <typename T>
T field_of(const json& object, const char* key, const std::string& where) {
  try {
    return value_of<T>(object.at(key));
  } catch (const Error& e) {
    throw Error(ErrorKind::kIntegrity, fmt::format("{}: field '{}': {}", where, key, e.what()));
  }
}

}  // namespace certvault::json_fields
