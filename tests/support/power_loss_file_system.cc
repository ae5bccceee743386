// power_loss_file_system.h: the pass-through file system and its durable model.
#include "power_loss_file_system.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>

#include "certvault/base/os_file.h"

namespace certvault_test {

namespace os = certvault::os;
namespace fs = std::filesystem;

class PowerLossFile final : public os::OpenFile {
 public:
  PowerLossFile(PowerLossFileSystem& owner, std::unique_ptr<os::OpenFile> inner,
                std::optional<PowerLossFileSystem::NodeId> node)
      : owner_(owner), inner_(std::move(inner)), node_(node) {}

  const fs::path& path() const override { return inner_->path(); }

  size_t read_at(uint64_t offset, std::span<uint8_t> bytes) override {
    const std::lock_guard lock(owner_.mutex_);
    owner_.require_power();
    return inner_->read_at(offset, bytes);
  }
  void write_at(uint64_t offset, std::span<const uint8_t> bytes) override {
    const std::lock_guard lock(owner_.mutex_);
    owner_.require_power();
    inner_->write_at(offset, bytes);
    if (node_) owner_.nodes_[*node_].since_sync.push_back({offset, {bytes.begin(), bytes.end()}, std::nullopt});
  }
  uint64_t size() override {
    const std::lock_guard lock(owner_.mutex_);
    owner_.require_power();
    return inner_->size();
  }
  void truncate(uint64_t size) override {
    const std::lock_guard lock(owner_.mutex_);
    owner_.require_power();
    inner_->truncate(size);
    if (node_) owner_.nodes_[*node_].since_sync.push_back({0, {}, size});
  }
  void sync() override {
    owner_.sync_point("sync " + os::display(path()), [&] {
      if (!node_) {
        inner_->sync();
        return;
      }
      // The model is the durability under root: no real fsync needed (it would only cost time).
      // What the file holds now is what a power cut leaves of it.
      std::vector<uint8_t> content(inner_->size());
      content.resize(inner_->read_at(0, content));
      owner_.nodes_[*node_].durable_content = std::move(content);
      owner_.nodes_[*node_].since_sync.clear();
    });
  }
  // Always reaches the real file, power or not: it only releases the descriptor and its locks.
  void close() override { inner_->close(); }
  bool try_lock_file(os::LockKind kind) override {
    const std::lock_guard lock(owner_.mutex_);
    owner_.require_power();
    return inner_->try_lock_file(kind);
  }
  bool try_lock_range(uint64_t offset, uint64_t length, os::LockKind kind) override {
    const std::lock_guard lock(owner_.mutex_);
    owner_.require_power();
    return inner_->try_lock_range(offset, length, kind);
  }
  void unlock_range(uint64_t offset, uint64_t length) override {
    const std::lock_guard lock(owner_.mutex_);
    owner_.require_power();
    inner_->unlock_range(offset, length);
  }
  // A question to the open handle, which reaches the real file whatever the power.
  os::FileIdentity identity() override { return inner_->identity(); }

