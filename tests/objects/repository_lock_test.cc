#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "certvault/base/error.h"
#include "certvault/repository/lock.h"
#include "temp_folder.h"

using namespace certvault;
using certvault::testing::TempFolder;

namespace {
// A child process that takes the lock, tells the parent, and holds it until
// told to go (or, with `die_holding`, exits at once without releasing).
class LockHolder {
 public:
  LockHolder(const std::filesystem::path& repository, LockMode mode, bool die_holding = false) {
    int ready[2], release[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(release) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(release[1]);
      char status = 'k';
      try {
        auto lock = RepositoryLock::acquire(repository, mode);
        (void)!::write(ready[1], &status, 1);
        if (die_holding) ::_exit(0);  // no destructor: the record stays, the kernel frees the flock
        char go;
        (void)!::read(release[0], &go, 1);
      } catch (...) {
        status = 'e';
        (void)!::write(ready[1], &status, 1);
        ::_exit(1);
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(release[0]);
    release_fd_ = release[1];
    char status = 0;
    REQUIRE(::read(ready[0], &status, 1) == 1);
    ::close(ready[0]);
    REQUIRE(status == 'k');
    if (die_holding) wait();
  }
  ~LockHolder() { wait(); }
  pid_t pid() const { return pid_; }

  void wait() {
    if (release_fd_ >= 0) {
      ::close(release_fd_);  // EOF on the child's read: release
      release_fd_ = -1;
    }
    if (!waited_) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      waited_ = true;
    }
  }

 private:
  pid_t pid_ = -1;
  int release_fd_ = -1;
  bool waited_ = false;
};

std::string locked_message(const std::filesystem::path& repository, LockMode mode) {
  try {
    (void)RepositoryLock::acquire(repository, mode);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kLocked);
    return e.what();
  }
  FAIL("the lock was granted");
  return {};
}
}  // namespace

TEST_CASE("repository lock: an exclusive holder in another process blocks exclusive and shared") {
  TempFolder repository;
  LockHolder holder(repository.path(), LockMode::kExclusive);
  const std::string pid = "pid " + std::to_string(holder.pid());
  CHECK_THAT(locked_message(repository.path(), LockMode::kExclusive),
             Catch::Contains(pid) && Catch::Contains("(exclusive)") && Catch::Contains(repository.path().string()) &&
                 Catch::Contains("UTC"));
  CHECK_THAT(locked_message(repository.path(), LockMode::kShared), Catch::Contains(pid));

  const auto record = RepositoryLock::read_record(repository.path());
  REQUIRE(record);
  CHECK(record->pid == holder.pid());
  CHECK(record->mode == "exclusive");
  CHECK(record->started_unix > 0);

  holder.wait();
  CHECK_FALSE(RepositoryLock::read_record(repository.path()));  // released cleanly: record cleared
  auto lock = RepositoryLock::acquire(repository.path(), LockMode::kExclusive);
  CHECK(lock->mode() == LockMode::kExclusive);
  REQUIRE(RepositoryLock::read_record(repository.path()));
  CHECK(RepositoryLock::read_record(repository.path())->pid == ::getpid());
}

TEST_CASE("repository lock: a shared holder in another process blocks exclusive only") {
  TempFolder repository;
  LockHolder holder(repository.path(), LockMode::kShared);
  CHECK_THAT(locked_message(repository.path(), LockMode::kExclusive), Catch::Contains("(shared)"));
  auto reader = RepositoryLock::acquire(repository.path(), LockMode::kShared);
  CHECK(reader->mode() == LockMode::kShared);
  CHECK_FALSE(RepositoryLock::read_record(repository.path()));  // readers write no record
}

TEST_CASE("repository lock: two shared locks coexist and exclude a writer until both go") {
  TempFolder repository;
  auto first = RepositoryLock::acquire(repository.path(), LockMode::kShared);
  auto second = RepositoryLock::acquire(repository.path(), LockMode::kShared);
  CHECK_THAT(locked_message(repository.path(), LockMode::kExclusive), Catch::Contains("(shared)"));
  first.reset();
  CHECK_THAT(locked_message(repository.path(), LockMode::kExclusive), Catch::Contains("(shared)"));
  second.reset();
  CHECK_NOTHROW(RepositoryLock::acquire(repository.path(), LockMode::kExclusive));
}

TEST_CASE("repository lock: a stale record of a dead process is reported and taken over") {
  TempFolder repository;
  pid_t dead_pid;
  {
    LockHolder holder(repository.path(), LockMode::kExclusive, /*die_holding=*/true);
    dead_pid = holder.pid();
  }
  const auto left = RepositoryLock::read_record(repository.path());
  REQUIRE(left);
  CHECK(left->pid == dead_pid);

  for (LockMode mode : {LockMode::kShared, LockMode::kExclusive}) {
    // The shared taker clears the stale record, so recreate it for the exclusive one.
    if (!RepositoryLock::read_record(repository.path())) {
      std::ofstream(repository.path() / "lock")
          << "host=" << left->host << " pid=" << dead_pid << " started=" << left->started_unix << " mode=exclusive\n";
    }
    std::vector<std::string> reports;
    auto lock = RepositoryLock::acquire(repository.path(), mode, [&](const std::string& m) { reports.push_back(m); });
    REQUIRE(reports.size() == 1);
    CHECK_THAT(reports[0], Catch::Contains("pid=" + std::to_string(dead_pid)) && Catch::Contains("stale"));
    const auto now = RepositoryLock::read_record(repository.path());
    if (mode == LockMode::kExclusive) {
      REQUIRE(now);
      CHECK(now->pid == ::getpid());
    } else {
      CHECK_FALSE(now);
    }
  }
}

TEST_CASE("repository lock: a missing repository folder is an error, not a crash") {
  TempFolder folder;
  CHECK_THROWS_AS(RepositoryLock::acquire(folder.path() / "missing", LockMode::kShared), Error);
  CHECK_FALSE(RepositoryLock::read_record(folder.path() / "missing"));
}
