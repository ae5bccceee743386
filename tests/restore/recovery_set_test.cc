// The recovery set (issue 20, items 1 and 2 without the key): a full backup stores the CA
// configuration key as a .reg file, CAPolicy.inf and the CA certificates under Config/, and
// export writes them beside the certutil layout.
#include "certvault/operations/recovery_set.h"

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "certvault/certadm/strings.h"
#include "json_output.h"
#include "test_support.h"

using namespace certvault_test;

namespace {

CommandResult cli(const std::string& arguments) { return certvault_test::certvault(arguments); }

// UTF-16LE with a BOM, as reg export writes it, to UTF-8.
std::string reg_text(const std::vector<uint8_t>& bytes) {
  REQUIRE(bytes.size() >= 2);
  REQUIRE(bytes[0] == 0xFF);
  REQUIRE(bytes[1] == 0xFE);
  REQUIRE(bytes.size() % 2 == 0);
  std::u16string text;
  for (size_t i = 2; i < bytes.size(); i += 2) text.push_back(static_cast<char16_t>(bytes[i] | (bytes[i + 1] << 8)));
  return certvault::certadm::utf16_to_utf8(text);
}

// A small reader of what format_reg_file() writes: section -> value name -> (type, data).
// REG_SZ as "sz:text", dword as "dword:N", hex(7) as "multi:a|b|".
using RegValues = std::map<std::string, std::map<std::string, std::string>>;
RegValues parse_reg(const std::string& text) {
  RegValues sections;
  std::string section, line, logical;
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find("\r\n", start);
    REQUIRE(end != std::string::npos);  // every line ends with CRLF
    lines.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    // reg export wraps hex values at 80 columns (strings stay on one line).
    if (lines[i].find("=hex") != std::string::npos) CHECK(lines[i].size() <= 80);
    logical = lines[i];
    while (!logical.empty() && logical.back() == '\\' && logical.find("=hex") != std::string::npos) {
      logical.pop_back();
      REQUIRE(i + 1 < lines.size());
      REQUIRE(lines[i + 1].rfind("  ", 0) == 0);
      CHECK(lines[i + 1].size() <= 80);
      logical += lines[++i].substr(2);
    }
    if (logical.empty() || logical.rfind("Windows Registry", 0) == 0) continue;
    if (logical.front() == '[') {
      section = logical.substr(1, logical.size() - 2);
      continue;
    }
    const size_t equals = logical.find("\"=");
    REQUIRE(equals != std::string::npos);
    const std::string name = logical.substr(1, equals - 1);
    const std::string value = logical.substr(equals + 2);
    if (value.rfind("dword:", 0) == 0) {
      sections[section][name] = "dword:" + std::to_string(std::stoul(value.substr(6), nullptr, 16));
    } else if (value.rfind("hex(7):", 0) == 0) {
      std::u16string units;
      std::vector<uint8_t> bytes;
      for (size_t at = 7; at < value.size(); at += 3)
        bytes.push_back(static_cast<uint8_t>(std::stoul(value.substr(at, 2), nullptr, 16)));
      for (size_t b = 0; b + 1 < bytes.size(); b += 2)
        units.push_back(static_cast<char16_t>(bytes[b] | (bytes[b + 1] << 8)));
      std::string joined;
      for (char16_t unit : units)
        joined += unit == 0 ? std::string("|") : certvault::certadm::utf16_to_utf8(std::u16string(1, unit));
      sections[section][name] = "multi:" + joined;
    } else {
      REQUIRE(value.front() == '"');
      std::string unescaped;
      for (size_t at = 1; at + 1 < value.size(); ++at) {
        if (value[at] == '\\') ++at;
        unescaped += value[at];
      }
      sections[section][name] = "sz:" + unescaped;
    }
  }
  return sections;
}

