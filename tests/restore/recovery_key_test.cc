// The CA's private key and published templates in the recovery set (issue 20, item 1's last
// bullet; item 2): backup --with-key stores Config/<CA>.p12 only into an encrypted repository,
// records a key that cannot be exported, and an enterprise CA's templates go to
// Config/templates.txt. Through the real binary against the simulated CA; the PKCS#12 is opened
// with OpenSSL, as an administrator's tools would open it.
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "json_output.h"
#include "test_support.h"

using namespace certvault_test;

namespace {

CommandResult cli(const std::string& arguments) { return certvault_test::certvault(arguments); }

// The simulated CA's key files (its machine store model holds one certificate).
std::filesystem::path store_file(const std::filesystem::path& ca, const std::string& suffix) {
  for (const auto& entry : std::filesystem::directory_iterator(ca / ".casim" / "store")) {
    const std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        name.find('.') == 40) {
      return entry.path();
    }
  }
  FAIL("no *" << suffix << " in the simulated CA's store");
  return {};
}

// The keys of a PKCS#12 opened with `passphrase`, each as PKCS#8 DER; empty when it does not open.
std::vector<std::vector<uint8_t>> keys_in(const std::vector<uint8_t>& p12_bytes, const std::string& passphrase) {
  const unsigned char* at = p12_bytes.data();
  PKCS12* p12 = d2i_PKCS12(nullptr, &at, static_cast<long>(p12_bytes.size()));
  REQUIRE(p12 != nullptr);
  std::vector<std::vector<uint8_t>> keys;
  if (PKCS12_verify_mac(p12, passphrase.c_str(), -1) == 1) {
    EVP_PKEY* key = nullptr;
    X509* certificate = nullptr;
    if (PKCS12_parse(p12, passphrase.c_str(), &key, &certificate, nullptr) == 1 && key != nullptr) {
      PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(key);
      REQUIRE(info != nullptr);
      unsigned char* der = nullptr;
      const int length = i2d_PKCS8_PRIV_KEY_INFO(info, &der);
      REQUIRE(length > 0);
      keys.emplace_back(der, der + length);
      OPENSSL_free(der);
      PKCS8_PRIV_KEY_INFO_free(info);
    }
    EVP_PKEY_free(key);
    X509_free(certificate);
  }
  PKCS12_free(p12);
  return keys;
}

struct Setup {
  TempFolder temp{"recovery-key"};
  std::filesystem::path ca = temp / "ca";
  std::string repo = "--repo " + quoted((temp / "repo").string()) + " ";
  std::string server;
  std::string key_file;
  Setup() {
    server = " --server " + quoted(ca.string()) + " --library " + quoted(sim_library().string());
    casim("init " + quoted(ca.string()) + " --ca-name 'Contoso Root CA' --db-size 2MiB");
    write_bytes(temp / "p12-passphrase", {'p', '1', '2', ' ', 'p', 'a', 's', 's', '\n'});
    key_file = " --with-key --key-password-file " + quoted((temp / "p12-passphrase").string());
  }
};

}  // namespace

