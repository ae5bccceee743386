// The history objects of a repository: outcome records `outcomes/*.outcome`
// (docs/format.md §4.5, read by `status`) and truncation records
// `truncations/<snapshot id>.intent|.outcome` (§4.3, read by `repair catalog`).
// Both are framed JSON read through the object store; a record that cannot be
// read must be reported and skipped, never stop the command.
//
// The input is stored as one object of each kind and read back with
// read_outcome_objects() and read_truncation_objects(), as it is and re-framed
// (reframed.h) so that mutated JSON reaches the decoders.
#include <cstdlib>
#include <span>
#include <string>

#include "certvault/base/error.h"
#include "certvault/repository/outcome_log.h"
#include "certvault/repository/truncation_log.h"
#include "framed_object.h"
#include "fuzz_target.h"
#include "memory_object_store.h"
#include "reframed.h"

namespace {
using namespace certvault;

constexpr uint32_t kLogVersion = 1;  // of both kinds (§4.3, §4.5)
const std::string kSnapshotId = "0123456789abcdef0123456789abcdef";

std::vector<uint8_t> framed_json(std::string_view magic, std::string_view json) {
  return framed::wrap(magic, kLogVersion, std::span(reinterpret_cast<const uint8_t*>(json.data()), json.size()));
}

std::vector<std::vector<uint8_t>> repository_log_seeds() {
  return {
      framed_json(framed::kOutcomeMagic,
                  R"({"command":"verify","time_us":1764000000123456,"snapshots":["0123456789abcdef0123456789abcdef"],)"
                  R"("result":"ok","error":"","problems":0})"),
      framed_json(framed::kOutcomeMagic,
                  R"({"command":"check --read-data","time_us":-5,"snapshots":[],"result":"failed",)"
                  R"("error":"pack packs/ab/x.pack is damaged","problems":3})"),
      framed_json(framed::kTruncationMagic,
                  R"({"snapshot_id":"0123456789abcdef0123456789abcdef","time_unix":1764000000,"hresult":0,)"
                  R"("message":"","outcome":"truncated"})"),
      framed_json(framed::kTruncationMagic,
                  R"({"snapshot_id":"0123456789abcdef0123456789abcdef","time_unix":1764000000,)"
                  R"("hresult":-2147024891,"message":"access denied","outcome":"failed"})"),
  };
}

void read_logs(std::span<const uint8_t> object) {
  fuzz::MemoryObjectStore store;
  store.set(std::string(kOutcomesPrefix) + "20261207T033740Z-0123456789abcdef.outcome", object);
  store.set("truncations/" + kSnapshotId + ".intent", object);
  store.set("truncations/" + kSnapshotId + ".outcome", object);
  std::vector<std::string> problems;
  const auto outcomes = read_outcome_objects(store, problems);
  for (const auto& outcome : outcomes) {
    if (outcome.result != "ok" && outcome.result != "failed") std::abort();
  }
  if (outcomes.size() + problems.size() != 1) std::abort();  // read, or reported as skipped
  problems.clear();
  const auto truncations = read_truncation_objects(store, problems, {});
  // Both objects name the same snapshot: the outcome wins over the intent.
  if (truncations.size() > 1 || (truncations.empty() && problems.empty())) std::abort();
}

void read_repository_logs_input(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  read_logs(input);
  read_logs(fuzz::reframed(framed::kOutcomeMagic, kLogVersion, input));
  read_logs(fuzz::reframed(framed::kTruncationMagic, kLogVersion, input));
}
}  // namespace

CERTVAULT_FUZZ_TARGET(repository_logs, repository_log_seeds, read_repository_logs_input);
