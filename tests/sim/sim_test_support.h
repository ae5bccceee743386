// Helpers for the sim's tests: temporary CA folders, running casim, and the
// backup/restore scenarios driven through the exported CertSrv* functions.
#pragma once

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "certadm_sim/exports.h"
#include "certadm_sim/hresults.h"

namespace simtest {

namespace fs = std::filesystem;

inline std::string hex(HRESULT code) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", static_cast<uint32_t>(code));
  return text;
}

// A fresh folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = fs::temp_directory_path() / ("casim-test-" + std::to_string(random()) + std::to_string(random()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline std::string utf8(const fs::path& path) {
  const auto text = path.u8string();
  return std::string(text.begin(), text.end());
}

inline fs::path path_of(const std::string& text) { return fs::path(std::u8string(text.begin(), text.end())); }

inline std::u16string wide(const std::string& text) {
  std::u16string out;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    uint32_t code = lead;
    size_t extra = lead < 0x80 ? 0 : lead < 0xE0 ? 1 : lead < 0xF0 ? 2 : 3;
    if (extra > 0) code = lead & (0x3F >> extra);
    for (size_t k = 1; k <= extra; ++k) code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    if (code >= 0x10000) {
      code -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (code >> 10));
      out += static_cast<char16_t>(0xDC00 + (code & 0x3FF));
    } else {
      out += static_cast<char16_t>(code);
    }
    i += extra + 1;
  }
  return out;
}

inline std::u16string wide(const fs::path& path) { return wide(utf8(path)); }

inline std::string narrow(std::u16string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    uint32_t code = text[i];
    if (code >= 0xD800 && code < 0xDC00 && i + 1 < text.size()) {
      code = 0x10000 + ((code - 0xD800) << 10) + (text[++i] - 0xDC00u);
    }
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }
  return out;
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

inline std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string casim_path() { return std::string(CERTVAULT_BINARY_DIR) + "/sim/casim"; }

inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, got);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// casim with arguments; the folder is quoted for the shell.
inline CommandResult casim(const std::string& verb, const fs::path& folder, const std::string& rest = "") {
  return run_command(quote(casim_path()) + " " + verb + " " + quote(utf8(folder)) + " " + rest);
}

inline void casim_ok(const std::string& verb, const fs::path& folder, const std::string& rest = "") {
  const auto result = casim(verb, folder, rest);
  INFO("casim " << verb << " " << rest << ":\n" << result.output);
  REQUIRE(result.exit_code == 0);
}

inline fs::path make_ca(const TempDir& temp, const std::string& name = "Contoso CA", const std::string& size = "2MiB",
                        const std::string& folder = "ca") {
  const fs::path root = temp.path() / path_of(folder);
  casim_ok("init", root, "--ca-name " + quote(name) + " --db-size " + size + " --seed 7");
  return root;
}

// Entries of a multi-string returned by the API, then freed.
inline std::vector<std::u16string> take_list(WCHAR* list, DWORD bytes) {
  std::vector<std::u16string> entries;
  REQUIRE(list != nullptr);
  REQUIRE(bytes % 2 == 0);
  const size_t units = bytes / 2;
  REQUIRE(units >= 2);
  REQUIRE(list[units - 1] == 0);
  REQUIRE(list[units - 2] == 0);
  size_t at = 0;
  while (at < units && list[at] != 0) {
    std::u16string entry(reinterpret_cast<const char16_t*>(list + at));
    at += entry.size() + 1;
    entries.push_back(entry);
  }
  CertSrvBackupFree(list);
  return entries;
}

inline std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline std::vector<std::string> calls_of(const fs::path& root) { return read_lines(root / ".casim" / "calls.log"); }

inline void copy_through_api(HCSBC context, const std::u16string& name, const fs::path& target,
                             DWORD buffer_bytes = 65536) {
  LARGE_INTEGER size{};
  REQUIRE(hex(CertSrvBackupOpenFileW(context, reinterpret_cast<const WCHAR*>(name.c_str()), 0, &size)) ==
          hex(certadm_sim::kSOk));
  std::ofstream out(target, std::ios::binary);
  std::vector<char> buffer(buffer_bytes);
  int64_t total = 0;
  for (;;) {
    DWORD got = 0;
    REQUIRE(hex(CertSrvBackupRead(context, buffer.data(), buffer_bytes, &got)) == hex(certadm_sim::kSOk));
    if (got == 0) break;
    out.write(buffer.data(), got);
    total += got;
  }
  REQUIRE(total == size.QuadPart);
  REQUIRE(hex(CertSrvBackupClose(context)) == hex(certadm_sim::kSOk));
}

inline uint32_t generation_of(const std::u16string& log_name) {
  const std::string name = narrow(log_name);
  const auto slash = name.find_last_of('/');
  const std::string file = name.substr(slash + 1);  // edbXXXXX.log
  return static_cast<uint32_t>(std::stoul(file.substr(3, file.size() - 7), nullptr, 16));
}