// The same picture from the simulated CA's registry model.
void model_values(const nlohmann::json& node, const std::string& path, RegValues& out) {
  auto& section = out[path];
  for (const auto& value : node.at("values")) {
    const std::string type = value.at("type");
    const std::string name = value.at("name");
    if (type == "REG_SZ") {
      section[name] = "sz:" + value.at("data").get<std::string>();
    } else if (type == "REG_DWORD") {
      section[name] = "dword:" + std::to_string(value.at("data").get<uint64_t>());
    } else if (type == "REG_MULTI_SZ") {
      std::string joined;
      for (const auto& entry : value.at("data")) joined += entry.get<std::string>() + "|";
      section[name] = "multi:" + joined + "|";
    }
  }
  for (const auto& subkey : node.at("subkeys")) {
    model_values(subkey, path + "\\" + subkey.at("name").get<std::string>(), out);
  }
}

std::set<std::string> names_in(const std::filesystem::path& folder) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) names.insert(entry.path().filename().string());
  return names;
}

}  // namespace

TEST_CASE("format_reg_file writes what reg export writes: BOM, CRLF, escapes, dword, hex(type) at 80 columns") {
  certvault::RegistryKey key;
  key.name = u"Configuration";
  auto utf16 = [](const std::u16string& text) {
    std::vector<uint8_t> bytes;
    for (char16_t c : text) bytes.insert(bytes.end(), {static_cast<uint8_t>(c & 0xFF), static_cast<uint8_t>(c >> 8)});
    bytes.insert(bytes.end(), {0, 0});
    return bytes;
  };
  key.values.push_back({u"", certvault::kRegSz, utf16(u"default")});
  key.values.push_back({u"Path \"quoted\"", certvault::kRegSz, utf16(u"C:\\Windows\\system32\\CertLog")});
  key.values.push_back({u"Count", certvault::kRegDword, {0x2A, 0, 0, 0}});
  key.values.push_back({u"Big", certvault::kRegQword, {1, 2, 3, 4, 5, 6, 7, 8}});
  key.values.push_back({u"Blob", certvault::kRegBinary, std::vector<uint8_t>(100, 0xAB)});
  certvault::RegistryKey sub;
  sub.name = u"Contoso CA";
  sub.values.push_back({u"Expand", certvault::kRegExpandSz, utf16(u"%windir%")});
  key.subkeys.push_back(sub);
  const std::string text = reg_text(certvault::format_reg_file(key, u"HKEY_LOCAL_MACHINE\\X\\Configuration"));
  CHECK(text.rfind("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\X\\Configuration]\r\n", 0) == 0);
  CHECK_THAT(text, Catch::Contains("@=\"default\"\r\n"));
  CHECK_THAT(text, Catch::Contains("\"Path \\\"quoted\\\"\"=\"C:\\\\Windows\\\\system32\\\\CertLog\"\r\n"));
  CHECK_THAT(text, Catch::Contains("\"Count\"=dword:0000002a\r\n"));
  CHECK_THAT(text, Catch::Contains("\"Big\"=hex(b):01,02,03,04,05,06,07,08\r\n"));
  CHECK_THAT(text, Catch::Contains("\"Blob\"=hex:ab,ab,"));
  CHECK_THAT(text, Catch::Contains(",\\\r\n  ab,ab,"));
  CHECK_THAT(text,
             Catch::Contains("\r\n\r\n[HKEY_LOCAL_MACHINE\\X\\Configuration\\Contoso CA]\r\n\"Expand\"=hex(2):25,00,"));
  CHECK(text.substr(text.size() - 4) == "\r\n\r\n");
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find("\r\n", start);
    REQUIRE(end != std::string::npos);
    CHECK(end - start <= 80);
    start = end + 2;
  }
}

