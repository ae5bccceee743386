#include "certvault/repository/truncation_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "certvault/base/error.h"
#include "certvault/repository/repository.h"
#include "framed_object.h"
#include "json_fields.h"

namespace certvault {
namespace {

constexpr uint32_t kTruncationVersion = 1;  // §4.3
const std::string kPrefix = "truncations/";

std::string object_name(const std::string& snapshot_id, const char* stage) {
  return kPrefix + snapshot_id + "." + stage;
}

std::vector<uint8_t> encode(const catalog::TruncationRecord& record) {
  const nlohmann::json document = {{"snapshot_id", record.snapshot_id},
                                   {"time_unix", record.time_unix},
                                   {"hresult", record.hresult},
                                   {"message", record.message},
                                   {"outcome", record.outcome}};
  const std::string text = document.dump();
  return framed::wrap(framed::kTruncationMagic, kTruncationVersion,
                      std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

catalog::TruncationRecord decode(std::span<const uint8_t> object, const std::string& what) {
  const auto body = framed::unwrap(object, framed::kTruncationMagic, kTruncationVersion, what);
  try {
    const auto document = nlohmann::json::parse(body.begin(), body.end());
    catalog::TruncationRecord record;
    using json_fields::field_of;
    record.snapshot_id = field_of<std::string>(document, "snapshot_id", what);
    record.time_unix = field_of<int64_t>(document, "time_unix", what);
    record.hresult = field_of<int32_t>(document, "hresult", what);
    record.message = field_of<std::string>(document, "message", what);
    record.outcome = field_of<std::string>(document, "outcome", what);
    return record;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kIntegrity, fmt::format("{}: malformed truncation record: {}", what, e.what()));
  }
}

}  // namespace

void record_truncation_intent(Repository& repository, const std::string& snapshot_id, int64_t time_unix) {
  catalog::TruncationRecord record{snapshot_id, time_unix, 0, kTruncationMayHaveHappened, "unknown"};
  repository.objects().put(object_name(snapshot_id, "intent"), encode(record));
  repository.catalog().record_truncation(record);
}

void record_truncation_outcome(Repository& repository, const catalog::TruncationRecord& record) {
  repository.objects().put(object_name(record.snapshot_id, "outcome"), encode(record));
  repository.catalog().record_truncation(record);
}

std::vector<catalog::TruncationRecord> read_truncation_objects(
    const ObjectStore& objects, std::vector<std::string>& problems,
    const std::function<bool(const std::string& name)>& wanted) {
  std::map<std::string, catalog::TruncationRecord> intents, outcomes;  // by snapshot id
  for (const auto& name : objects.list(kPrefix)) {
    const bool intent = name.ends_with(".intent");
    if (!intent && !name.ends_with(".outcome")) continue;
    if (wanted && !wanted(name)) continue;
    try {
      auto record = decode(objects.read_all(name), "truncation object " + name);
      if (object_name(record.snapshot_id, intent ? "intent" : "outcome") != name) {
        throw Error(ErrorKind::kIntegrity, "its snapshot id does not match its name");
      }
      auto& into = intent ? intents : outcomes;
      into[record.snapshot_id] = std::move(record);
    } catch (const Error& e) {
      problems.push_back(fmt::format("truncation object {} skipped: {}", name, e.what()));
    }
  }
  std::vector<catalog::TruncationRecord> records;
  for (auto& [id, record] : outcomes) records.push_back(std::move(record));
  for (auto& [id, record] : intents) {
    if (!outcomes.contains(id)) records.push_back(std::move(record));
  }
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.time_unix, a.snapshot_id) < std::tie(b.time_unix, b.snapshot_id);
  });
  return records;
}

}  // namespace certvault
