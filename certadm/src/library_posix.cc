// dlopen and dlsym behind library_os.h.
#include <dlfcn.h>
#include <fmt/format.h>

#include "call_support.h"
#include "certvault/base/error.h"
#include "library_os.h"

namespace certvault::certadm::library_os {
namespace {

std::string loader_error() {
  const char* text = dlerror();
  return text != nullptr ? text : "no message from the loader";
}

}  // namespace

void* open_library(const std::filesystem::path& path) {
  // Absolute, so dlopen never searches LD_LIBRARY_PATH for a bare name.
  const std::filesystem::path absolute = std::filesystem::absolute(path);
  void* handle = dlopen(absolute.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    throw Error(ErrorKind::kFailure, fmt::format("cannot load the Certadm library {}: dlopen failed: {}",
                                                 detail::in_quotes(detail::path_to_utf8(absolute)), loader_error()));
  }
  return handle;
}

void* find_symbol(void* handle, const char* name, std::string& why) {
  dlerror();  // clear any earlier message, so the one below belongs to this lookup
  void* address = dlsym(handle, name);
  if (address == nullptr && why.empty()) why = "dlsym: " + loader_error();
  return address;
}

void close_library(void* handle) { dlclose(handle); }

std::filesystem::path default_path() {
  std::error_code error;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "libcertadm_sim.so";
  const std::filesystem::path beside = executable.parent_path() / "libcertadm_sim.so";
  const std::filesystem::path sim_folder = executable.parent_path().parent_path() / "sim" / "libcertadm_sim.so";
  if (!std::filesystem::exists(beside, error) && std::filesystem::exists(sim_folder, error)) return sim_folder;
  return beside;
}

}  // namespace certvault::certadm::library_os