TEST_CASE("a full backup stores the recovery set under Config/ and export writes it beside the certutil layout") {
  TempFolder temp("recovery-set");
  const auto ca = temp / "ca";
  const std::string repo = "--repo " + quoted((temp / "repo").string()) + " ";
  const std::string server = " --server " + quoted(ca.string()) + " --library " + quoted(sim_library().string());
  casim("init " + quoted(ca.string()) + " --ca-name 'Contoso Issuing CA' --db-size 2MiB");
  REQUIRE(cli("init " + repo).exit_code == 0);
  const auto full = json_document(cli("backup " + repo + server + " --type full --json"), "{");
  const auto registry_bytes = read_bytes(ca / ".casim" / "registry.json");
  const auto model = nlohmann::json::parse(registry_bytes.begin(), registry_bytes.end());
  const std::string hash = [&] {
    for (const auto& value : model.at("subkeys").at(0).at("values")) {
      if (value.at("name") == "CACertHash") {
        std::string spaced = value.at("data").at(0), hex;
        for (char c : spaced) {
          if (c != ' ') hex += c;
        }
        return hex;
      }
    }
    return std::string();
  }();
  REQUIRE(hash.size() == 40);
  CHECK(full.at("recovery_set") ==
        nlohmann::json::array({"Config/CA.reg", "Config/" + hash + ".cer", "Config/CAPolicy.inf"}));
  CHECK(full.at("recovery_set_notes").empty());

  casim("issue " + quoted(ca.string()) + " --count 10");
  const auto incremental = json_document(cli("backup " + repo + server + " --json"), "{");
  CHECK(incremental.at("type") == "incremental");
  CHECK(incremental.at("recovery_set").empty());

  // The incremental's export carries its full's recovery set, byte for byte what the CA holds.
  const auto target = temp / "export";
  REQUIRE(cli("export latest " + repo + "--to " + quoted(target.string())).exit_code == 0);
  CHECK(names_in(target) == std::set<std::string>{"Config", "DataBase", "Dynamic", "MANIFEST"});
  CHECK(names_in(target / "Config") == std::set<std::string>{"CA.reg", hash + ".cer", "CAPolicy.inf"});
  CHECK(read_bytes(target / "Config" / (hash + ".cer")) == read_bytes(ca / ".casim" / "store" / (hash + ".cer")));
  CHECK(read_bytes(target / "Config" / (hash + ".cer")) == read_bytes(ca / "CertEnroll" / "Contoso Issuing CA.crt"));
  CHECK(read_bytes(target / "Config" / "CAPolicy.inf") == read_bytes(ca / "Windows" / "CAPolicy.inf"));
  const auto manifest = read_bytes(target / "MANIFEST");
  const std::string manifest_text(manifest.begin(), manifest.end());
  for (const auto& name : {"Config/CA.reg", "Config/CAPolicy.inf"}) CHECK_THAT(manifest_text, Catch::Contains(name));

  // The .reg file read back gives the registry model: every key, value and type.
  const auto parsed = parse_reg(reg_text(read_bytes(target / "Config" / "CA.reg")));
  RegValues expected;
  model_values(model, certvault::kCaConfigurationKey, expected);
  CHECK(parsed == expected);

  SECTION("--layout sets and the tar stream carry it too") {
    const auto sets = temp / "sets";
    REQUIRE(cli("export latest " + repo + "--layout sets --to " + quoted(sets.string())).exit_code == 0);
    CHECK(read_bytes(sets / "Config" / "CA.reg") == read_bytes(target / "Config" / "CA.reg"));
    const auto tar = temp / "x.tar";
    REQUIRE(cli("export latest " + repo + "--tar " + quoted(tar.string())).exit_code == 0);
    const auto listing = run("tar -tf " + quoted(tar.string()));
    CHECK_THAT(listing.output, Catch::Contains("Config/CA.reg"));
  }
  SECTION("--no-config stores none; a CA without CAPolicy.inf is a note, not a failure") {
    const auto without = json_document(cli("backup " + repo + server + " --type full --no-config --json"), "{");
    CHECK(without.at("recovery_set").empty());
    std::filesystem::remove(ca / "Windows" / "CAPolicy.inf");
    const auto no_policy = cli("backup " + repo + server + " --type full --json");
    const auto result = json_document(no_policy, "{");
    CHECK(result.at("recovery_set") == nlohmann::json::array({"Config/CA.reg", "Config/" + hash + ".cer"}));
    REQUIRE(result.at("recovery_set_notes").size() == 1);
    CHECK_THAT(result.at("recovery_set_notes").at(0).get<std::string>(), Catch::Contains("no CAPolicy.inf stored"));
  }
}
