// The binding against a scripted stub: output the simulated CA never produces.
#include <dlfcn.h>

#include <catch2/catch.hpp>
#include <type_traits>

#include "certvault/certadm/certadm.h"

using namespace certvault;
using namespace certvault::certadm;

namespace {

// The stub's control functions, resolved from the same loaded copy the binding uses.
struct StubControl {
  void* handle = dlopen(CERTADM_TEST_STUB, RTLD_NOW | RTLD_NOLOAD);
  ~StubControl() {
    if (handle != nullptr) dlclose(handle);
  }
  template <typename F>
  F get(const char* name) const {
    REQUIRE(handle != nullptr);
    void* symbol = dlsym(handle, name);
    REQUIRE(symbol != nullptr);
    return reinterpret_cast<F>(symbol);
  }
  void set_list(std::vector<uint8_t> bytes) const {
    get<void (*)(const uint8_t*, uint32_t)>("certadm_stub_set_list")(bytes.data(), static_cast<uint32_t>(bytes.size()));
  }
  int outstanding_buffers() const { return get<int (*)()>("certadm_stub_outstanding_buffers")(); }
  std::string calls() const { return get<const char* (*)()>("certadm_stub_calls")(); }
  void zero_reads(bool enabled) const { get<void (*)(int)>("certadm_stub_set_zero_reads")(enabled ? 1 : 0); }
};

// BackupContext::truncate_logs needs proof of a committed snapshot; nothing else truncates.
static_assert(!std::is_invocable_v<decltype(&BackupContext::truncate_logs), BackupContext&>);
static_assert(std::is_invocable_v<decltype(&BackupContext::truncate_logs), BackupContext&, const CommittedSnapshot&>);
static_assert(!std::is_default_constructible_v<CommittedSnapshot>);
static_assert(!std::is_constructible_v<CommittedSnapshot, std::string>);
static_assert(!std::is_copy_constructible_v<BackupContext> && std::is_nothrow_move_constructible_v<BackupContext>);
static_assert(!std::is_copy_constructible_v<RestoreContext> && std::is_nothrow_move_constructible_v<RestoreContext>);

}  // namespace

TEST_CASE("a malformed list from the API is an error naming the function, and its buffer is freed") {
  auto library = Library::load(CERTADM_TEST_STUB);
  StubControl stub;
  Server server(library, "C:\\CA");
  auto backup = server.prepare_backup(CSBACKUP_TYPE_FULL);
  stub.set_list({'a', 0, 'b', 0, 0});  // odd byte count
  try {
    backup.database_names();
    FAIL("a malformed list was accepted");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::kApi);
    CHECK_THAT(error.what(), Catch::Contains("CertSrvBackupGetDatabaseNamesW()") &&
                                 Catch::Contains("odd byte count 5") && Catch::Contains("\"C:\\CA\""));
  }
  stub.set_list({0x44, 0, 'x', 0});  // no terminator at all
  CHECK_THROWS_WITH(backup.backup_logs(),
                    Catch::Contains("CertSrvBackupGetBackupLogsW") && Catch::Contains("no terminating NUL"));
  CHECK(stub.outstanding_buffers() == 0);
}

TEST_CASE("list buffers are freed when the last NameList copy goes") {
  auto library = Library::load(CERTADM_TEST_STUB);
  StubControl stub;
  Server server(library, "C:\\CA");
  auto backup = server.prepare_backup(CSBACKUP_TYPE_FULL);
  stub.set_list({'a', 0, 0, 0, 0, 0});
  std::optional<NameList> copy;
  {
    NameList list = backup.dynamic_files();
    REQUIRE(list.entries.size() == 1);
    CHECK(list.entries[0].path_utf8 == "a");
    CHECK(stub.outstanding_buffers() == 1);
    copy = list;
  }
  CHECK(stub.outstanding_buffers() == 1);
  copy.reset();
  CHECK(stub.outstanding_buffers() == 0);
  // ServerControl output is copied and freed at once.
  CHECK(server.control(CSCONTROL_RESTART) == std::vector<uint8_t>{1, 2, 3});
  CHECK(stub.outstanding_buffers() == 0);
}

TEST_CASE("a read that keeps returning no bytes before the end fails instead of looping") {
  auto library = Library::load(CERTADM_TEST_STUB);
  StubControl stub;
  Server server(library, "C:\\CA");
  auto backup = server.prepare_backup(CSBACKUP_TYPE_FULL);
  NameEntry entry{0x44, "C:\\CA\\ca.edb", u"C:\\CA\\ca.edb"};
  CHECK(backup.open_file(entry, 0) == 10);
  std::vector<uint8_t> buffer(4);
  CHECK(backup.read(buffer) == 4);
  stub.zero_reads(true);
  CHECK_THROWS_WITH(backup.read(buffer), Catch::Contains("CertSrvBackupRead(\"C:\\CA\\ca.edb\")") &&
                                             Catch::Contains("no bytes 4 times at offset 4 of 10"));
  stub.zero_reads(false);
  CHECK(backup.read(buffer) == 4);
  CHECK(backup.read(buffer) == 2);
  CHECK(backup.read(buffer) == 0);  // the end: no API call
  CHECK_THROWS_WITH(backup.read(std::span<uint8_t>()), Catch::Contains("an empty buffer"));
  backup.close_file();
  CHECK_THROWS_WITH(backup.read(buffer), Catch::Contains("no file is open"));
  try {
    backup.read(buffer);
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::kInternal);  // the caller's bug, not the user's bad input
  }
}

TEST_CASE("contexts end exactly once: explicitly, on destruction, never when moved from") {
  auto library = Library::load(CERTADM_TEST_STUB);
  StubControl stub;
  const auto ends = [&] {
    const std::string calls = stub.calls();
    size_t count = 0;
    for (size_t at = calls.find("BackupEnd;"); at != std::string::npos; at = calls.find("BackupEnd;", at + 1)) ++count;
    return count;
  };
  const size_t before = ends();
  Server server(library, "C:\\CA");
  {
    auto first = server.prepare_backup(CSBACKUP_TYPE_FULL);
    BackupContext second = std::move(first);
    CHECK(first.ended());
    CHECK_THROWS_WITH(first.database_names(), Catch::Contains("already ended (or moved from)"));
    CHECK_FALSE(second.ended());
  }
  CHECK(ends() == before + 1);
  {
    auto explicit_end = server.prepare_backup(CSBACKUP_TYPE_LOGS_ONLY);
    explicit_end.end();
    CHECK(explicit_end.ended());
    CHECK_THROWS_WITH(explicit_end.end(), Catch::Contains("CertSrvBackupEnd") && Catch::Contains("already ended"));
  }
  CHECK(ends() == before + 2);
  {
    auto restore = server.prepare_restore(CSRESTORE_TYPE_FULL);
    RestoreContext moved = std::move(restore);
  }
  CHECK_THAT(stub.calls(), Catch::EndsWith("RestorePrepare;RestoreEnd;"));
}
