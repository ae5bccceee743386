// Where a repository's objects live: a local folder, or a remote object store (an S3 bucket and
// prefix, `s3:https://HOST[:PORT]/BUCKET[/PREFIX]`, docs/user-guide.md).
//
// Contract:
// - A local repository keeps its catalog (catalog.db) and its lock file beside its objects, as
//   always. A remote one keeps its catalog as a cache in this machine's cache folder
//   (cache_folder()), brought up to date from the objects on every open, and locks itself with lock
//   objects (`locks/`), so machines that share it see each other's snapshots and locks
//   (docs/design.md, "Shared repositories").
// - parse() takes what a user typed after --repo: "s3:" and a URL, else a folder (UTF-8).
// - A remote location opens its object store on demand; every call may throw Error.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "certvault/repository/object_store.h"

namespace certvault {

// Settings of a remote location that a command line gives; each one set overrides the
// environment's (AWS_DEFAULT_REGION / AWS_REGION, AWS_CA_BUNDLE). Folders ignore them.
struct RemoteSettings {
  std::string region;     // the S3 region signed into each request
  std::string ca_bundle;  // a PEM file of CA certificates to verify the service with (a private CA)
};

class RepositoryLocation {
 public:
  using StoreOpener = std::function<std::unique_ptr<ObjectStore>()>;

  // A local folder (implicit, so a path is a location wherever one is asked for).
  RepositoryLocation(std::filesystem::path folder);  // NOLINT(google-explicit-constructor)
  RepositoryLocation(const char* folder) : RepositoryLocation(std::filesystem::path(folder)) {}
  // "s3:http(s)://..." (checked here, opened with the S3 settings of the environment and
  // `settings`), else a folder.
  static RepositoryLocation parse(std::string_view spec, const RemoteSettings& settings = {});
  // A remote repository in any object store: S3, and in tests a folder treated as remote.
  static RepositoryLocation remote(std::string display, StoreOpener open_store);

  bool is_local() const { return !open_remote_; }
  const std::filesystem::path& folder() const { return folder_; }  // empty when remote
  // What messages call the repository: the folder, or the remote location as given.
  std::string display() const;
  // The repository's objects, without locks or encryption.
  std::unique_ptr<ObjectStore> open_objects() const;

 private:
  RepositoryLocation() = default;
  std::filesystem::path folder_;
  std::string remote_display_;
  StoreOpener open_remote_;
};

// This machine's cache folder for the remote repository `repository_id`:
// $CERTVAULT_CACHE_DIR/<id> when that is set, else $XDG_CACHE_HOME/certvault/<id>, else
// ~/.cache/certvault/<id>; on Windows %LOCALAPPDATA%\certvault\<id>. Created (private) by the
// caller. Throws Error(kUsage) when no such folder can be named (no HOME and no variable set).
std::filesystem::path cache_folder(const std::string& repository_id);

}  // namespace certvault
