#include "certvault/operations/export_destination.h"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <set>
#include <system_error>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/base/hex.h"
#include "certvault/base/os_file.h"
#include "certvault/base/output_file.h"
#include "certvault/base/safe_path.h"
#include "certvault/operations/tar_writer.h"

namespace certvault {
namespace {

namespace fs = std::filesystem;

constexpr const char* kExportRecordFolder = "exports";

std::string random_suffix() {
  std::array<uint8_t, 6> bytes{};
  fill_random(bytes);
  return to_hex(bytes);
}

fs::path absolute_target(const fs::path& target) {
  std::error_code ec;
  auto path = fs::absolute(target, ec);
  if (ec) throw Error(ErrorKind::kFailure, fmt::format("cannot resolve {}: {}", target.string(), ec.message()));
  path = path.lexically_normal();
  if (!path.has_filename()) path = path.parent_path();
  return path;
}

bool is_within(const fs::path& inner, const fs::path& outer) {
  const auto relative = inner.lexically_relative(outer);
  return !relative.empty() && *relative.begin() != "..";
}

fs::path canonical_or_self(const fs::path& path) {
  std::error_code ec;
  auto resolved = fs::weakly_canonical(path, ec);
  return ec ? path.lexically_normal() : resolved;
}

// An export never lands in the repository, and --force never replaces a folder
// holding the repository or the current folder (`--to . --force`, `--to .. --force`).
void check_placement(const fs::path& target, const fs::path& repository) {
  const auto resolved_target = canonical_or_self(target);
  const auto resolved_repository = canonical_or_self(repository);
  if (is_within(resolved_target, resolved_repository) || is_within(resolved_repository, resolved_target)) {
    throw Error(ErrorKind::kRefused,
                fmt::format("export target {} overlaps the repository {}; choose a folder outside it",
                            os::display(target), os::display(repository)));
  }
  std::error_code ec;
  const auto current = canonical_or_self(fs::current_path(ec));
  if (!ec && is_within(current, resolved_target)) {
    throw Error(ErrorKind::kRefused, fmt::format("export target {} holds the current folder {}; refusing to replace it",
                                                 os::display(target), os::display(current)));
  }
}

// Checks the target and returns whether it exists (as a folder or file to replace).
bool check_target(const fs::path& target, bool want_folder, bool force) {
  std::error_code ec;
  const auto status = fs::symlink_status(target, ec);
  if (ec || !fs::exists(status)) return false;
  if (want_folder && !fs::is_directory(status)) {
    throw Error(ErrorKind::kRefused, fmt::format("export target {} exists and is not a folder", target.string()));
  }
  if (!want_folder && !fs::is_regular_file(status)) {
    throw Error(ErrorKind::kRefused, fmt::format("export target {} exists and is not a file", target.string()));
  }
  const bool empty = want_folder && fs::is_empty(target, ec);
  if (!force && !empty) {
    throw Error(ErrorKind::kRefused,
                fmt::format("export target {} is not empty (use --force to replace it)", target.string()));
  }
  if (want_folder && !empty) {
    // The old folder is replaced, never written into; a link inside it still
    // says someone arranged it deliberately, so say no rather than guess.
    for (auto it = fs::recursive_directory_iterator(target, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_symlink(ec)) {
        throw Error(ErrorKind::kRefused, fmt::format("export target {} contains a symbolic link at {}; refusing to "
                                                     "replace it",
                                                     target.string(), it->path().string()));
      }
    }
  }
  return true;
}

// Puts `staged` at `target`, replacing what is there, then makes it durable.
void move_into_place(const fs::path& staged, const fs::path& target, bool target_exists) {
  auto& files = os::file_system();
  std::optional<fs::path> old;
  if (target_exists) {
    old = target.parent_path() / fmt::format(".{}.certvault-old-{}", target.filename().string(), random_suffix());
    files.rename(target, *old, "export: move " + os::display(target) + " aside");
  }
  try {
    files.rename(staged, target, "export: move " + os::display(staged) + " into place");
  } catch (const Error&) {
    try {
      if (old) files.rename(*old, target, "export: put " + os::display(target) + " back");
    } catch (const Error&) {
      // The first failure is the one to report; the old folder stays beside it.
    }
    throw;
  }
  os::sync_folder(target.parent_path(), "export");
  if (old) {
    try {
      os::remove_tree(*old, "remove it");
    } catch (const Error& e) {
      // The new export is complete and durable; what failed is the cleanup, and it needs a person.
      throw Error(e.kind(), fmt::format("export: {} is complete and in place, but the export it replaced, moved aside "
                                        "to {}, could not be removed ({}); delete that folder",
                                        os::display(target), os::display(*old), e.what()));
    }
    os::sync_folder(target.parent_path(), "export");
  }
}

// REPO/exports/<id>: the temporary name of one export in progress, so that a killed export's
// leftover can be found again (it lies beside the target, anywhere). The record is locked
// (try_lock_file) while its export runs; the system releases a killed process's lock, so a record
// whose lock can be taken belongs to an export that ended without cleaning up. Best effort: a
// repository the exporter cannot write to gets no record, and the export goes on.
class ExportRecord {
 public:
  ExportRecord(const fs::path& repository, const fs::path& staging) {
    if (repository.empty()) return;
    try {
      const fs::path folder = repository / kExportRecordFolder;
      os::create_folders(folder, "export: record the temporary name");
      path_ = folder / random_suffix();
      file_ = os::file_system().open(path_, os::OpenFor::kCreateNew, "export: record the temporary name");
      if (!file_->try_lock_file(os::LockKind::kExclusive)) throw Error(ErrorKind::kFailure, "record is locked");
      const std::u8string text = staging.u8string();
      file_->write_at(0, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
      file_->sync();
    } catch (const Error&) {
      forget();
    }
  }
  ~ExportRecord() { forget(); }
  ExportRecord(const ExportRecord&) = delete;
  ExportRecord& operator=(const ExportRecord&) = delete;

 private:
  void forget() {
    try {
      if (!path_.empty()) os::file_system().remove_file(path_, "export: remove its record", true);
      if (file_) file_->close();
    } catch (const Error&) {
      // A record left behind only names a temporary that no longer exists.
    }
    file_.reset();
    path_.clear();
  }
  fs::path path_;
  std::unique_ptr<os::OpenFile> file_;
};

class FolderDestination : public ExportDestination {
 public:
  FolderDestination(const fs::path& target, bool force, const fs::path& repository) : target_(absolute_target(target)) {
    check_placement(target_, repository);
    target_exists_ = check_target(target_, true, force);
    created_parents_ = os::create_folders(target_.parent_path(), "export");
    staging_ =
        target_.parent_path() / fmt::format(".{}.certvault-partial-{}", target_.filename().string(), random_suffix());
    record_.emplace(repository, staging_);
    os::create_folder(staging_, "export");
    folders_.insert(staging_);
  }
  ~FolderDestination() override {
    current_.reset();
    if (!finished_) {
      try {
        os::remove_tree(staging_, "export: remove the unfinished " + os::display(staging_));
      } catch (const Error&) {
        // Destructors never throw; the partial folder's name says what it is.
      }
    }
  }

