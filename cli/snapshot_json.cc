#include "snapshot_json.h"

#include <fmt/format.h>

#include <chrono>

#include "certvault/base/hex.h"
#include "cli_support.h"

namespace certvault::cli {

namespace {
template <typename T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}
}  // namespace

nlohmann::json snapshot_json(const catalog::SnapshotRecord& s) {
  return {{"id", s.id},
          {"time", format_utc(s.created_unix)},
          {"time_unix", s.created_unix},
          {"time_us", std::get<0>(catalog::order_key(s))},
          {"commit_seq", s.commit_seq},
          {"kind", s.kind},
          {"source", s.source},
          {"source_path", s.source_path},
          {"server", s.server},
          {"ca_name", s.ca_name},
          {"tags", s.tags},
          {"parent", or_null(s.parent)},
          {"base_full", or_null(s.base_full)},
          {"gen_low", or_null(s.gen_low)},
          {"gen_high", or_null(s.gen_high)},
          {"logical_bytes", s.logical_size},
          {"added_bytes", s.added_size}};
}

std::string log_generations(const catalog::SnapshotRecord& s) {
  if (!s.gen_low || !s.gen_high) return "-";
  return fmt::format("0x{:X}-0x{:X}", *s.gen_low, *s.gen_high);
}

std::string origin(const catalog::SnapshotRecord& s) {
  return s.ca_name.empty() ? s.source : s.ca_name + " @ " + s.source;
}

std::string hex_digest(const catalog::Digest& digest) { return to_hex(digest); }

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace certvault::cli
