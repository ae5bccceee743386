// Issue 17: key slots through the real binary: wrong, missing and tampered keys, the last key,
// and key add / remove / passwd round trips.
#include <sodium.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "encryption_support.h"

namespace {

using certvault_test::quoted;
using namespace encryption_test;

class KeyedRepository {
 public:
  KeyedRepository() : temp_("keys") {
    certvault_test::write_bytes(temp_ / "data" / "a.bin", certvault_test::random_bytes(300000, 17));
    REQUIRE(certvault_test::certvault("init" + r()).exit_code == 0);
    REQUIRE(certvault_test::certvault("backup --folder " + quoted((temp_ / "data").string()) + r()).exit_code == 0);
  }
  std::filesystem::path repo() const { return temp_ / "repo"; }
  std::filesystem::path path(const std::string& leaf) const { return temp_ / leaf; }
  std::string r() const { return " --repo " + quoted(repo().string()) + " "; }
  std::vector<std::filesystem::path> slots() const {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::directory_iterator(repo() / "keys")) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  nlohmann::json key_list(const std::string& environment = "") const {
    const auto result = certvault_with(environment, "key list --json" + r());
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    return nlohmann::json::parse(result.output);
  }
  // Whether `environment` (and ARGS) open the repository and read its data back.
  int opens_with(const std::string& environment, const std::string& args = "") const {
    return certvault_with(environment, "check --read-data" + r() + args).exit_code;
  }

 private:
  certvault_test::TempFolder temp_;
};

}  // namespace

TEST_CASE("a wrong passphrase exits 9 naming the key slots tried") {
  KeyedRepository setup;
  const auto result = certvault_with("CERTVAULT_PASSWORD=wrong", "snapshots" + setup.r());
  INFO(result.output);
  CHECK(result.exit_code == 9);
  const auto slot = setup.slots().at(0).filename().string();
  CHECK_THAT(result.output, Catch::Contains("keys/" + slot) && Catch::Contains("CERTVAULT_PASSWORD"));
  // From a password file, which names itself in the message.
  certvault_test::write_bytes(setup.path("pw"), ascii("not it\n"));
  const auto from_file = certvault_with("CERTVAULT_PASSWORD=",
                                        "snapshots --password-file " + quoted(setup.path("pw").string()) + setup.r());
  CHECK(from_file.exit_code == 9);
  CHECK_THAT(from_file.output, Catch::Contains("--password-file"));
  certvault_test::write_bytes(setup.path("pw"), ascii(kPassphrase + "\n"));
  CHECK(setup.opens_with("CERTVAULT_PASSWORD= CERTVAULT_PASSWORD_FILE=" + quoted(setup.path("pw").string())) == 0);
}

TEST_CASE("no passphrase, no key slot, a damaged or a forged key slot are refused") {
  KeyedRepository setup;
  SECTION("no credential at all (no terminal to ask on)") {
    const auto result = certvault_with("CERTVAULT_PASSWORD=", "snapshots" + setup.r() + " < /dev/null");
    INFO(result.output);
    CHECK(result.exit_code == 9);
    CHECK_THAT(result.output, Catch::Contains("is encrypted and no passphrase or key file was given"));
  }
  SECTION("the key slots removed") {
    std::filesystem::remove_all(setup.repo() / "keys");
    const auto result = certvault_test::certvault("snapshots" + setup.r());
    INFO(result.output);
    CHECK(result.exit_code == 4);
    CHECK_THAT(result.output, Catch::Contains("no readable key slot"));
  }
  SECTION("every byte of the slot flipped in turn") {
    const auto slot = setup.slots().at(0);
    const auto original = certvault_test::read_bytes(slot);
    for (size_t at = 0; at < original.size(); at += 7) {
      flip_byte(slot, at);
      const auto result = certvault_test::certvault("snapshots" + setup.r());
      INFO("byte " << at << ": " << result.output);
      CHECK(result.exit_code == 4);
      CHECK_THAT(result.output, Catch::Contains("keys/" + slot.filename().string()) &&
                                    Catch::Contains("damaged or was tampered with"));
      certvault_test::write_bytes(slot, original);
    }
    CHECK(setup.opens_with("") == 0);
  }
  SECTION("a slot renamed, or copied from another repository, never opens") {
    const auto slot = setup.slots().at(0);
    std::filesystem::rename(slot, setup.repo() / "keys" / "0123456789abcdef");
    const auto renamed = certvault_test::certvault("snapshots" + setup.r());
    INFO(renamed.output);
    CHECK(renamed.exit_code == 9);
    CHECK_THAT(renamed.output, Catch::Contains("keys/0123456789abcdef"));
    std::filesystem::rename(setup.repo() / "keys" / "0123456789abcdef", slot);
    KeyedRepository other;  // the same passphrase
    const auto foreign = other.slots().at(0);
    std::filesystem::copy_file(foreign, setup.repo() / "keys" / foreign.filename());
    std::filesystem::remove(slot);
    const auto copied = certvault_test::certvault("snapshots" + setup.r());
    INFO(copied.output);
    CHECK(copied.exit_code == 9);
  }
}

