// The tar writer, read back by the system's tar.
#include "certvault/operations/tar_writer.h"

#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "test_support.h"

using namespace certvault;
using namespace certvault_test;

TEST_CASE("tar -x reads back long names, empty files and unaligned sizes") {
  TempFolder temp("tar");
  std::vector<uint8_t> archive;
  TarWriter tar([&](std::span<const uint8_t> bytes) { archive.insert(archive.end(), bytes.begin(), bytes.end()); },
                1700000000);
  const std::string long_name = "folder/" + std::string(150, 'n') + "/file-with-a-long-name.bin";
  const auto long_bytes = random_bytes(1000, 7);
  const auto big_bytes = random_bytes(512 * 3 + 1, 8);
  tar.add_directory("folder");
  tar.begin_file(long_name, long_bytes.size());
  tar.write(std::span(long_bytes).subspan(0, 10));
  tar.write(std::span(long_bytes).subspan(10));
  tar.end_file();
  tar.begin_file("empty", 0);
  tar.end_file();
  tar.begin_file("folder/aligned.bin", big_bytes.size());
  tar.write(big_bytes);
  tar.end_file();
  tar.finish();
  CHECK(archive.size() % 512 == 0);
  CHECK(tar.bytes_written() == archive.size());
  write_bytes(temp / "a.tar", archive);
  std::filesystem::create_directories(temp / "out");
  const auto result = run("tar -xf " + quoted((temp / "a.tar").string()) + " -C " + quoted((temp / "out").string()));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(read_bytes(temp / "out" / long_name) == long_bytes);
  CHECK(read_bytes(temp / "out" / "folder/aligned.bin") == big_bytes);
  CHECK(std::filesystem::file_size(temp / "out" / "empty") == 0);
  CHECK(std::filesystem::last_write_time(temp / "out" / "empty") ==
        std::filesystem::last_write_time(temp / "out" / "folder/aligned.bin"));
}

TEST_CASE("a tar entry must receive exactly the bytes it announced") {
  std::vector<uint8_t> archive;
  TarWriter tar([&](std::span<const uint8_t> bytes) { archive.insert(archive.end(), bytes.begin(), bytes.end()); }, 0);
  tar.begin_file("f", 4);
  const std::vector<uint8_t> five{1, 2, 3, 4, 5};
  CHECK_THROWS_AS(tar.write(five), Error);
  tar.write(std::span(five).subspan(0, 3));
  CHECK_THROWS_AS(tar.end_file(), Error);
}

TEST_CASE("sizes of 8 GiB and more get a pax size record") {
  std::vector<uint8_t> archive;
  TarWriter tar([&](std::span<const uint8_t> bytes) { archive.insert(archive.end(), bytes.begin(), bytes.end()); }, 0);
  const uint64_t size = (uint64_t{8} << 30) + 5;
  tar.begin_file("huge.edb", size);  // header only: the content is not written in a unit test
  const std::string text(archive.begin(), archive.end());
  CHECK(archive.size() == 3 * 512);  // pax header, its record block, the ustar header
  CHECK(text[156] == 'x');
  CHECK_THAT(text, Catch::Contains(" size=" + std::to_string(size) + "\n"));
  CHECK(text.substr(1024, 8) == "huge.edb");
}
