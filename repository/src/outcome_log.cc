#include "certvault/repository/outcome_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <tuple>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/base/utc_time.h"
#include "certvault/repository/repository.h"
#include "framed_object.h"
#include "json_fields.h"

namespace certvault {
namespace {

constexpr uint32_t kOutcomeVersion = 1;  // §4.5

std::vector<uint8_t> encode(const OutcomeRecord& record) {
  const nlohmann::json document = {{"command", record.command},     {"time_us", record.time_us},
                                   {"snapshots", record.snapshots}, {"result", record.result},
                                   {"error", record.error},         {"problems", record.problems}};
  const std::string text = document.dump();
  return framed::wrap(framed::kOutcomeMagic, kOutcomeVersion,
                      std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

OutcomeRecord decode(std::span<const uint8_t> object, const std::string& name) {
  const std::string what = "outcome object " + name;
  const auto body = framed::unwrap(object, framed::kOutcomeMagic, kOutcomeVersion, what);
  OutcomeRecord record;
  try {
    const auto document = nlohmann::json::parse(body.begin(), body.end());
    using json_fields::field_of;
    record.command = field_of<std::string>(document, "command", what);
    record.time_us = field_of<int64_t>(document, "time_us", what);
    record.snapshots = field_of<std::vector<std::string>>(document, "snapshots", what);
    record.result = field_of<std::string>(document, "result", what);
    record.error = field_of<std::string>(document, "error", what);
    record.problems = field_of<uint64_t>(document, "problems", what);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kIntegrity, fmt::format("{}: malformed outcome record: {}", what, e.what()));
  }
  if (record.result != "ok" && record.result != "failed") {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("{}: result '{}' is neither 'ok' nor 'failed'", what, record.result));
  }
  record.object = name;
  return record;
}

}  // namespace

std::string record_outcome(Repository& repository, const OutcomeRecord& record) {
  std::array<uint8_t, 8> random{};
  fill_random(random);
  const int64_t seconds = record.time_us >= 0 ? record.time_us / 1000000 : -((-record.time_us + 999999) / 1000000);
  const std::string name =
      fmt::format("{}{}-{}.outcome", kOutcomesPrefix, format_utc(seconds, UtcFormat::kBasic), to_hex(random));
  repository.objects().put(name, encode(record));
  return name;
}

std::vector<OutcomeRecord> read_outcome_objects(const ObjectStore& objects, std::vector<std::string>& problems) {
  std::vector<OutcomeRecord> records;
  for (const auto& name : objects.list(kOutcomesPrefix)) {
    if (!name.ends_with(".outcome")) continue;
    try {
      records.push_back(decode(objects.read_all(name), name));
    } catch (const Error& e) {
      problems.push_back(fmt::format("outcome object {} skipped: {}", name, e.what()));
    }
  }
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.time_us, a.object) < std::tie(b.time_us, b.object);
  });
  return records;
}

}  // namespace certvault
