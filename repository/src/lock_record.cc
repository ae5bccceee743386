#include "lock_record.h"

#include <fmt/format.h>

#include <sstream>

#include "lock_format.h"

namespace certvault {

std::string format_lock_record(const LockRecord& record) {
  using namespace lock_format;
  auto text = fmt::format("{}={} {}={} {}={} {}={}", kHost, record.host, kPid, record.pid, kStarted,
                          record.started_unix, kMode, record.mode);
  if (record.refreshed_unix != 0) text += fmt::format(" {}={}", kRefreshed, record.refreshed_unix);
  return text;
}

std::optional<LockRecord> parse_lock_record(std::string_view text) {
  LockRecord record;
  bool has_pid = false;
  std::istringstream fields{std::string(text.substr(0, text.find('\n')))};
  std::string field;
  while (fields >> field) {
    const auto equals = field.find('=');
    if (equals == std::string::npos) continue;
    const std::string key = field.substr(0, equals);
    const std::string value = field.substr(equals + 1);
    try {
      if (key == lock_format::kHost) record.host = value;
      if (key == lock_format::kPid) record.pid = std::stol(value), has_pid = true;
      if (key == lock_format::kStarted) record.started_unix = std::stoll(value);
      if (key == lock_format::kMode) record.mode = value;
      if (key == lock_format::kRefreshed) record.refreshed_unix = std::stoll(value);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (!has_pid || record.host.empty()) return std::nullopt;
  return record;
}

}  // namespace certvault
