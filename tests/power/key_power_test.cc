// Crash matrix of `certvault key passwd` (issue 17, item 2): a new key slot is committed, then the
// slot that opened the repository is removed. Losing every slot loses the repository, so the power
// is cut at each sync point and just after each: afterwards the old or the new passphrase must
// open it, and what opens it must export every snapshot byte for byte.
#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "certvault/operations/folder_backup.h"
#include "certvault/repository/keys.h"
#include "power_matrix.h"

using namespace certvault;
using namespace power_test;
using certvault_test::random_bytes;

namespace {

const std::string kOldPassphrase = "certvault test passphrase";
const std::string kNewPassphrase = "a new passphrase for the key slot";

fs::path repo(const fs::path& work) { return work / "repo"; }

Credentials passphrase(const std::string& text) {
  Credentials credentials;
  credentials.passphrase = text;
  credentials.passphrase_origin = "the test";
  return credentials;
}

// The repository opened with `text`, or nothing when no key slot takes it.
std::unique_ptr<Repository> open_with(const fs::path& work, const std::string& text) {
  try {
    return Repository::open(
        repo(work), LockMode::kShared, [](const std::string&) {}, passphrase(text));
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(e.kind() == ErrorKind::kKeyRejected);  // refused for the passphrase, never for damage
    return nullptr;
  }
}

Files exported_with(Repository& repository, const std::string& id, const fs::path& scratch) {
  const fs::path root = scratch / "export";
  fs::remove_all(root);
  fs::create_directories(root);
  {
    PowerLossFileSystem files(root);  // free fsyncs: the export is not what is tested here
    os::ScopedFileSystem scope(files);
    export_snapshot(repository, id, {root / "out", false});
  }
  auto contents = certvault_test::folder_contents(root / "out");
  fs::remove_all(root);
  return contents;
}

}  // namespace

TEST_CASE("power: key passwd, cut at each sync point and just after: the old or the new passphrase opens") {
  certvault_test::TempFolder temp("power-keys");
  const fs::path pristine = temp.path() / "pristine";
  {
    InitOptions options;
    options.encryption = passphrase(kOldPassphrase);
    Repository::init(repo(pristine), options);
  }
  const Files files = {{"ca.edb", random_bytes(200u << 10, 5)}};
  for (const auto& [name, bytes] : files) certvault_test::write_bytes(temp.path() / "source" / name, bytes);
  std::string snapshot;
  {
    auto repository = Repository::open(repo(pristine), LockMode::kExclusive, {}, passphrase(kOldPassphrase));
    snapshot = back_up_folder(*repository, {temp.path() / "source", {}, {}}).snapshot_id;
  }

  // The states the cuts left: each must occur, or the matrix tests less than it claims.
  int old_only = 0, both = 0, new_only = 0;
  const uint64_t points = cut_at_every_sync_point(
      temp.path(), [&](const fs::path& work) { fs::copy(pristine, work, fs::copy_options::recursive); },
      [&](const fs::path& work) {
        // What `certvault key passwd` does (cli/key_command.cc).
        auto repository = Repository::open(repo(work), LockMode::kExclusive, {}, passphrase(kOldPassphrase));
        const auto old_slot = repository->opened_key_slot();
        add_key_slot(*repository, passphrase(kNewPassphrase), default_kdf_params());
        remove_key_slot(*repository, old_slot);
      },
      [&](const fs::path& work, const Cut& cut) {
        INFO(cut.describe());
        const auto with_old = open_with(work, kOldPassphrase);
        const auto with_new = open_with(work, kNewPassphrase);
        REQUIRE((with_old || with_new));
        if (cut.returned) CHECK((!with_old && with_new));
        old_only += with_old && !with_new;
        both += with_old && with_new;
        new_only += !with_old && with_new;
        for (Repository* opened : {with_old.get(), with_new.get()}) {
          if (opened) CHECK(exported_with(*opened, snapshot, work.parent_path()) == files);
        }
      });
  CHECK(points >= 3);
  CHECK(old_only > 0);
  CHECK(both > 0);
  CHECK(new_only > 0);
}