TEST_CASE("backup --with-key into an encrypted repository stores Config/<CA>.p12, export writes it, it opens") {
  Setup s;
  REQUIRE(cli("init " + s.repo).exit_code == 0);  // encrypted: the tests' CERTVAULT_PASSWORD
  const auto full = json_document(cli("backup " + s.repo + s.server + " --type full --json" + s.key_file), "{");
  CHECK(full.at("recovery_set").back() == "Config/Contoso Root CA.p12");
  CHECK(full.at("key") ==
        nlohmann::json(
            {{"stored", true}, {"path", "Config/Contoso Root CA.p12"}, {"not_exportable", false}, {"reason", ""}}));
  CHECK(full.at("recovery_set_notes").empty());

  const auto target = s.temp / "export";
  REQUIRE(cli("export latest " + s.repo + "--to " + quoted(target.string())).exit_code == 0);
  const auto p12 = read_bytes(target / "Config" / "Contoso Root CA.p12");
  // It opens with its own passphrase, not the repository's, and holds exactly the CA's key.
  const auto keys = keys_in(p12, "p12 pass");
  REQUIRE(keys.size() == 1);
  CHECK(keys.at(0) == read_bytes(store_file(s.ca, ".key")));
  CHECK(keys_in(p12, "certvault test passphrase").empty());
  const auto manifest = read_bytes(target / "MANIFEST");
  CHECK_THAT(std::string(manifest.begin(), manifest.end()), Catch::Contains("Config/Contoso Root CA.p12"));

  SECTION("an incremental stores no key; its export carries the full's") {
    casim("issue " + quoted(s.ca.string()) + " --count 5");
    const auto incremental = json_document(cli("backup " + s.repo + s.server + " --json" + s.key_file), "{");
    CHECK(incremental.at("type") == "incremental");
    CHECK(incremental.at("key").is_null());
    const auto later = s.temp / "export2";
    REQUIRE(cli("export latest " + s.repo + "--to " + quoted(later.string())).exit_code == 0);
    CHECK(keys_in(read_bytes(later / "Config" / "Contoso Root CA.p12"), "p12 pass") == keys);
  }
  SECTION("without --with-key no key is stored") {
    const auto plain = json_document(cli("backup " + s.repo + s.server + " --type full --json"), "{");
    CHECK(plain.at("key").is_null());
    for (const auto& path : plain.at("recovery_set")) CHECK_THAT(path.get<std::string>(), !Catch::EndsWith(".p12"));
  }
}

TEST_CASE("backup --with-key into a plaintext repository is refused with exit 6 before anything is backed up") {
  Setup s;
  REQUIRE(cli("init " + s.repo + "--insecure-no-encryption").exit_code == 0);
  const auto refused = cli("backup " + s.repo + s.server + " --type full" + s.key_file);
  INFO(refused.output);
  CHECK(refused.exit_code == 6);
  CHECK_THAT(refused.output, Catch::Contains("refusing --with-key"));
  CHECK_THAT(refused.output, Catch::Contains("not encrypted"));
  CHECK_THAT(refused.output, Catch::Contains("nothing was backed up"));
  const auto listed = json_document(cli("snapshots " + s.repo + "--json"), "[");
  CHECK(listed.empty());
  // The CA was not even asked: no backup session in its call log, its logs untouched.
  const auto calls = run(quoted(casim_binary().string()) + " calls " + quoted(s.ca.string()));
  CHECK_THAT(calls.output, !Catch::Contains("CertSrvBackupPrepare"));
}

TEST_CASE("backup --with-key without --key-password-file, or with an unusable one, is a usage error") {
  Setup s;
  REQUIRE(cli("init " + s.repo).exit_code == 0);
  const auto missing = cli("backup " + s.repo + s.server + " --type full --with-key");
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.output, Catch::Contains("--with-key needs --key-password-file FILE"));
  const auto absent = cli("backup " + s.repo + s.server + " --type full --with-key --key-password-file " +
                          quoted((s.temp / "no-such-file").string()));
  CHECK(absent.exit_code == 2);
  CHECK_THAT(absent.output, Catch::Contains("no-such-file"));
  const auto alone = cli("backup " + s.repo + s.server + " --type full --key-password-file " +
                         quoted((s.temp / "p12-passphrase").string()));
  CHECK(alone.exit_code == 2);
  CHECK_THAT(alone.output, Catch::Contains("--with-key"));
  const auto no_config = cli("backup " + s.repo + s.server + " --type full --no-config" + s.key_file);
  CHECK(no_config.exit_code == 2);
  CHECK_THAT(no_config.output, Catch::Contains("--no-config"));
  CHECK(json_document(cli("snapshots " + s.repo + "--json"), "[").empty());
}

