// A file system that can cut the power (tests only).
//
// It passes every call through to the real disk and keeps, beside it, a model
// of what a power cut would leave under `root`:
// - files and folders are inodes; names are entries of their folder inode;
// - a file's durable content is what it held at its last sync() (nothing
//   before the first one) — in-place overwrites included, as SQLite does them;
// - a folder's durable entries are the entries it had at its last
//   sync_folder(): a create, rename or remove becomes durable only then, so a
//   synced file whose name was never made durable disappears, and a rename
//   made durable keeps the inode it moved (not a copy).
// What was under `root` when the file system was made counts as durable.
//
// Sync points are the calls that make something durable or move a name:
// sync(), sync_folder() and rename(). cut_at(N, kBefore) cuts the power as the
// N-th one is called, before it takes effect; cut_at(N, kAfter) just after it
// took effect. At the cut the call throws PowerCut; from then on every call
// (reads too) throws Error("power is off") and reaches nothing, except close(),
// which only releases the real file. The test then destroys whatever the
// process held and calls restore_durable_state(), which rewrites the disk
// under `root` to the model's durable state; the test reopens the repository
// with the real file system. Without restore_durable_state() the disk keeps
// everything written: that models a killed process rather than a power cut.
//
// restore_durable_state() takes how much of what was written since a file's
// last sync() reached the disk anyway: none of it (kLost, the default), the
// earlier half of the writes in the order they were made
// (kEarlierHalfReachedDisk: a half-written database page set), or all of it
// (kAllReachedDisk). Names follow the folder syncs whatever the choice. Real
// disks land anywhere between; the three together catch an order that relies
// on any of them.
//
// Under `root` the model is the durability: sync() and sync_folder() do not
// reach the real disk there (fsync would only cost the tests time).
//
// Removes are not sync points: a remove is durable only at the folder sync
// that follows, which is one. Every sync_folder() also compares the folder on
// disk with the model; names that appeared or vanished without a call through
// this file system (code that bypasses the seam) are listed by
// untracked_changes(). Thread-safe. Paths outside `root` pass through
// untracked; `root` must hold no symlinks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"

namespace certvault_test {

// Thrown by the sync point where the power was cut. It derives from
// certvault::Error because that is what the process sees of a dying disk: its
// destructors and cleanup paths treat it as the I/O failure they already
// handle (a type they did not know would escape a noexcept destructor). Tests
// tell a cut from a failure by PowerLossFileSystem::power_is_off(), not by the
// exception's type.
class PowerCut : public certvault::Error {
 public:
  explicit PowerCut(const std::string& where)
      : certvault::Error(certvault::ErrorKind::kFailure, "power cut (simulated by the test) at " + where) {}
};

enum class CutWhen { kBefore, kAfter };
enum class UnsyncedWrites { kLost, kEarlierHalfReachedDisk, kAllReachedDisk };

class PowerLossFileSystem final : public certvault::os::FileSystem {
 public:
  explicit PowerLossFileSystem(std::filesystem::path root,
                               certvault::os::FileSystem& inner = certvault::os::os_file_system());
  ~PowerLossFileSystem() override;

  void cut_at(uint64_t point, CutWhen when);
  void cut_now();
  bool power_is_off() const;
  // Sync points passed so far, and what each one was ("sync PATH", "sync folder PATH", "rename A to B").
  uint64_t sync_points() const;
  std::vector<std::string> sync_point_log() const;
  std::vector<std::string> untracked_changes() const;
  // Whether a file under a durable name has writes since its last sync(): only
  // then does restore_durable_state()'s choice of UnsyncedWrites matter.
  bool has_unsynced_writes() const;

  // Rewrites the disk under root to the durable state (cuts the power first if
  // it is still on). Call it once every file the process opened is closed.
  void restore_durable_state(UnsyncedWrites unsynced = UnsyncedWrites::kLost);

  // The durable state, relative path ('/'-separated) -> content; folders end with '/'.
  std::map<std::string, std::vector<uint8_t>> durable_state() const;

  void rename(const std::filesystem::path& from, const std::filesystem::path& to,
              const std::string& operation) override;
  void remove_file(const std::filesystem::path& path, const std::string& operation, bool missing_ok) override;
  void create_folder(const std::filesystem::path& path, const std::string& operation) override;
  void remove_folder(const std::filesystem::path& path, const std::string& operation) override;
  void sync_folder(const std::filesystem::path& path, const std::string& operation) override;
  std::vector<certvault::os::FolderEntry> list_folder(const std::filesystem::path& path,
                                                      const std::string& operation) override;
  std::optional<certvault::os::FileStatus> status(const std::filesystem::path& path, bool follow_symlinks) override;
  void make_private(const std::filesystem::path& path, const std::string& operation) override;
  std::optional<uint64_t> free_space(const std::filesystem::path& path) override;

 protected:
  std::unique_ptr<certvault::os::OpenFile> open_file(const std::filesystem::path& path, certvault::os::OpenFor mode,
                                                     const std::string& operation, std::string* failure) override;

 private:
  friend class PowerLossFile;
  using NodeId = size_t;
  using Name = std::filesystem::path::string_type;
  struct Write {
    uint64_t offset = 0;
    std::vector<uint8_t> bytes;
    std::optional<uint64_t> truncate_to;  // a truncate() rather than a write
  };
  struct Node {
    bool folder = false;
    std::map<Name, NodeId> entries;          // folders: now
    std::map<Name, NodeId> durable_entries;  // folders: as of the last sync_folder()
    std::vector<uint8_t> durable_content;    // files: as of the last sync()
    std::vector<Write> since_sync;           // files: writes and truncates since the last sync()
  };

  // Runs `effect` as sync point `what`, cutting the power before or after it when planned.
  template <class Effect>
  void sync_point(const std::string& what, Effect&& effect);
  void require_power() const;  // with mutex_ held
  // The path relative to root, or nothing when it lies outside.
  std::optional<std::filesystem::path> inside(const std::filesystem::path& path) const;
  std::optional<NodeId> find(const std::filesystem::path& relative) const;
  // The folder holding `relative` and its name there; nothing when the folder is unknown.
  std::optional<std::pair<NodeId, Name>> parent_of(const std::filesystem::path& relative);
  NodeId add_node(bool folder);
  void snapshot(NodeId folder, const std::filesystem::path& on_disk);
  void note_untracked(const std::string& what);
  void write_durable(NodeId folder, const std::filesystem::path& on_disk, std::vector<NodeId>& stack,
                     UnsyncedWrites unsynced) const;
  // A file's content after a power cut: its synced content and the unsynced writes that reached the disk.
  std::vector<uint8_t> content_after_cut(const Node& file, UnsyncedWrites unsynced) const;
  bool has_unsynced_writes(NodeId folder, std::vector<NodeId>& stack) const;
  void collect_durable(NodeId folder, const std::string& prefix, std::map<std::string, std::vector<uint8_t>>& out,
                       std::vector<NodeId>& stack) const;

  std::filesystem::path root_;
  certvault::os::FileSystem& inner_;
  mutable std::mutex mutex_;
  std::vector<Node> nodes_;  // index = NodeId; 0 is root
  uint64_t points_ = 0;
  std::vector<std::string> log_;
  std::vector<std::string> untracked_;
  uint64_t cut_point_ = 0;
  CutWhen cut_when_ = CutWhen::kBefore;
  bool off_ = false;
  bool restored_ = false;
};

}  // namespace certvault_test
