#include "certvault/repository/location.h"

#include <fmt/format.h>

#include <cstdlib>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "s3_store_opener.h"

namespace certvault {

RepositoryLocation::RepositoryLocation(std::filesystem::path folder) : folder_(std::move(folder)) {}

RepositoryLocation RepositoryLocation::parse(std::string_view spec, const RemoteSettings& settings) {
  if (spec.starts_with("s3:")) {
    // Checked now, so a typing error is reported before anything is opened or created.
    return remote(std::string(spec), s3_store_opener(spec, settings));
  }
  return RepositoryLocation(os::path_from_utf8(std::string(spec)));
}

RepositoryLocation RepositoryLocation::remote(std::string display, StoreOpener open_store) {
  RepositoryLocation location;
  location.remote_display_ = std::move(display);
  location.open_remote_ = std::move(open_store);
  return location;
}

std::string RepositoryLocation::display() const { return is_local() ? os::display(folder_) : remote_display_; }

std::unique_ptr<ObjectStore> RepositoryLocation::open_objects() const {
  return is_local() ? open_local_object_store(folder_) : open_remote_();
}

namespace {

std::filesystem::path from_environment(const char* name) {
#ifdef _WIN32
  std::wstring wide(name, name + std::char_traits<char>::length(name));
  const wchar_t* value = _wgetenv(wide.c_str());
  return value != nullptr && *value != L'\0' ? std::filesystem::path(value) : std::filesystem::path();
#else
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::filesystem::path(value) : std::filesystem::path();
#endif
}

}  // namespace

std::filesystem::path cache_folder(const std::string& repository_id) {
  if (auto chosen = from_environment("CERTVAULT_CACHE_DIR"); !chosen.empty()) return chosen / repository_id;
#ifdef _WIN32
  if (auto local = from_environment("LOCALAPPDATA"); !local.empty()) return local / "certvault" / repository_id;
  throw Error(ErrorKind::kUsage,
              "no cache folder for a remote repository's catalog: neither CERTVAULT_CACHE_DIR nor LOCALAPPDATA is set");
#else
  if (auto xdg = from_environment("XDG_CACHE_HOME"); !xdg.empty() && xdg.is_absolute()) {
    return xdg / "certvault" / repository_id;
  }
  if (auto home = from_environment("HOME"); !home.empty()) return home / ".cache" / "certvault" / repository_id;
  throw Error(ErrorKind::kUsage,
              "no cache folder for a remote repository's catalog: none of CERTVAULT_CACHE_DIR, XDG_CACHE_HOME and HOME "
              "is set");
#endif
}

}  // namespace certvault