 private:
  PowerLossFileSystem& owner_;
  std::unique_ptr<os::OpenFile> inner_;
  std::optional<PowerLossFileSystem::NodeId> node_;
};

PowerLossFileSystem::PowerLossFileSystem(fs::path root, os::FileSystem& inner)
    : root_(fs::absolute(root).lexically_normal()), inner_(inner) {
  if (!root_.has_filename()) root_ = root_.parent_path();
  nodes_.push_back(Node{true, {}, {}, {}, {}});
  snapshot(0, root_);
}

PowerLossFileSystem::~PowerLossFileSystem() = default;

void PowerLossFileSystem::snapshot(NodeId folder, const fs::path& on_disk) {
  for (const auto& entry : fs::directory_iterator(on_disk)) {
    if (entry.is_symlink()) continue;
    const Name name = entry.path().filename().native();
    if (entry.is_directory()) {
      const NodeId id = add_node(true);
      nodes_[folder].entries[name] = nodes_[folder].durable_entries[name] = id;
      snapshot(id, entry.path());
    } else if (entry.is_regular_file()) {
      const NodeId id = add_node(false);
      std::ifstream in(entry.path(), std::ios::binary);
      nodes_[id].durable_content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      nodes_[folder].entries[name] = nodes_[folder].durable_entries[name] = id;
    }
  }
}

PowerLossFileSystem::NodeId PowerLossFileSystem::add_node(bool folder) {
  nodes_.push_back(Node{folder, {}, {}, {}, {}});
  return nodes_.size() - 1;
}

void PowerLossFileSystem::cut_at(uint64_t point, CutWhen when) {
  const std::lock_guard lock(mutex_);
  cut_point_ = point;
  cut_when_ = when;
}

void PowerLossFileSystem::cut_now() {
  const std::lock_guard lock(mutex_);
  off_ = true;
}

bool PowerLossFileSystem::power_is_off() const {
  const std::lock_guard lock(mutex_);
  return off_;
}

uint64_t PowerLossFileSystem::sync_points() const {
  const std::lock_guard lock(mutex_);
  return points_;
}

std::vector<std::string> PowerLossFileSystem::sync_point_log() const {
  const std::lock_guard lock(mutex_);
  return log_;
}

std::vector<std::string> PowerLossFileSystem::untracked_changes() const {
  const std::lock_guard lock(mutex_);
  return untracked_;
}

void PowerLossFileSystem::require_power() const {
  if (off_) {
    throw certvault::Error(certvault::ErrorKind::kFailure,
                           "power is off (cut by the test): nothing reaches the disk any more");
  }
}

template <class Effect>
void PowerLossFileSystem::sync_point(const std::string& what, Effect&& effect) {
  const std::lock_guard lock(mutex_);
  require_power();
  const uint64_t number = ++points_;
  log_.push_back(what);
  const bool cut_here = number == cut_point_;
  if (cut_here && cut_when_ == CutWhen::kBefore) {
    off_ = true;
    throw PowerCut(fmt::format("sync point {} ({}), before it", number, what));
  }
  effect();
  if (cut_here && cut_when_ == CutWhen::kAfter) {
    off_ = true;
    throw PowerCut(fmt::format("sync point {} ({}), just after it", number, what));
  }
}

std::optional<fs::path> PowerLossFileSystem::inside(const fs::path& path) const {
  fs::path absolute = fs::absolute(path).lexically_normal();
  if (!absolute.has_filename()) absolute = absolute.parent_path();
  const fs::path relative = absolute.lexically_relative(root_);
  if (relative.empty() || *relative.begin() == "..") return std::nullopt;
  return relative;
}

std::optional<PowerLossFileSystem::NodeId> PowerLossFileSystem::find(const fs::path& relative) const {
  NodeId node = 0;
  if (relative == ".") return node;
  for (const auto& part : relative) {
    if (!nodes_[node].folder) return std::nullopt;
    const auto it = nodes_[node].entries.find(part.native());
    if (it == nodes_[node].entries.end()) return std::nullopt;
    node = it->second;
  }
  return node;
}

std::optional<std::pair<PowerLossFileSystem::NodeId, PowerLossFileSystem::Name>> PowerLossFileSystem::parent_of(
    const fs::path& relative) {
  if (relative == ".") return std::nullopt;
  const fs::path parent = relative.has_parent_path() ? relative.parent_path() : fs::path(".");
  const auto folder = find(parent);
  if (!folder || !nodes_[*folder].folder) return std::nullopt;
  return std::make_pair(*folder, relative.filename().native());
}

void PowerLossFileSystem::note_untracked(const std::string& what) { untracked_.push_back(what); }

std::unique_ptr<os::OpenFile> PowerLossFileSystem::open_file(const fs::path& path, os::OpenFor mode,
                                                             const std::string& operation, std::string* failure) {
  const std::lock_guard lock(mutex_);
  require_power();
  auto file =
      failure != nullptr ? inner_.try_open(path, mode, operation, *failure) : inner_.open(path, mode, operation);
  if (!file) return nullptr;
  std::optional<NodeId> node;
  if (const auto relative = inside(path)) {
    node = find(*relative);
    const bool creates = mode == os::OpenFor::kCreateNew || mode == os::OpenFor::kCreateOrTruncate ||
                         mode == os::OpenFor::kReadWriteCreate || mode == os::OpenFor::kReadWriteCreateNoFollow;
    if (!node && creates) {
      if (const auto parent = parent_of(*relative)) {
        node = add_node(false);
        nodes_[parent->first].entries[parent->second] = *node;
      } else {
        note_untracked("created " + os::display(path) + " in a folder made outside the file system");
      }
    } else if (!node) {
      note_untracked("opened " + os::display(path) + ", which was made outside the file system");
    } else if (mode == os::OpenFor::kCreateOrTruncate) {
      nodes_[*node].since_sync.push_back({0, {}, 0});
    }
  }
  return std::make_unique<PowerLossFile>(*this, std::move(file), node);
}

void PowerLossFileSystem::rename(const fs::path& from, const fs::path& to, const std::string& operation) {
  sync_point("rename " + os::display(from) + " to " + os::display(to), [&] {
    inner_.rename(from, to, operation);
    std::optional<NodeId> moved;
    if (const auto relative = inside(from)) {
      if (const auto parent = parent_of(*relative)) {
        auto& entries = nodes_[parent->first].entries;
        if (const auto it = entries.find(parent->second); it != entries.end()) {
          moved = it->second;
          entries.erase(it);
        }
      }
      if (!moved) note_untracked("renamed " + os::display(from) + ", which was made outside the file system");
    }
    if (const auto relative = inside(to)) {
      const auto parent = parent_of(*relative);
      if (parent && moved) {
        nodes_[parent->first].entries[parent->second] = *moved;
      } else {
        note_untracked("renamed something the model does not know to " + os::display(to));
      }
    }
  });
}

void PowerLossFileSystem::remove_file(const fs::path& path, const std::string& operation, bool missing_ok) {
  const std::lock_guard lock(mutex_);
  require_power();
  inner_.remove_file(path, operation, missing_ok);
  if (const auto relative = inside(path)) {
    if (const auto parent = parent_of(*relative)) nodes_[parent->first].entries.erase(parent->second);
  }
}

void PowerLossFileSystem::create_folder(const fs::path& path, const std::string& operation) {
  const std::lock_guard lock(mutex_);
  require_power();
  inner_.create_folder(path, operation);
  if (const auto relative = inside(path); relative && !find(*relative)) {
    if (const auto parent = parent_of(*relative)) {
      const NodeId id = add_node(true);
      nodes_[parent->first].entries[parent->second] = id;
    } else {
      note_untracked("created folder " + os::display(path) + " in a folder made outside the file system");
    }
  }
}

void PowerLossFileSystem::remove_folder(const fs::path& path, const std::string& operation) {
  const std::lock_guard lock(mutex_);
  require_power();
  inner_.remove_folder(path, operation);
  if (const auto relative = inside(path)) {
    if (const auto parent = parent_of(*relative)) nodes_[parent->first].entries.erase(parent->second);
  }
}

void PowerLossFileSystem::sync_folder(const fs::path& path, const std::string& operation) {
  sync_point("sync folder " + os::display(path), [&] {
    const auto relative = inside(path);
    if (!relative) {
      inner_.sync_folder(path, operation);
      return;
    }
    const auto node = find(*relative);
    if (!node || !nodes_[*node].folder) {
      note_untracked("synced folder " + os::display(path) + ", which was made outside the file system");
      return;
    }
    auto& folder = nodes_[*node];
    folder.durable_entries = folder.entries;
    // The disk must agree with the model, or something bypassed the seam.
    std::set<Name> on_disk;
    for (const auto& entry : inner_.list_folder(path, "compare with the model")) on_disk.insert(entry.name.native());
    for (const auto& [name, id] : folder.entries) {
      if (!on_disk.contains(name)) {
        note_untracked(os::display(path / name) + " vanished without a call through the file system");
      }
    }
    for (const auto& name : on_disk) {
      if (!folder.entries.contains(name)) {
        note_untracked(os::display(path / name) + " appeared without a call through the file system");
      }
    }
  });
}

std::vector<os::FolderEntry> PowerLossFileSystem::list_folder(const fs::path& path, const std::string& operation) {
  const std::lock_guard lock(mutex_);
  require_power();
  return inner_.list_folder(path, operation);
}

std::optional<os::FileStatus> PowerLossFileSystem::status(const fs::path& path, bool follow_symlinks) {
  const std::lock_guard lock(mutex_);
  require_power();
  return inner_.status(path, follow_symlinks);
}

// Permissions are metadata this model does not roll back at a power cut: a
// mode change is applied at once and survives.
void PowerLossFileSystem::make_private(const fs::path& path, const std::string& operation) {
  const std::lock_guard lock(mutex_);
  require_power();
  inner_.make_private(path, operation);
}

std::optional<uint64_t> PowerLossFileSystem::free_space(const fs::path& path) {
  const std::lock_guard lock(mutex_);
  require_power();
  return inner_.free_space(path);
}

void PowerLossFileSystem::restore_durable_state(UnsyncedWrites unsynced) {
  const std::lock_guard lock(mutex_);
  if (restored_) throw std::logic_error("restore_durable_state() called twice");
  off_ = true;
  restored_ = true;
  for (const auto& entry : fs::directory_iterator(root_)) fs::remove_all(entry.path());
  fs::permissions(root_, fs::perms::owner_all);
  std::vector<NodeId> stack{0};
  write_durable(0, root_, stack, unsynced);
}

std::vector<uint8_t> PowerLossFileSystem::content_after_cut(const Node& file, UnsyncedWrites unsynced) const {
  std::vector<uint8_t> content = file.durable_content;
  size_t reached = 0;
  if (unsynced == UnsyncedWrites::kEarlierHalfReachedDisk) reached = (file.since_sync.size() + 1) / 2;
  if (unsynced == UnsyncedWrites::kAllReachedDisk) reached = file.since_sync.size();
  for (size_t i = 0; i < reached; ++i) {
    const auto& write = file.since_sync[i];
    if (write.truncate_to) {
      content.resize(*write.truncate_to);
      continue;
    }
    if (content.size() < write.offset + write.bytes.size()) content.resize(write.offset + write.bytes.size());
    std::copy(write.bytes.begin(), write.bytes.end(), content.begin() + static_cast<std::ptrdiff_t>(write.offset));
  }
  return content;
}

void PowerLossFileSystem::write_durable(NodeId folder, const fs::path& on_disk, std::vector<NodeId>& stack,
                                        UnsyncedWrites unsynced) const {
  for (const auto& [name, id] : nodes_[folder].durable_entries) {
    // A folder renamed between two folders that were both synced may be named twice; never loop.
    if (std::find(stack.begin(), stack.end(), id) != stack.end()) continue;
    const fs::path path = on_disk / fs::path(name);
    if (nodes_[id].folder) {
      fs::create_directory(path);
      fs::permissions(path, fs::perms::owner_all);  // modes survive a cut: what the seam created private stays so
      stack.push_back(id);
      write_durable(id, path, stack, unsynced);
      stack.pop_back();
    } else {
      const auto content = content_after_cut(nodes_[id], unsynced);
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
      if (!out) throw std::runtime_error("cannot write " + path.string());
      out.close();
      fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
    }
  }
}

bool PowerLossFileSystem::has_unsynced_writes() const {
  const std::lock_guard lock(mutex_);
  std::vector<NodeId> stack{0};
  return has_unsynced_writes(0, stack);
}

bool PowerLossFileSystem::has_unsynced_writes(NodeId folder, std::vector<NodeId>& stack) const {
  for (const auto& [name, id] : nodes_[folder].durable_entries) {
    if (std::find(stack.begin(), stack.end(), id) != stack.end()) continue;
    if (!nodes_[id].folder) {
      if (!nodes_[id].since_sync.empty()) return true;
      continue;
    }
    stack.push_back(id);
    const bool found = has_unsynced_writes(id, stack);
    stack.pop_back();
    if (found) return true;
  }
  return false;
}

std::map<std::string, std::vector<uint8_t>> PowerLossFileSystem::durable_state() const {
  const std::lock_guard lock(mutex_);
  std::map<std::string, std::vector<uint8_t>> state;
  std::vector<NodeId> stack{0};
  collect_durable(0, "", state, stack);
  return state;
}

void PowerLossFileSystem::collect_durable(NodeId folder, const std::string& prefix,
                                          std::map<std::string, std::vector<uint8_t>>& out,
                                          std::vector<NodeId>& stack) const {
  for (const auto& [name, id] : nodes_[folder].durable_entries) {
    if (std::find(stack.begin(), stack.end(), id) != stack.end()) continue;
    const std::string path = prefix + os::display(fs::path(name));
    if (nodes_[id].folder) {
      out[path + "/"] = {};
      stack.push_back(id);
      collect_durable(id, path + "/", out, stack);
      stack.pop_back();
    } else {
      out[path] = nodes_[id].durable_content;
    }
  }
}

}  // namespace certvault_test