TEST_CASE("a key slot rewritten to record an Argon2id cost beyond the bound is refused before Argon2id runs") {
  // docs/format.md §8.2: the checksum is unkeyed, so whoever can write keys/ can set any cost and
  // make it hold. Refused up front, such a slot cannot make a command allocate 4 GiB or run for
  // minutes (the bound was once 4 GiB of memory and 64 passes, which a slot could record).
  KeyedRepository setup;
  const auto slot = setup.slots().at(0);
  const auto original = certvault_test::read_bytes(slot);
  // Offsets and checksum of docs/format.md §8.2: u64 opslimit at 24, u64 memlimit at 32, BLAKE2b-128
  // of bytes 0..135 at 136.
  auto with_cost = [&original](uint64_t opslimit, uint64_t memlimit) {
    auto bytes = original;
    for (size_t i = 0; i < 8; ++i) {
      bytes[24 + i] = static_cast<uint8_t>(opslimit >> (8 * i));
      bytes[32 + i] = static_cast<uint8_t>(memlimit >> (8 * i));
    }
    REQUIRE(crypto_generichash(bytes.data() + 136, 16, bytes.data(), 136, nullptr, 0) == 0);
    return bytes;
  };
  const struct {
    uint64_t opslimit, memlimit;
  } refused[] = {{2, uint64_t{4} << 30}, {1, (uint64_t{1} << 30) + 1024}, {64, uint64_t{1} << 30}, {8, 768u << 20}};
  for (const auto& cost : refused) {
    certvault_test::write_bytes(slot, with_cost(cost.opslimit, cost.memlimit));
    const auto result = certvault_test::certvault("snapshots" + setup.r());
    INFO("opslimit " << cost.opslimit << ", memlimit " << cost.memlimit << ": " << result.output);
    CHECK(result.exit_code == 4);
    CHECK_THAT(result.output, Catch::Contains("Argon2id parameters this build refuses"));
  }
  certvault_test::write_bytes(slot, original);
  CHECK(setup.opens_with("") == 0);
}

