// Through the fault proxy (500s, 503 SlowDown, resets before and after the gateway did the work,
// truncated answers): every put, read, list, size and exists either succeeds with the right bytes
// or fails with a certvault::Error, and never returns wrong bytes or reports a commit that did
// not happen.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>

#include "certvault/base/error.h"
#include "certvault/repository/object_store.h"
#include "certvault/s3/client.h"
#include "fault_proxy.h"
#include "gateway.h"

using namespace certvault;
using namespace certvault_s3_test;

namespace {

std::vector<uint8_t> random_bytes(size_t size, uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::vector<uint8_t> bytes(size);
  for (auto& byte : bytes) byte = static_cast<uint8_t>(generator());
  return bytes;
}

uint64_t seed_for_run() {
  const auto text = environment("CERTVAULT_FAULT_SEED");
  return text.empty() ? std::random_device{}() : std::stoull(text);
}

}  // namespace

TEST_CASE("s3 faults: puts, reads and lists through a faulty proxy succeed exactly or fail cleanly") {
  const auto direct_location = gateway_location(fresh_prefix("faults"));
  const uint64_t seed = seed_for_run();
  INFO("fault seed " << seed << " (CERTVAULT_FAULT_SEED=" << seed << " repeats this run)");
  FaultProxy proxy(direct_location.host, direct_location.port, seed, 0.3);
  auto proxied_location = direct_location;
  proxied_location.port = proxy.port();
  auto options = gateway_options();
  options.max_attempts = 10;
  options.base_delay = std::chrono::milliseconds(5);
  options.max_delay = std::chrono::milliseconds(100);
  options.stall_timeout = std::chrono::seconds(10);
  auto proxied = open_s3_object_store(proxied_location, options);
  auto direct = open_s3_object_store(direct_location, gateway_options());
  s3::S3Client direct_client(direct_location, gateway_options());

  // Small objects (one PUT) and three multipart ones (11 MiB: three parts of 5 MiB at most).
  std::map<std::string, std::vector<uint8_t>> objects;
  std::mt19937_64 sizes(seed);
  for (int i = 0; i < 40; ++i) {
    const size_t size = i % 13 == 5 ? (11 << 20) : static_cast<size_t>(sizes() % 200000);
    objects[fmt::format("packs/{:02}/object-{:03}", i % 7, i)] = random_bytes(size, seed + static_cast<uint64_t>(i));
  }
  std::set<std::string> committed;
  size_t failed_commits = 0;
  for (const auto& [name, bytes] : objects) {
    try {
      proxied->put(name, bytes);
      committed.insert(name);
    } catch (const Error& error) {
      ++failed_commits;
      WARN("put " << name << " failed cleanly: " << error.what());
    }
  }
  INFO(proxy.summary());

  // What was committed is there, whole; what failed is absent or whole (a lost answer), never partial.
  for (const auto& [name, bytes] : objects) {
    INFO(name);
    if (committed.contains(name) || direct->exists(name)) CHECK(direct->read_all(name) == bytes);
    if (committed.contains(name)) CHECK(direct->exists(name));
  }

  // Reads, sizes and lists through the proxy: exact or an Error.
  size_t good_reads = 0, failed_reads = 0;
  std::mt19937_64 ranges(seed + 1);
  for (const auto& name : committed) {
    const auto& bytes = objects[name];
    for (int r = 0; r < 3; ++r) {
      const uint64_t offset = bytes.empty() ? 0 : ranges() % bytes.size();
      const uint64_t length = bytes.size() - offset == 0 ? 0 : 1 + ranges() % (bytes.size() - offset);
      try {
        const auto got = proxied->read(name, offset, length);
        REQUIRE(got == std::vector<uint8_t>(bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                                            bytes.begin() + static_cast<std::ptrdiff_t>(offset + length)));
        ++good_reads;
      } catch (const Error& error) {
        ++failed_reads;
        WARN("read " << name << " failed cleanly: " << error.what());
      }
    }
    try {
      CHECK(proxied->size(name) == bytes.size());
      CHECK(proxied->exists(name));
    } catch (const Error& error) {
      WARN("size of " << name << " failed cleanly: " << error.what());
    }
  }
  const auto present = direct->list("");
  for (int i = 0; i < 5; ++i) {
    try {
      CHECK(proxied->list("") == present);
    } catch (const Error& error) {
      WARN("list failed cleanly: " << error.what());
    }
  }
  for (const auto& name : committed) CHECK(std::find(present.begin(), present.end(), name) != present.end());

  // The faults really happened, every kind of them, and the retries absorbed them.
  for (size_t kind = 0; kind < kFaultKinds; ++kind) CHECK(proxy.injected(static_cast<Fault>(kind)) > 0);
  CHECK(failed_commits <= 1);
  CHECK(good_reads >= failed_reads * 10);

  // Uploads orphaned by a reset after the gateway started them are what remove_temporaries() is for.
  direct->remove_temporaries();
  CHECK(direct_client.list_multipart_uploads(direct_location.prefix + "/").empty());
  for (const auto& name : present) direct->remove(name);
}
