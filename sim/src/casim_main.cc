// casim: controls a simulated CA folder (create it, issue and revoke
// certificates, stop/start with recovery, verify, inject faults, read the call log).
// Exit codes: 0 success, 1 the operation failed or verify found a problem, 2 bad usage.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <optional>

#include "certadm_sim/hresults.h"
#include "core/ca_key.h"
#include "core/configuration.h"
#include "core/engine.h"
#include "core/faults.h"
#include "core/file_layer.h"
#include "core/recovery.h"
#include "core/restore_record.h"
#include "core/scratch.h"
#include "core/sim_error.h"
#include "core/state.h"
#include "core/utf.h"
#include "core/verify.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

uint64_t parse_size(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) {
    throw UsageError(fmt::format("size \"{}\" must start with a number (e.g. 64MiB, 1GiB)", text));
  }
  const uint64_t number = std::stoull(text.substr(0, digits));
  const std::string suffix = text.substr(digits);
  uint64_t unit = 0;
  if (suffix.empty() || suffix == "B") unit = 1;
  if (suffix == "KiB") unit = uint64_t{1} << 10;
  if (suffix == "MiB") unit = uint64_t{1} << 20;
  if (suffix == "GiB") unit = uint64_t{1} << 30;
  if (unit == 0)
    throw UsageError(fmt::format("size \"{}\": unknown suffix \"{}\" (use KiB, MiB or GiB)", text, suffix));
  if (number > (uint64_t{1} << 50) / unit) throw UsageError(fmt::format("size \"{}\" is too large", text));
  return number * unit;
}

uint64_t parse_number(const std::string& text, const char* what) {
  try {
    size_t used = 0;
    const int base = text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0 ? 16 : 10;
    const uint64_t value = std::stoull(text, &used, base);
    if (used != text.size() || text[0] == '-') throw std::invalid_argument(text);
    return value;
  } catch (const std::exception&) {
    throw UsageError(fmt::format("{} \"{}\" is not a non-negative number", what, text));
  }
}

int32_t parse_hresult(const std::string& text) {
  const uint64_t value = parse_number(text, "HRESULT");
  if (value > 0xFFFFFFFFull) throw UsageError(fmt::format("HRESULT \"{}\" does not fit in 32 bits", text));
  return static_cast<int32_t>(static_cast<uint32_t>(value));
}

constexpr const char* kCallNames[] = {"CertSrvIsServerOnlineW",
                                      "CertSrvBackupPrepareW",
                                      "CertSrvRestoreGetDatabaseLocationsW",
                                      "CertSrvBackupGetDatabaseNamesW",
                                      "CertSrvBackupOpenFileW",
                                      "CertSrvBackupRead",
                                      "CertSrvBackupClose",
                                      "CertSrvBackupGetBackupLogsW",
                                      "CertSrvBackupTruncateLogs",
                                      "CertSrvBackupGetDynamicFileListW",
                                      "CertSrvBackupEnd",
                                      "CertSrvRestorePrepareW",
                                      "CertSrvRestoreRegisterW",
                                      "CertSrvRestoreRegisterComplete",
                                      "CertSrvRestoreEnd",
                                      "CertSrvServerControlW"};

void check_call_name(const std::string& name) {
  for (const char* known : kCallNames) {
    if (name == known) return;
  }
  throw UsageError(
      fmt::format("\"{}\" is not a Certadm function that returns an HRESULT (e.g. CertSrvBackupRead)", name));
}

std::string describe(int32_t code) {
  const auto* entry = certadm_sim::find_hresult(code);
  return fmt::format("0x{:08X}{}", static_cast<uint32_t>(code),
                     entry != nullptr ? fmt::format(" {}", entry->name) : std::string());
}

void print_status(const std::filesystem::path& root) {
  const auto state = casim::load_state(root);
  const auto layout = casim::layout_of(root, state);
  fmt::print("CA:                 {}\n", state.ca_name);
  fmt::print("service:            {}\n", state.online ? "running" : "stopped");
  fmt::print("database:           {} ({} data pages, {} bytes)\n", casim::path_to_utf8(layout.database),
             state.page_count, (uint64_t{state.page_count} + casim::kHeaderPages) * casim::kPageSize);
  fmt::print("current log:        generation {} ({} of {} bytes used)\n", state.current_generation, state.log_used,
             casim::kLogFileSize);
  fmt::print("checkpoint:         generation {}\n", state.checkpoint_generation);
  fmt::print("certificates:       {} issued, {} revoked, CRL number {}\n", state.certificates, state.revocations,
             state.crl_number);
  auto backup = [](const casim::BackupInfo& info) {
    return info.present() ? fmt::format("generations {}..{} at {}", info.gen_low, info.gen_high, info.time)
                          : std::string("none");
  };
  fmt::print("last full backup:   {}\n", backup(state.last_full));
  fmt::print("last incremental:   {}\n", backup(state.last_incremental));
  if (const auto restore = casim::load_restore(layout)) {
    fmt::print("restore:            registered ({} set(s), {})\n", restore->sets.size(),
               restore->complete ? "complete: start will recover" : "not complete");
  }
  if (state.recovered_through != 0) fmt::print("recovered through:  generation {}\n", state.recovered_through);
}