TEST_CASE("key add, remove and passwd round trip through the binary, and the last key stays") {
  KeyedRepository setup;
  auto list = setup.key_list();
  REQUIRE(list.size() == 1);
  const std::string first = list[0]["id"];
  CHECK(list[0]["kind"] == "passphrase");
  CHECK(list[0]["current"] == true);

  // The last key can never be removed.
  const auto last = certvault_test::certvault("key remove " + first + setup.r());
  INFO(last.output);
  CHECK(last.exit_code == 6);
  CHECK_THAT(last.output, Catch::Contains("last key"));
  CHECK(setup.slots().size() == 1);

  // A second passphrase and a key file.
  REQUIRE(certvault_with("CERTVAULT_NEW_PASSWORD=second", "key add" + setup.r()).exit_code == 0);
  const auto key_file = setup.path("repo.key");
  const auto added = certvault_test::certvault("key add --new-key-file " + quoted(key_file.string()) + setup.r());
  INFO(added.output);
  REQUIRE(added.exit_code == 0);
  CHECK((std::filesystem::status(key_file).permissions() & std::filesystem::perms::group_all) ==
        std::filesystem::perms::none);
  CHECK(setup.key_list().size() == 3);
  CHECK(setup.opens_with("CERTVAULT_PASSWORD=second") == 0);
  CHECK(setup.opens_with("CERTVAULT_PASSWORD=", "--key-file " + quoted(key_file.string())) == 0);
  CHECK(setup.opens_with("CERTVAULT_PASSWORD= CERTVAULT_KEY_FILE=" + quoted(key_file.string())) == 0);
  // Another key file is rejected.
  certvault_test::write_bytes(setup.path("other.key"), ascii(std::string(64, 'a') + "\n"));
  CHECK(setup.opens_with("CERTVAULT_PASSWORD=", "--key-file " + quoted(setup.path("other.key").string())) == 9);

  // passwd replaces the slot that opened.
  const auto changed =
      certvault_with("CERTVAULT_PASSWORD=second CERTVAULT_NEW_PASSWORD=third", "key passwd" + setup.r());
  INFO(changed.output);
  REQUIRE(changed.exit_code == 0);
  CHECK(setup.opens_with("CERTVAULT_PASSWORD=second") == 9);
  CHECK(setup.opens_with("CERTVAULT_PASSWORD=third") == 0);
  CHECK(setup.opens_with("") == 0);  // the first passphrase's slot is untouched
  CHECK(setup.key_list().size() == 3);

  // Remove the first passphrase's slot by a prefix of its id; the others still open.
  const auto removed = certvault_test::certvault("key remove " + first.substr(0, 6) + setup.r());
  INFO(removed.output);
  CHECK(removed.exit_code == 0);
  CHECK(setup.opens_with("") == 9);
  CHECK(setup.opens_with("CERTVAULT_PASSWORD=third") == 0);
  CHECK(setup.key_list("CERTVAULT_PASSWORD=third").size() == 2);
}

TEST_CASE("init refuses to create a repository without a key unless told it may be plaintext") {
  certvault_test::TempFolder temp("keys-init");
  const std::string r = " --repo " + quoted((temp / "repo").string());
  const auto refused = certvault_with("CERTVAULT_PASSWORD=", "init" + r + " < /dev/null");
  INFO(refused.output);
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.output, Catch::Contains("--insecure-no-encryption"));
  CHECK(!std::filesystem::exists(temp / "repo" / "config"));
  // With a key file only: created with a random key.
  const auto key_file = temp / "new.key";
  const auto created = certvault_with("CERTVAULT_PASSWORD=", "init --key-file " + quoted(key_file.string()) + r);
  INFO(created.output);
  REQUIRE(created.exit_code == 0);
  CHECK(std::filesystem::file_size(key_file) == 65);
  CHECK(certvault_with("CERTVAULT_PASSWORD=", "snapshots --key-file " + quoted(key_file.string()) + r).exit_code == 0);
  CHECK(certvault_with("CERTVAULT_PASSWORD=", "snapshots" + r + " < /dev/null").exit_code == 9);
}

TEST_CASE("a DPAPI key file is refused clearly where there is no DPAPI, and nothing is created") {
  // The Windows side (sealed, opened, tampered) runs under wine: tests/windows/wine_integration.sh.
  certvault_test::TempFolder temp("keys-dpapi");
  const std::string r = " --repo " + quoted((temp / "repo").string());
  const auto key_file = temp / "task.key";
  const auto refused =
      certvault_with("CERTVAULT_PASSWORD=", "init --dpapi --key-file " + quoted(key_file.string()) + r);
  INFO(refused.output);
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.output, Catch::Contains("only on Windows"));
  CHECK(!std::filesystem::exists(key_file));
  CHECK(!std::filesystem::exists(temp / "repo" / "config"));
  const auto without_file = certvault_with("CERTVAULT_PASSWORD=", "init --dpapi" + r + " < /dev/null");
  CHECK(without_file.exit_code == 2);
  CHECK_THAT(without_file.output, Catch::Contains("--key-file"));
  // A key file sealed on Windows, brought here: named as such, not as "not a key file".
  KeyedRepository setup;
  certvault_test::write_bytes(setup.path("sealed.key"),
                              ascii("certvault DPAPI key file v1\n01000000d08c9ddf0115d1118c7a00c04fc297eb\n"));
  const auto foreign = certvault_with("CERTVAULT_PASSWORD=",
                                      "snapshots --key-file " + quoted(setup.path("sealed.key").string()) + setup.r());
  INFO(foreign.output);
  CHECK(foreign.exit_code == 2);
  CHECK_THAT(foreign.output, Catch::Contains("DPAPI") && Catch::Contains("sealed.key"));
  const auto add =
      certvault_with("", "key add --dpapi --new-key-file " + quoted(setup.path("new.key").string()) + setup.r());
  CHECK(add.exit_code == 2);
  CHECK(!std::filesystem::exists(setup.path("new.key")));
  CHECK(setup.slots().size() == 1);
}

