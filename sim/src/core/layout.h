// Where everything of a simulated CA lives inside its folder (docs/sim.md, "Layout").
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace casim {

namespace fs = std::filesystem;

struct CaLayout {
  CaLayout(const fs::path& root, std::string_view ca_name_utf8);

  fs::path root;
  fs::path certlog;             // DIR/CertLog
  fs::path database;            // DIR/CertLog/<CA>.edb
  fs::path current_log;         // DIR/CertLog/edb.log
  fs::path checkpoint;          // DIR/CertLog/edb.chk
  fs::path certenroll;          // DIR/CertEnroll
  fs::path certificate;         // DIR/CertEnroll/<CA>.crt
  fs::path crl;                 // DIR/CertEnroll/<CA>.crl
  fs::path delta_crl;           // DIR/CertEnroll/<CA>+.crl
  fs::path state_dir;           // DIR/.casim
  fs::path state_file;          // state.json
  fs::path truth_file;          // truth.log
  fs::path calls_file;          // calls.log
  fs::path faults_file;         // faults.json
  fs::path lock_file;           // lock: engine writers exclusive, backup reads shared
  fs::path backup_lock_file;    // backup.lock: held by the one open backup session
  fs::path restore_file;        // restore.json: a registered restore
  fs::path changed_pages_file;  // changed_pages.log

  fs::path finished_log(uint32_t generation) const;
};

fs::path state_dir_of(const fs::path& root);
fs::path state_file_of(const fs::path& root);

// "edb0000A.log" (5 hex digits, 8 past 0xFFFFF), upper-case as ESE writes them.
std::string finished_log_name(uint32_t generation);
// The generation of a finished log's file name; nullopt for edb.log and anything else.
std::optional<uint32_t> generation_from_log_name(std::string_view name);

}  // namespace casim