  void begin_file(const std::string& path, uint64_t) override {
    const fs::path destination = safe_join(staging_, path);
    if (!folders_.contains(destination.parent_path())) {
      for (const auto& folder : os::create_folders(destination.parent_path(), "export")) folders_.insert(folder);
    }
    current_.emplace(destination);
    current_path_ = destination;
  }
  void write(std::span<const uint8_t> bytes) override { current_->write(bytes); }
  void end_file() override {
    current_->commit();
    current_.reset();
  }
  void finish() override {
    // Deepest folders first, so each folder's new entries are durable before its parent's.
    for (auto it = folders_.rbegin(); it != folders_.rend(); ++it) os::sync_folder(*it, "export");
    move_into_place(staging_, target_, target_exists_);
    // Folders made for the target are durable once their parents are.
    for (const auto& folder : created_parents_) os::sync_folder(folder.parent_path(), "export");
    finished_ = true;
  }
  std::string description() const override { return target_.string(); }

 private:
  std::optional<ExportRecord> record_;  // destroyed after the destructor removed the partial folder
  fs::path target_, staging_, current_path_;
  bool target_exists_ = false;
  bool finished_ = false;
  std::set<fs::path> folders_;
  std::vector<fs::path> created_parents_;
  std::optional<OutputFile> current_;
};

class TarDestination : public ExportDestination {
 public:
  TarDestination(std::function<void(std::span<const uint8_t>)> sink, int64_t mtime, std::string description)
      : tar_(std::move(sink), mtime), description_(std::move(description)) {}
  void begin_file(const std::string& path, uint64_t size) override {
    check_relative_path(path);
    // Folder entries first, as tar -c writes them, so -x recreates them with sane modes.
    for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      const std::string folder = path.substr(0, slash);
      if (folders_.insert(folder).second) tar_.add_directory(folder);
    }
    tar_.begin_file(path, size);
  }
  void write(std::span<const uint8_t> bytes) override { tar_.write(bytes); }
  void end_file() override { tar_.end_file(); }
  void finish() override { tar_.finish(); }
  std::string description() const override { return description_; }