struct BackupSet {
  fs::path folder;                          // holds the copied files under their own names
  std::vector<std::string> database_files;  // names inside folder
  std::vector<std::string> log_files;
  uint32_t gen_low = 0;
  uint32_t gen_high = 0;
};

// One backup session following the documented scenario; the files land in `folder`.
inline BackupSet run_backup(const fs::path& ca, const fs::path& folder, ULONG flags, bool truncate,
                            DWORD buffer_bytes = 65536) {
  fs::create_directories(folder);
  BackupSet set;
  set.folder = folder;
  const auto server = wide(ca);
  HCSBC context = nullptr;
  REQUIRE(hex(CertSrvBackupPrepareW(reinterpret_cast<const WCHAR*>(server.c_str()), 0, flags, &context)) ==
          hex(certadm_sim::kSOk));
  WCHAR* list = nullptr;
  DWORD bytes = 0;
  REQUIRE(CertSrvRestoreGetDatabaseLocationsW(context, &list, &bytes) == certadm_sim::kSOk);
  take_list(list, bytes);
  REQUIRE(CertSrvBackupGetDatabaseNamesW(context, &list, &bytes) == certadm_sim::kSOk);
  for (const auto& entry : take_list(list, bytes)) {
    const std::u16string name = entry.substr(1);
    const std::string file = utf8(path_of(narrow(name)).filename());
    copy_through_api(context, name, folder / path_of(file), buffer_bytes);
    set.database_files.push_back(file);
  }
  REQUIRE(CertSrvBackupGetBackupLogsW(context, &list, &bytes) == certadm_sim::kSOk);
  for (const auto& entry : take_list(list, bytes)) {
    REQUIRE(entry[0] == CSBFT_LOG);
    const std::u16string name = entry.substr(1);
    const std::string file = utf8(path_of(narrow(name)).filename());
    copy_through_api(context, name, folder / file, buffer_bytes);
    set.log_files.push_back(file);
    const uint32_t generation = generation_of(name);
    set.gen_low = set.gen_low == 0 ? generation : std::min(set.gen_low, generation);
    set.gen_high = std::max(set.gen_high, generation);
  }
  if (truncate) REQUIRE(hex(CertSrvBackupTruncateLogs(context)) == hex(certadm_sim::kSOk));
  REQUIRE(CertSrvBackupGetDynamicFileListW(context, &list, &bytes) == certadm_sim::kSOk);
  take_list(list, bytes);
  REQUIRE(hex(CertSrvBackupEnd(context)) == hex(certadm_sim::kSOk));
  return set;
}

inline void stop_through_api(const fs::path& ca) {
  const auto server = wide(ca);
  REQUIRE(hex(CertSrvServerControlW(reinterpret_cast<const WCHAR*>(server.c_str()), CSCONTROL_SHUTDOWN, nullptr,
                                    nullptr)) == hex(certadm_sim::kSOk));
}

// The restore scenario: CA stopped, CertLog cleared, the full set (and then each incremental) copied and registered.
inline void restore_sets(const fs::path& ca, const std::string& ca_name, const std::vector<BackupSet>& sets) {
  const fs::path certlog = ca / "CertLog";
  for (const auto& entry : fs::directory_iterator(certlog)) fs::remove(entry.path());
  const auto certlog_wide = wide(certlog);
  const auto database = wide(certlog / path_of(ca_name + ".edb"));
  const auto server = wide(ca);
  for (size_t i = 0; i < sets.size(); ++i) {
    const bool full = i == 0;
    for (const auto& file : sets[i].database_files)
      fs::copy_file(sets[i].folder / path_of(file), certlog / path_of(file));
    for (const auto& file : sets[i].log_files) {
      fs::copy_file(sets[i].folder / file, certlog / file, fs::copy_options::overwrite_existing);
    }
    HCSBC context = nullptr;
    REQUIRE(hex(CertSrvRestorePrepareW(reinterpret_cast<const WCHAR*>(server.c_str()), full ? CSRESTORE_TYPE_FULL : 0,
                                       &context)) == hex(certadm_sim::kSOk));
    std::u16string old_name = database, new_name = database;
    CSEDB_RSTMAPW map{reinterpret_cast<WCHAR*>(old_name.data()), reinterpret_cast<WCHAR*>(new_name.data())};
    const auto* folder = reinterpret_cast<const WCHAR*>(certlog_wide.c_str());
    REQUIRE(hex(CertSrvRestoreRegisterW(context, folder, folder, full ? &map : nullptr, full ? 1 : 0, folder,
                                        sets[i].gen_low, sets[i].gen_high)) == hex(certadm_sim::kSOk));
    REQUIRE(CertSrvRestoreRegisterComplete(context, certadm_sim::kSOk) == certadm_sim::kSOk);
    REQUIRE(CertSrvRestoreEnd(context) == certadm_sim::kSOk);
  }
}

}  // namespace simtest