TEST_CASE(
    "a key that cannot be exported is recorded, and backup, show and status say to use the HSM vendor procedure") {
  Setup s;
  REQUIRE(cli("init " + s.repo).exit_code == 0);
  casim("key " + quoted(s.ca.string()) + " --non-exportable --provider 'Contoso HSM KSP'");
  const auto result = cli("backup " + s.repo + s.server + " --type full --json" + s.key_file);
  const auto full = json_document(result, "{");  // exit 0: the database backup is whole
  CHECK(full.at("key").at("stored") == false);
  CHECK(full.at("key").at("not_exportable") == true);
  const std::string reason = full.at("key").at("reason");
  CHECK_THAT(reason, Catch::Contains("Contoso HSM KSP"));
  CHECK_THAT(reason, Catch::Contains("HSM vendor's procedure"));
  for (const auto& path : full.at("recovery_set")) CHECK_THAT(path.get<std::string>(), !Catch::EndsWith(".p12"));

  const auto text = cli("backup " + s.repo + s.server + " --type full" + s.key_file);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.output, Catch::Contains("CA private key: not in this snapshot (not exportable: back it up with the "
                                          "HSM vendor's procedure)"));

  const auto show = cli("show latest " + s.repo);
  CHECK(show.exit_code == 0);
  CHECK_THAT(show.output, Catch::Contains("Config/Contoso Root CA.p12: the CA's private key cannot be exported"));
  CHECK_THAT(show.output, Catch::Contains("HSM vendor's procedure"));
  const auto show_json = json_document(cli("show latest " + s.repo + "--json"), "{");
  CHECK(show_json.at("missing_files").at(0).at("path") == "Config/Contoso Root CA.p12");

  const auto status = cli("status " + s.repo);
  CHECK(status.exit_code == 0);  // a fact of the CA, not a fault of the backup: the verdict stays OK
  CHECK_THAT(status.output, Catch::Contains("CA private key:"));
  CHECK_THAT(status.output, Catch::Contains("HSM vendor's procedure"));
  const auto status_json = json_document(cli("status " + s.repo + "--json"), "{");
  CHECK_THAT(status_json.at("series").at(0).at("ca_key").get<std::string>(), Catch::Contains("HSM vendor's procedure"));

  // The export carries what was stored, and the snapshot still checks.
  const auto target = s.temp / "export";
  REQUIRE(cli("export latest " + s.repo + "--to " + quoted(target.string())).exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(target / "Config" / "Contoso Root CA.p12"));
  CHECK(cli("check " + s.repo).exit_code == 0);

  SECTION("the next full with an exportable key clears the status line") {
    casim("key " + quoted(s.ca.string()) + " --exportable");
    REQUIRE(cli("backup " + s.repo + s.server + " --type full" + s.key_file).exit_code == 0);
    const auto after = json_document(cli("status " + s.repo + "--json"), "{");
    CHECK(after.at("series").at(0).at("ca_key").is_null());
  }
}

TEST_CASE("an enterprise CA's published templates round-trip as Config/templates.txt") {
  Setup s;
  REQUIRE(cli("init " + s.repo).exit_code == 0);
  SECTION("a standalone CA has none, and no note says so") {
    const auto full = json_document(cli("backup " + s.repo + s.server + " --type full --json"), "{");
    for (const auto& path : full.at("recovery_set")) CHECK(path != "Config/templates.txt");
    CHECK(full.at("recovery_set_notes").empty());
  }
  SECTION("an enterprise CA's list is stored, exported and listed in MANIFEST") {
    casim("templates " + quoted(s.ca.string()) + " WebServer SubCA 'Contoso User'");
    const auto full = json_document(cli("backup " + s.repo + s.server + " --type full --json"), "{");
    CHECK(full.at("recovery_set").back() == "Config/templates.txt");
    const auto target = s.temp / "export";
    REQUIRE(cli("export latest " + s.repo + "--to " + quoted(target.string())).exit_code == 0);
    const auto bytes = read_bytes(target / "Config" / "templates.txt");
    CHECK(std::string(bytes.begin(), bytes.end()) == "WebServer\r\nSubCA\r\nContoso User\r\n");
    const auto manifest = read_bytes(target / "MANIFEST");
    CHECK_THAT(std::string(manifest.begin(), manifest.end()), Catch::Contains("Config/templates.txt"));
    // The configuration key says enterprise root (CAType 0), as the real key does.
    const auto reg = read_bytes(target / "Config" / "CA.reg");
    std::string ascii;
    for (size_t i = 2; i < reg.size(); i += 2) ascii.push_back(static_cast<char>(reg[i]));
    CHECK_THAT(ascii, Catch::Contains("\"CAType\"=dword:00000000"));
  }
}
