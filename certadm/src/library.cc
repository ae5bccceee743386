// Loading the Certadm library and resolving its seventeen functions by name.
#include "certvault/certadm/library.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "call_support.h"
#include "certvault/base/error.h"
#include "library_os.h"

namespace certvault::certadm {
namespace {

using detail::in_quotes;
using detail::path_to_utf8;

using library_os::close_library;
using library_os::find_symbol;
using library_os::open_library;

template <typename Pointer>
void resolve(void* handle, size_t index, Pointer& slot, std::vector<std::string_view>& missing, std::string& why) {
  const std::string name(kFunctionNames[index]);
  void* address = find_symbol(handle, name.c_str(), why);
  if (address == nullptr) {
    missing.push_back(kFunctionNames[index]);
    return;
  }
  slot = reinterpret_cast<Pointer>(address);
}

Functions resolve_all(void* handle, const std::filesystem::path& path) {
  Functions functions;
  std::vector<std::string_view> missing;
  std::string why;
  size_t index = 0;
  // The order of kFunctionNames is the order of the members of Functions.
  resolve(handle, index++, functions.is_server_online, missing, why);
  resolve(handle, index++, functions.backup_prepare, missing, why);
  resolve(handle, index++, functions.restore_get_database_locations, missing, why);
  resolve(handle, index++, functions.backup_get_database_names, missing, why);
  resolve(handle, index++, functions.backup_open_file, missing, why);
  resolve(handle, index++, functions.backup_read, missing, why);
  resolve(handle, index++, functions.backup_close, missing, why);
  resolve(handle, index++, functions.backup_get_backup_logs, missing, why);
  resolve(handle, index++, functions.backup_truncate_logs, missing, why);
  resolve(handle, index++, functions.backup_get_dynamic_file_list, missing, why);
  resolve(handle, index++, functions.backup_end, missing, why);
  resolve(handle, index++, functions.backup_free, missing, why);
  resolve(handle, index++, functions.restore_prepare, missing, why);
  resolve(handle, index++, functions.restore_register, missing, why);
  resolve(handle, index++, functions.restore_register_complete, missing, why);
  resolve(handle, index++, functions.restore_end, missing, why);
  resolve(handle, index++, functions.server_control, missing, why);
  if (index != kFunctionNames.size()) throw Error(ErrorKind::kInternal, "Functions and kFunctionNames differ");
  if (!missing.empty()) {
    close_library(handle);
    throw Error(
        ErrorKind::kFailure,
        fmt::format("the Certadm library {} does not export {} of the {} functions certbcli.h declares: {} ({})",
                    in_quotes(path_to_utf8(path)), missing.size(), kFunctionNames.size(), fmt::join(missing, ", "),
                    why));
  }
  return functions;
}

}  // namespace

std::shared_ptr<Library> Library::load(const std::filesystem::path& path) {
  void* handle = open_library(path);
  const Functions functions = resolve_all(handle, path);
  try {
    return std::shared_ptr<Library>(new Library(path, handle, functions));
  } catch (...) {
    close_library(handle);
    throw;
  }
}

std::filesystem::path Library::default_path() { return library_os::default_path(); }

Library::Library(std::filesystem::path path, void* handle, const Functions& functions)
    : path_(std::move(path)), handle_(handle), functions_(functions) {}

Library::~Library() { close_library(handle_); }

std::string Library::display_path() const { return path_to_utf8(path_); }

}  // namespace certvault::certadm
