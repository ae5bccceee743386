// Which kind of Error a broken call order gives: kInternal (a bug, exit 7), never kUsage (exit 2,
// which means the user's bad command line only).
#include <catch2/catch.hpp>
#include <functional>
#include <optional>
#include <string>

#include "certvault/base/error.h"
#include "repository_fixture.h"

using namespace certvault;
using namespace certvault_test;

namespace {

std::optional<ErrorKind> kind_thrown_by(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& error) {
    return error.kind();
  }
  return std::nullopt;
}

FileHeader file_header(const std::string& path) {
  FileHeader header;
  header.path = path;
  header.role = "file";
  return header;
}

SnapshotHeader folder_header() {
  SnapshotHeader header;
  header.kind = "folder";
  header.source = "/tmp/source";
  return header;
}

}  // namespace

TEST_CASE("the snapshot writer reports calls out of order as internal errors") {
  RepositoryFixture fixture;
  auto repository = fixture.open();
  auto writer = repository->begin_snapshot(folder_header());
  const std::vector<uint8_t> bytes(100, 7);
  CHECK(kind_thrown_by([&] { writer->write(bytes); }) == ErrorKind::kInternal);
  CHECK(kind_thrown_by([&] { writer->end_file(); }) == ErrorKind::kInternal);
  writer->begin_file(file_header("a.bin"));
  CHECK(kind_thrown_by([&] { writer->begin_file(file_header("b.bin")); }) == ErrorKind::kInternal);
  CHECK(kind_thrown_by([&] { writer->commit(); }) == ErrorKind::kInternal);  // a.bin is still open
  writer->write(bytes);
  writer->end_file();
  writer->commit();
  CHECK(kind_thrown_by([&] { writer->commit(); }) == ErrorKind::kInternal);
}

TEST_CASE("a snapshot begun without the exclusive lock is an internal error") {
  RepositoryFixture fixture;
  auto shared = fixture.open(LockMode::kShared);
  CHECK(kind_thrown_by([&] { shared->begin_snapshot(folder_header()); }) == ErrorKind::kInternal);
}

TEST_CASE("a user's bad value is a usage error") {
  RepositoryFixture fixture;
  auto repository = fixture.open(LockMode::kShared);
  CHECK(kind_thrown_by([&] { repository->resolve("not-hex"); }) == ErrorKind::kUsage);
  CHECK(kind_thrown_by([&] { repository->resolve("abcdef"); }) == ErrorKind::kUsage);
}