TEST_CASE("forget, prune and repacking work on an encrypted repository and keep every export") {
  certvault_test::TempFolder temp("keys-prune");
  const std::string r = " --repo " + quoted((temp / "repo").string());
  const auto data = temp / "data";
  certvault_test::write_bytes(data / "kept.bin", certvault_test::random_bytes(400000, 3));
  certvault_test::write_bytes(data / "dropped.bin", certvault_test::random_bytes(400000, 4));
  REQUIRE(certvault_test::certvault("init" + r).exit_code == 0);
  REQUIRE(certvault_test::certvault("backup --folder " + quoted(data.string()) + r).exit_code == 0);
  std::filesystem::remove(data / "dropped.bin");
  REQUIRE(certvault_test::certvault("backup --folder " + quoted(data.string()) + r).exit_code == 0);
  const auto list = nlohmann::json::parse(certvault_test::certvault("snapshots --json" + r).output);
  REQUIRE(list.size() == 2);
  const std::string first = list[0]["id"];
  // The only pack holds both files: forgetting the first snapshot leaves it half used, and prune
  // --max-unused 0 repacks it through the sealing store.
  REQUIRE(certvault_test::certvault("forget " + first + r).exit_code == 0);
  const auto pruned = certvault_test::certvault("prune --max-unused 0" + r);
  INFO(pruned.output);
  REQUIRE(pruned.exit_code == 0);
  CHECK_THAT(pruned.output, Catch::Contains("repack 1 packs"));
  const auto checked = certvault_test::certvault("check --read-data" + r);
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
  REQUIRE(certvault_test::certvault("export latest --to " + quoted((temp / "out").string()) + r).exit_code == 0);
  CHECK(certvault_test::folder_contents(temp / "out") == certvault_test::folder_contents(data));
}

TEST_CASE("a damaged key slot is reported by check, listed, and removable, and the last intact key stays") {
  KeyedRepository setup;
  REQUIRE(certvault_with("CERTVAULT_NEW_PASSWORD=second", "key add" + setup.r()).exit_code == 0);
  auto list = setup.key_list();
  REQUIRE(list.size() == 2);
  std::string opened, other;
  for (const auto& slot : list) (slot["current"] == true ? opened : other) = slot["id"];
  REQUIRE_FALSE(other.empty());
  // Bit rot in the second passphrase's slot: found by check now, not on the day it is the one left.
  auto bytes = certvault_test::read_bytes(setup.repo() / "keys" / other);
  bytes[60] ^= 0x01;
  certvault_test::write_bytes(setup.repo() / "keys" / other, bytes);

  const auto checked = certvault_test::certvault("check" + setup.r());
  INFO(checked.output);
  CHECK(checked.exit_code == 4);
  CHECK_THAT(checked.output, Catch::Contains("key slot keys/" + other + " is damaged") &&
                                 Catch::Contains("certvault key remove " + other));
  list = setup.key_list();
  REQUIRE(list.size() == 2);
  for (const auto& slot : list) {
    if (slot["id"] == other) CHECK_THAT(slot["damaged"].get<std::string>(), Catch::Contains("checksum"));
  }
  // The intact slot is the last one that opens: it stays, though two slots exist.
  const auto refused = certvault_test::certvault("key remove " + opened + setup.r());
  INFO(refused.output);
  CHECK(refused.exit_code == 6);
  CHECK_THAT(refused.output, Catch::Contains("last key that is intact"));
  // The damaged one goes, and check is clean again.
  const auto removed = certvault_test::certvault("key remove " + other + setup.r());
  INFO(removed.output);
  CHECK(removed.exit_code == 0);
  CHECK(setup.slots().size() == 1);
  CHECK(setup.opens_with("") == 0);
}
