// Outcomes of `verify` and `check --read-data` as repository objects (docs/format.md §4.5), so that
// `certvault status` knows when the repository was last proven good (or not), also after `repair
// catalog`: the objects are the record, nothing of it lives only in the catalog.
//
// Contract:
// - record_outcome() writes one new immutable object `outcomes/<UTC time>-<16 hex>.outcome` through
//   the object store (durable when it returns; a shared lock is enough: the name is new and
//   random, nobody else writes it) and returns its name. It never replaces an object.
// - read_outcome_objects() gives every readable outcome, oldest first (time, then object name);
//   objects that cannot be read are reported in `problems` and skipped.
// - Outcome objects are history: forget, prune and repair never remove them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace certvault {

class Repository;
class ObjectStore;

struct OutcomeRecord {
  std::string command;                 // "verify", "verify --chain-only", "check --read-data", ...
  int64_t time_us = 0;                 // when the run ended, microseconds since 1970 UTC
  std::vector<std::string> snapshots;  // the snapshot ids the run covered
  std::string result;                  // "ok" or "failed"
  std::string error;                   // why it failed (the first problem); empty when ok
  uint64_t problems = 0;               // how many problems the run found (0 when ok)
  std::string object;                  // the object it was read from (not stored in it)

  bool ok() const { return result == "ok"; }
};

inline constexpr const char* kOutcomesPrefix = "outcomes/";

std::string record_outcome(Repository& repository, const OutcomeRecord& record);
std::vector<OutcomeRecord> read_outcome_objects(const ObjectStore& objects, std::vector<std::string>& problems);

}  // namespace certvault