int run(int argc, char** argv) {
  CLI::App app{"casim: control a simulated Certificate Services folder"};
  app.require_subcommand(1);
  std::string folder;

  std::string ca_name, db_size, seed_text = "1";
  auto* init = app.add_subcommand("init", "create a CA folder with a database of the given size");
  init->add_option("DIR", folder, "CA folder to create")->required();
  init->add_option("--ca-name", ca_name, "CA common name (UTF-8)")->required();
  init->add_option("--db-size", db_size, "database size, e.g. 64MiB or 1GiB")->required();
  init->add_option("--seed", seed_text, "seed of the generated contents (default 1)");

  std::string count_text;
  auto* issue = app.add_subcommand("issue", "issue certificates (write-ahead transactions)");
  issue->add_option("DIR", folder)->required();
  issue->add_option("--count", count_text, "how many certificates")->required();
  auto* revoke = app.add_subcommand("revoke", "revoke certificates");
  revoke->add_option("DIR", folder)->required();
  revoke->add_option("--count", count_text, "how many certificates")->required();
  auto* crl = app.add_subcommand("crl", "rewrite <CA>.crl and <CA>+.crl");
  crl->add_option("DIR", folder)->required();
  auto* stop = app.add_subcommand("stop", "stop the CA service (clean shutdown)");
  stop->add_option("DIR", folder)->required();
  auto* start = app.add_subcommand("start", "start the CA service (recovers a registered restore)");
  start->add_option("DIR", folder)->required();
  auto* status = app.add_subcommand("status", "print the CA's state");
  status->add_option("DIR", folder)->required();
  auto* verify = app.add_subcommand("verify", "check pages, logs and the logical state against the ground truth");
  verify->add_option("DIR", folder)->required();
  bool reset = false;
  auto* changed = app.add_subcommand("changed-pages", "print the pages written since the last reset");
  changed->add_option("DIR", folder)->required();
  changed->add_flag("--reset", reset, "forget them afterwards");

  std::string fail_call, hresult_text, nth_text = "0", read_error_text, short_read_text, offline_call, file_filter,
                                       times_text;
  bool clear = false, list = false;
  auto* fault = app.add_subcommand("fault", "set fault injection honoured by the library on every call");
  fault->add_option("DIR", folder)->required();
  fault->add_option("--fail", fail_call, "make this API call fail (with --hresult, optionally --nth)");
  fault->add_option("--hresult", hresult_text, "HRESULT of --fail or --read-error (hex, e.g. 0x8007001E)");
  fault->add_option("--nth", nth_text, "fail only the Nth call (1-based; default every call)");
  fault->add_option("--read-error", read_error_text, "fail a CertSrvBackupRead covering this file offset");
  fault->add_option("--short-read", short_read_text, "cut a CertSrvBackupRead short at this file offset");
  fault->add_option("--file", file_filter, "only files whose path contains this text");
  fault->add_option("--offline-after", offline_call, "take the CA offline after this API call");
  fault->add_option("--times", times_text, "how often the fault fires (0 = always; default 1, --fail: 0)");
  fault->add_flag("--clear", clear, "remove every fault");
  fault->add_flag("--list", list, "print the faults");

  std::string scratch_target;
  auto* scratch = app.add_subcommand("scratch",
                                     "create a stopped, empty copy of DIR's identity and ground truth "
                                     "(the target of a verification restore)");
  scratch->add_option("DIR", folder)->required();
  scratch->add_option("--to", scratch_target, "folder to create")->required();

  std::string backup_folder;
  auto* restore_db = app.add_subcommand("restore-db",
                                        "what certutil -restoreDB does: copy a backup folder "
                                        "(DataBase/certbkxp.dat, <CA>.edb, logs) back and register it");
  restore_db->add_option("BACKUP", backup_folder, "folder holding DataBase/")->required();
  restore_db->add_option("DIR", folder)->required();

  std::string reg_file;
  auto* import_reg = app.add_subcommand(
      "import-reg", "what `reg import FILE` does to the CA configuration key (the sim's DIR/.casim/registry.json)");
  import_reg->add_option("DIR", folder)->required();
  import_reg->add_option("FILE", reg_file, ".reg file as reg export writes it")->required();

  auto* key = app.add_subcommand("key", "set the export policy of the CA's private key (models an HSM)");
  key->add_option("DIR", folder)->required();
  bool non_exportable = false, exportable = false;
  std::string provider;
  key->add_flag("--non-exportable", non_exportable,
                "the key cannot be exported (an HSM, or a KSP key created without export rights)");
  key->add_flag("--exportable", exportable, "the key can be exported (as casim init creates it)");
  key->add_option("--provider", provider,
                  "key storage provider to name (default: the software KSP, or 'Simulated HSM Key Storage Provider' "
                  "with --non-exportable)");
  auto* templates = app.add_subcommand("templates", "make the CA an enterprise CA publishing these templates");
  templates->add_option("DIR", folder)->required();
  std::vector<std::string> template_names;
  templates->add_option("NAME", template_names, "certificate template names (CR_PROP_TEMPLATES)")->required();

  auto* calls = app.add_subcommand("calls", "print DIR/.casim/calls.log");
  calls->add_option("DIR", folder)->required();
  bool clear_calls = false;
  calls->add_flag("--clear", clear_calls, "empty the call log");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : kExitUsage;
  }

  std::filesystem::path root = std::filesystem::absolute(casim::path_from_utf8(folder)).lexically_normal();
  if (root.has_parent_path() && root.filename().empty()) root = root.parent_path();
  if (init->parsed()) {
    casim::InitOptions options{root, ca_name, parse_size(db_size), parse_number(seed_text, "seed")};
    const uint32_t pages = casim::init_ca(options);
    fmt::print("created CA \"{}\" in {}: {} data pages of {} bytes\n", ca_name, folder, pages, casim::kPageSize);
  } else if (issue->parsed() || revoke->parsed()) {
    const uint64_t count = parse_number(count_text, "count");
    const auto summary =
        issue->parsed() ? casim::issue_certificates(root, count) : casim::revoke_certificates(root, count);
    fmt::print("{} {} certificate(s): {} page writes, log generations {}..{}\n", issue->parsed() ? "issued" : "revoked",
               summary.transactions, summary.pages_written, summary.first_generation, summary.last_generation);
  } else if (crl->parsed()) {
    fmt::print("published CRL number {}\n", casim::publish_crls(root));
  } else if (stop->parsed()) {
    fmt::print("{}\n", casim::stop_ca(root) ? "stopped" : "already stopped");
  } else if (start->parsed()) {
    const auto report = casim::start_ca(root);
    if (report.already_running) {
      fmt::print("already running\n");
    } else if (report.restored) {
      fmt::print("restore recovered: replayed generations {}..{} ({} records, {} applied); started\n",
                 report.first_generation, report.last_generation, report.records, report.applied);
      if (!report.truth_found) {
        fmt::print("warning: no ground truth for generation {} in this folder; verify will fail\n",
                   report.last_generation);
      }
    } else {
      fmt::print("started (recovery replayed generations {}..{}: {} records, {} applied)\n", report.first_generation,
                 report.last_generation, report.records, report.applied);
    }
  } else if (scratch->parsed()) {
    const auto target = std::filesystem::absolute(casim::path_from_utf8(scratch_target)).lexically_normal();
    casim::make_scratch_ca(root, target);
    fmt::print("created scratch CA folder {} (stopped, no database or logs)\n", scratch_target);
  } else if (import_reg->parsed()) {
    const auto state = casim::load_state(root);
    const auto count = casim::import_reg_file(casim::CaLayout(root, state.ca_name), casim::path_from_utf8(reg_file));
    fmt::print("imported {} values into the configuration key\n", count);
  } else if (key->parsed()) {
    if (exportable == non_exportable) throw UsageError("casim key needs exactly one of --exportable, --non-exportable");
    if (provider.empty()) provider = exportable ? casim::kSoftwareKeyProvider : "Simulated HSM Key Storage Provider";
    const auto state = casim::load_state(root);
    const auto count = casim::set_key_export_policy(casim::CaLayout(root, state.ca_name), exportable, provider);
    fmt::print("{} key(s) marked {} ({})\n", count, exportable ? "exportable" : "non-exportable", provider);
  } else if (templates->parsed()) {
    const auto state = casim::load_state(root);
    casim::write_published_templates(casim::CaLayout(root, state.ca_name), template_names);
    fmt::print("enterprise CA publishing {} template(s)\n", template_names.size());
  } else if (restore_db->parsed()) {
    const auto [low, high] = casim::restore_backup_folder(casim::path_from_utf8(backup_folder), root);
    fmt::print("restore registered: generations {}..{}; `casim start` recovers it\n", low, high);
  } else if (status->parsed()) {
    print_status(root);
  } else if (verify->parsed()) {
    const auto report = casim::verify_ca(root);
    for (const auto& problem : report.problems) fmt::print("problem: {}\n", problem);
    if (!report.ok) {
      fmt::print("verify FAILED: {} problem line(s); {} pages, {} logs checked\n", report.problems.size(), report.pages,
                 report.logs);
      return kExitFailure;
    }
    fmt::print("verified against the ground truth of generation {} (epoch {}): {} pages, {} logs, digest {:016x}\n",
               report.truth_generation, report.truth_epoch, report.pages, report.logs, report.digest);
  } else if (changed->parsed()) {
    for (uint32_t page : casim::changed_pages(root, reset)) fmt::print("{}\n", page);
  } else if (fault->parsed()) {
    if (!casim::is_ca_folder(root)) {
      throw casim::SimError(certadm_sim::kBadNetPath, fmt::format("{} is not a simulated CA folder", folder));
    }
    const int actions = (clear ? 1 : 0) + (list ? 1 : 0) + (!fail_call.empty() ? 1 : 0) +
                        (!read_error_text.empty() ? 1 : 0) + (!short_read_text.empty() ? 1 : 0) +
                        (!offline_call.empty() ? 1 : 0);
    if (actions != 1) {
      throw UsageError(
          "casim fault needs exactly one of --fail, --read-error, --short-read, --offline-after, "
          "--clear, --list");
    }
    if (clear) {
      casim::faults::clear_faults(root);
      fmt::print("faults cleared\n");
      return 0;
    }
    if (list) {
      fmt::print("{}\n", casim::faults::describe_faults(root));
      return 0;
    }
    casim::faults::FaultSpec spec;
    spec.file = file_filter;
    spec.times = times_text.empty() ? 1 : parse_number(times_text, "times");
    if (!fail_call.empty()) {
      check_call_name(fail_call);
      if (hresult_text.empty()) throw UsageError("--fail needs --hresult");
      spec.kind = "fail";
      spec.call = fail_call;
      spec.hresult = parse_hresult(hresult_text);
      spec.nth = parse_number(nth_text, "nth");
      if (times_text.empty()) spec.times = 0;
      if (spec.hresult >= 0) throw UsageError(fmt::format("--hresult {} is not a failure code", hresult_text));
    } else if (!read_error_text.empty()) {
      spec.kind = "read_error";
      spec.offset = parse_number(read_error_text, "offset");
      spec.hresult = hresult_text.empty() ? certadm_sim::kReadFault : parse_hresult(hresult_text);
      if (spec.hresult >= 0) throw UsageError(fmt::format("--hresult {} is not a failure code", hresult_text));
    } else if (!short_read_text.empty()) {
      spec.kind = "short_read";
      spec.offset = parse_number(short_read_text, "offset");
    } else {
      check_call_name(offline_call);
      spec.kind = "offline_after";
      spec.call = offline_call;
    }
    casim::faults::add_fault(root, spec);
    fmt::print("fault added: {}{}{}\n", spec.kind, spec.call.empty() ? "" : " " + spec.call,
               spec.hresult != 0 ? " " + describe(spec.hresult) : "");
  } else if (calls->parsed()) {
    const auto state = casim::load_state(root);
    const auto layout = casim::layout_of(root, state);
    if (clear_calls) {
      casim::files::remove_file(layout.calls_file);
    } else if (casim::files::exists(layout.calls_file)) {
      fmt::print("{}", casim::files::read_text(layout.calls_file));
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const UsageError& error) {
    fmt::print(stderr, "casim: {}\n", error.what());
    return kExitUsage;
  } catch (const casim::SimError& error) {
    fmt::print(stderr, "casim: {} [{}]\n", error.what(), describe(error.hresult()));
    return kExitFailure;
  } catch (const std::exception& error) {
    fmt::print(stderr, "casim: {}\n", error.what());
    return kExitFailure;
  }
}
