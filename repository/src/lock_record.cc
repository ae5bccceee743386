#include "lock_record.h"

#include <fmt/format.h>

#include <sstream>

namespace certvault {

std::string format_lock_record(const LockRecord& record) {
  return fmt::format("host={} pid={} started={} mode={}", record.host, record.pid, record.started_unix, record.mode);
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
      if (key == "host") record.host = value;
      if (key == "pid") record.pid = std::stol(value), has_pid = true;
      if (key == "started") record.started_unix = std::stoll(value);
      if (key == "mode") record.mode = value;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (!has_pid || record.host.empty()) return std::nullopt;
  return record;
}

}  // namespace certvault
