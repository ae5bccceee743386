#include "core/sessions.h"

#include <cstdlib>
#include <map>

namespace casim {
namespace {

struct Registry {
  std::map<uintptr_t, std::unique_ptr<Session>> sessions;
  std::map<void*, std::filesystem::path> buffers;
  uintptr_t next_handle = 0x5C5B0010;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

bool Session::all_read(const std::vector<std::string>& names) const {
  for (const auto& name : names) {
    if (!fully_read.contains(name)) return false;
  }
  return true;
}

std::mutex& api_mutex() {
  static std::mutex mutex;
  return mutex;
}

void* register_session(std::unique_ptr<Session> session) {
  Registry& all = registry();
  const uintptr_t handle = all.next_handle;
  all.next_handle += 0x10;
  all.sessions.emplace(handle, std::move(session));
  return reinterpret_cast<void*>(handle);
}

Session* find_session(void* handle) {
  Registry& all = registry();
  const auto found = all.sessions.find(reinterpret_cast<uintptr_t>(handle));
  return found == all.sessions.end() ? nullptr : found->second.get();
}

void* allocate_buffer(size_t bytes, const std::filesystem::path& root) {
  void* buffer = std::malloc(bytes == 0 ? 1 : bytes);
  if (buffer == nullptr) throw std::bad_alloc();
  registry().buffers.emplace(buffer, root);
  return buffer;
}

std::optional<std::filesystem::path> release_buffer(void* buffer) {
  Registry& all = registry();
  const auto found = all.buffers.find(buffer);
  if (found == all.buffers.end()) return std::nullopt;
  std::filesystem::path root = found->second;
  all.buffers.erase(found);
  std::free(buffer);
  return root;
}

}  // namespace casim