 private:
  TarWriter tar_;
  std::string description_;
  std::set<std::string> folders_;
};

// A tar file on disk: streamed into a temporary name beside it, renamed on finish().
class TarFileDestination : public ExportDestination {
 public:
  TarFileDestination(const fs::path& target, bool force, int64_t mtime, const fs::path& repository)
      : target_(absolute_target(target)) {
    check_placement(target_, repository);
    target_exists_ = check_target(target_, false, force);
    staging_ =
        target_.parent_path() / fmt::format(".{}.certvault-partial-{}", target_.filename().string(), random_suffix());
    record_.emplace(repository, staging_);
    file_.emplace(staging_);
    tar_.emplace([this](std::span<const uint8_t> bytes) { file_->write(bytes); }, mtime, target_.string());
  }
  void begin_file(const std::string& path, uint64_t size) override { tar_->begin_file(path, size); }
  void write(std::span<const uint8_t> bytes) override { tar_->write(bytes); }
  void end_file() override { tar_->end_file(); }
  void finish() override {
    tar_->finish();
    file_->commit();
    file_.reset();
    move_into_place(staging_, target_, target_exists_);
  }
  std::string description() const override { return target_.string(); }

 private:
  fs::path target_, staging_;
  bool target_exists_ = false;
  std::optional<ExportRecord> record_;  // destroyed last: after the partial file is gone
  std::optional<OutputFile> file_;      // deletes the partial file unless committed
  std::optional<TarDestination> tar_;
};

}  // namespace

std::unique_ptr<ExportDestination> make_folder_destination(const fs::path& target, bool force,
                                                           const fs::path& repository) {
  return std::make_unique<FolderDestination>(target, force, repository);
}

std::unique_ptr<ExportDestination> make_tar_stream(std::function<void(std::span<const uint8_t>)> sink,
                                                   int64_t mtime_unix) {
  return std::make_unique<TarDestination>(std::move(sink), mtime_unix, "tar stream");
}

std::unique_ptr<ExportDestination> make_tar_destination(const std::string& tar_path, bool force, int64_t mtime_unix,
                                                        const fs::path& repository) {
  if (tar_path == "-") {
    return std::make_unique<TarDestination>([](std::span<const uint8_t> bytes) { write_standard_output(bytes); },
                                            mtime_unix, "standard output");
  }
  return std::make_unique<TarFileDestination>(os::path_from_utf8(tar_path), force, mtime_unix, repository);
}

std::vector<fs::path> remove_abandoned_exports(const fs::path& repository) {
  std::vector<fs::path> removed;
  const fs::path folder = repository / kExportRecordFolder;
  auto& files = os::file_system();
  const auto status = files.status(folder, false);
  if (!status || status->type != os::EntryType::kFolder) return removed;
  for (const auto& entry : files.list_folder(folder, "remove abandoned exports")) {
    if (entry.type != os::EntryType::kFile) continue;
    const fs::path record_path = folder / entry.name;
    std::string reason;
    auto record = files.try_open(record_path, os::OpenFor::kReadNoFollow, "remove abandoned exports", reason);
    if (!record || record->identity().type != os::EntryType::kFile) continue;
    if (!record->try_lock_file(os::LockKind::kExclusive)) continue;  // its export still runs
    std::string text(4096, '\0');
    text.resize(record->read_at(0, std::span(reinterpret_cast<uint8_t*>(text.data()), text.size())));
    const fs::path staging = fs::path(std::u8string(text.begin(), text.end()));
    // Only what an export names as its temporary is ever removed.
    if (staging.is_absolute() && staging.filename().string().find(".certvault-partial-") != std::string::npos) {
      if (const auto what = files.status(staging, false)) {
        if (what->type == os::EntryType::kFolder) {
          os::remove_tree(staging, "remove the temporary folder of an export that did not finish");
        } else {
          files.remove_file(staging, "remove the temporary file of an export that did not finish", true);
        }
        removed.push_back(staging);
      }
    }
    record->close();
    files.remove_file(record_path, "remove the record of an export that did not finish", true);
  }
  return removed;
}

}  // namespace certvault
