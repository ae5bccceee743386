// Fault injection (DIR/.casim/faults.json), set by `casim fault` and honoured by
// the library on every call.
//
// Contract: a fault is one of
//   fail          CALL fails with HRESULT on every call, or only on its Nth call (nth >= 1)
//   read_error    a CertSrvBackupRead whose range covers OFFSET of a file fails with HRESULT
//   short_read    a CertSrvBackupRead whose range covers OFFSET returns only the bytes before it
//   offline_after the CA goes offline right after CALL returns
// `times` limits how often a fault fires (0 = no limit). File names match by substring
// of the path (empty = every file). Counters persist in faults.json across processes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace casim::faults {

struct FaultSpec {
  std::string kind;  // fail | read_error | short_read | offline_after
  std::string call;
  int32_t hresult = 0;
  uint64_t nth = 0;
  uint64_t offset = 0;
  std::string file;
  uint64_t times = 0;
};

void add_fault(const std::filesystem::path& root, const FaultSpec& fault);
void clear_faults(const std::filesystem::path& root);
std::string describe_faults(const std::filesystem::path& root);

// Counts a call of `call` and returns the HRESULT to fail it with, if a fault says so.
std::optional<int32_t> injected_failure(const std::filesystem::path& root, std::string_view call);

struct ReadDecision {
  std::optional<int32_t> error;   // fail the read with this HRESULT, no bytes
  std::optional<uint64_t> limit;  // return at most this many bytes
};
ReadDecision on_read(const std::filesystem::path& root, std::string_view file, uint64_t position, uint64_t bytes);

// True when an offline_after fault for `call` fires now (the caller takes the CA offline).
bool offline_after(const std::filesystem::path& root, std::string_view call);

// DIR/.casim/calls.log: "<FunctionName> 0x<HRESULT>" or "CertSrvBackupFree -".
void log_call(const std::filesystem::path& root, std::string_view call, std::optional<int32_t> hresult);

}  // namespace casim::faults
