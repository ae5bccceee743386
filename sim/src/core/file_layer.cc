// The parts of the file layer that std::filesystem and the per-system File
// already make portable (file_layer_posix.cc / file_layer_win32.cc hold the rest).
#include "core/file_layer.h"

#include <fmt/format.h>

#include <system_error>

#include "core/sim_error.h"
#include "core/utf.h"

namespace casim::files {
namespace {

[[noreturn]] void fail(const char* operation, const fs::path& path, const std::error_code& error) {
  throw SimError(certadm_sim::kEFail, fmt::format("{} {}: {}", operation, path_to_utf8(path), error.message()));
}

}  // namespace

std::vector<uint8_t> read_bytes(const fs::path& path) {
  File file(path, OpenMode::kRead);
  std::vector<uint8_t> bytes(file.size());
  file.read_exact(0, bytes);
  return bytes;
}

std::string read_text(const fs::path& path) {
  const auto bytes = read_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

void write_bytes(const fs::path& path, std::span<const uint8_t> bytes) {
  File file(path, OpenMode::kCreate);
  file.resize(0);
  file.write_at(0, bytes);
}

void write_text_atomic(const fs::path& path, const std::string& text) {
  fs::path temporary = path;
  temporary += fmt::format(".tmp{}", current_process_id());
  write_bytes(temporary, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  rename_file(temporary, path);
}

bool exists(const fs::path& path) {
  std::error_code error;
  return fs::exists(path, error);
}

void create_directories(const fs::path& path) {
  std::error_code error;
  fs::create_directories(path, error);
  if (error) fail("create folder", path, error);
}

std::vector<std::string> list_file_names(const fs::path& folder) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    std::error_code type_error;
    if (it->is_regular_file(type_error)) names.push_back(path_to_utf8(it->path().filename()));
  }
  if (error) fail("list folder", folder, error);
  return names;
}

}  // namespace casim::files
