#include "certvault/operations/api_backup.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <set>
#include <variant>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/base/os_file.h"
#include "certvault/base/quoted_text.h"
#include "certvault/base/safe_path.h"
#include "certvault/certadm/certadm.h"
#include "certvault/operations/ese_headers.h"
#include "certvault/operations/file_chunking.h"
#include "certvault/operations/recovery_set.h"
#include "certvault/operations/snapshot_chain.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_writer.h"
#include "certvault/repository/truncation_log.h"
#include "overlapped_file_stream.h"

namespace certvault {
namespace {

using Clock = std::chrono::steady_clock;

// ESE error codes as Certadm returns them (0xC800xxxx): the CA refusing a
// logs-only backup because it has no full backup or its log chain is broken.
using certadm_abi::kJetInvalidLogSequence;
using certadm_abi::kJetMissingFullBackup;

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string folded(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

std::string role_for(uint16_t type_code) {
  switch (type_code) {
    case CSBFT_CERTSERVER_DATABASE:
      return "database";
    case CSBFT_LOG:
      return "log";
    case CSBFT_PATCH_FILE:
      return "patch";
    case CSBFT_CHECKPOINT_DIR:
      return "checkpoint";
    default:
      return "other";
  }
}

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct ServerHistory {
  std::string series;  // the series (source) this backup continues or starts
  std::optional<catalog::SnapshotRecord> last_full;
  std::optional<catalog::SnapshotRecord> latest;  // newest full or incremental
  bool chain_intact = false;                      // from last_full through latest
};

std::string series_of(const catalog::SnapshotRecord& record) {
  return record.source.empty() ? record.server : record.source;
}

ServerHistory read_history(const std::vector<catalog::SnapshotRecord>& snapshots, const std::string& series) {
  const auto chain = SnapshotChains(snapshots).latest_chain(series);
  ServerHistory history;
  history.series = series;
  if (chain.full) history.last_full = *chain.full;
  if (chain.latest) history.latest = *chain.latest;
  history.chain_intact = chain.intact;
  return history;
}

// The CA name in the restore map the CA returned: its database's file name without ".edb".
std::string ca_name_in(const certadm::NameList& locations) {
  for (const auto& entry : locations.entries) {
    if (entry.type_code != CSBFT_CERTSERVER_DATABASE) continue;
    std::string name = base_name(entry.path_utf8);
    if (name.size() > 4 && folded(name.substr(name.size() - 4)) == ".edb") name.resize(name.size() - 4);
    return name;
  }
  return {};
}

// How a session ends when it does not throw: the snapshot is committed, or `--type auto` should
// retry as a full backup (the session has ended; nothing was committed or truncated).
struct Committed {};
struct FallBackToFull {
  std::string reason;
};
using SessionOutcome = std::variant<Committed, FallBackToFull>;

class Session {
 public:
  Session(Repository& repository, const ApiBackupOptions& options, certadm::Server& server, ServerHistory& history,
          ApiBackupResult& result, Clock::time_point started)
      : repository_(repository),
        options_(options),
        server_(server),
        history_(history),
        result_(result),
        started_(started),
        buffer_(std::max<uint32_t>(options.read_buffer_bytes, 4096)) {}

  SessionOutcome run(BackupKind kind, bool may_fall_back) {
    const bool full = kind == BackupKind::kFull;
    auto prepared = prepare(full, may_fall_back);
    if (auto* fallback = std::get_if<FallBackToFull>(&prepared)) return std::move(*fallback);
    auto* context = &std::get<certadm::BackupContext>(prepared);
    const auto locations = context->restore_locations();
    if (auto fallback = check_same_ca(ca_name_in(locations), full, may_fall_back)) return std::move(*fallback);
    const auto databases = full ? context->database_names() : certadm::NameList{};

    SnapshotHeader header;
    header.kind = full ? "full" : "incremental";
    header.source = history_.series;
    header.server = options_.server;
    result_.series = history_.series;
    header.tags = options_.tags;
    if (history_.latest) header.parent = history_.latest->id;
    if (full) {
      if (history_.last_full) header.dedup_reference = history_.last_full->id;
      for (const auto& entry : databases.entries) {
        if (entry.type_code == CSBFT_CERTSERVER_DATABASE) {
          std::string name = base_name(entry.path_utf8);
          if (name.size() > 4 && name.ends_with(".edb")) name.resize(name.size() - 4);
          header.ca_name = name;
        }
      }
    } else {
      header.base_full = history_.last_full->id;
      header.ca_name = history_.last_full->ca_name;
    }
    result_.ca_name = header.ca_name;
    auto writer = repository_.begin_snapshot(header);

    std::vector<catalog::RestoreMapEntry> map_entries;
    for (const auto& entry : locations.entries) map_entries.push_back({entry.type_code, entry.path_utf8});
    writer->set_restore_map(locations.raw, std::move(map_entries));

    std::optional<ese::DatabaseHeader> database_header;
    for (const auto& entry : databases.entries) {
      const auto prefix = stream_api_file(*context, *writer, entry, "DataBase/" + base_name(entry.path_utf8),
                                          role_for(entry.type_code), std::nullopt);
      // The header page is verified as ESE reads it (checksum over the whole page): a damaged or
      // torn header is an integrity error here, before the commit and so before any truncation.
      if (entry.type_code == CSBFT_CERTSERVER_DATABASE) {
        database_header = ese::verify_database_header_page(prefix, entry.path_utf8);
      }
    }

    const auto logs = context->backup_logs();
    std::vector<uint32_t> generations;
    for (const auto& entry : logs.entries) {
      const auto generation = ese::log_generation_from_name(entry.path_utf8);
      if (entry.type_code == CSBFT_LOG && !generation) {
        throw Error(ErrorKind::kApi, fmt::format("log '{}' from CertSrvBackupGetBackupLogsW has no ESE generation "
                                                 "in its name",
                                                 entry.path_utf8));
      }
      if (generation) generations.push_back(*generation);
    }
    const auto generation_set = summarize_generations(generations);
    if (!generation_set) {
      throw Error(ErrorKind::kApi, fmt::format("the CA listed no log files for this {} backup", header.kind));
    }
    if (!generation_set->gaps.empty()) {
      throw Error(ErrorKind::kApi, fmt::format("the CA's log list has gaps (missing generations {}); the backup "
                                               "would not be restorable",
                                               describe_gaps(generation_set->gaps)));
    }
    if (database_header && database_header->lowest_required_generation != 0 &&
        generation_set->range.low > database_header->lowest_required_generation) {
      throw Error(ErrorKind::kApi,
                  fmt::format("the database needs logs from generation 0x{:X}, but the CA listed logs from 0x{:X}; "
                              "the backup would not be restorable",
                              database_header->lowest_required_generation, generation_set->range.low));
    }
    if (!full) {
      if (auto fallback = check_logs_continue(generation_set->range, may_fall_back)) return std::move(*fallback);
    }
    for (const auto& entry : logs.entries) {
      const auto generation = ese::log_generation_from_name(entry.path_utf8);
      const auto prefix = stream_api_file(*context, *writer, entry, "DataBase/" + base_name(entry.path_utf8),
                                          role_for(entry.type_code), generation);
      if (generation && entry.type_code == CSBFT_LOG) {
        const uint32_t in_header = ese::parse_log_generation(prefix);
        if (in_header != *generation) {
          throw Error(ErrorKind::kIntegrity, fmt::format("log '{}' holds generation 0x{:X} in its header, not 0x{:X}",
                                                         entry.path_utf8, in_header, *generation));
        }
      }
    }
    writer->set_log_range(generation_set->range.low, generation_set->range.high);
    result_.log_range = generation_set->range;

    // Step 12-13 come before the commit so that the committed snapshot holds
    // the dynamic files too; truncation (step 11) waits for the commit.
    const auto dynamic = context->dynamic_files();
    // Names that differ only in case are one file on Windows (and to export's rule).
    std::set<std::string> used_names;
    for (const auto& entry : dynamic.entries) {
      std::string name = base_name(entry.path_utf8);
      for (int n = 2; used_names.contains(folded(name)); ++n)
        name = fmt::format("{}.{}", base_name(entry.path_utf8), n);
      used_names.insert(folded(name));
      back_up_dynamic_file(*writer, entry.path_utf8, "Dynamic/" + name);
    }

    // The recovery set (recovery_set.h): what the Certadm API does not back up, with every full.
    size_t config_files = 0;
    if (full && options_.with_config) {
      RecoverySetRequest request;
      request.ca_name = header.ca_name;
      request.key_passphrase = options_.key_passphrase;
      auto recovery = read_recovery_set(options_.server, request);
      // A key asked for but not exported is part of the snapshot's record (manifest and catalog),
      // so that show and status say so for as long as the snapshot is kept.
      if (recovery.key_not_stored) {
        writer->note_missing_file(recovery.key_not_stored->path, recovery.key_not_stored->reason);
        result_.key_not_stored = recovery.key_not_stored;
      }
      for (const auto& file : recovery.files) {
        const std::string path = "Config/" + file.name;
        stored_paths_.push_back(path);
        BackupFileStream stream(*writer, {path, "config", 0, file.origin, std::nullopt, {}});
        stream.write(file.bytes);
        stream.finish();
        result_.recovery_set.push_back(path);
      }
      config_files = recovery.files.size();
      result_.recovery_set_notes = std::move(recovery.notes);
    }

    result_.files = static_cast<uint32_t>(databases.entries.size() + logs.entries.size() + dynamic.entries.size() +
                                          config_files - result_.missing_dynamic_files.size());
    result_.logical_bytes = writer->bytes_written();
    check_restorable_names(locations, dynamic, full);
    const CommittedSnapshot committed = writer->commit();
    result_.snapshot_id = committed.snapshot_id();
    result_.new_bytes_stored = writer->new_bytes_stored();

    if (!options_.keep_logs) {
      catalog::TruncationRecord record;
      record.snapshot_id = committed.snapshot_id();
      // The intent is durable before the CA is asked: a crash between the call and the outcome
      // leaves "logs may have been truncated" rather than nothing (truncation_log.h). Without
      // it, nothing is truncated.
      bool intent_recorded = false;
      try {
        record_truncation_intent(repository_, record.snapshot_id, now_unix());
        intent_recorded = true;
      } catch (const std::exception& e) {
        result_.truncation_error = fmt::format(
            "the intent to truncate could not be recorded, so the logs were "
            "not truncated: {}",
            e.what());
      }
      if (intent_recorded) {
        try {
          context->truncate_logs(committed);
          result_.logs_truncated = true;
          record.message = "logs truncated";
          record.outcome = "truncated";
        } catch (const certadm::ApiError& e) {
          result_.truncation_error = e.what();
          record.hresult = e.hresult();
          record.message = e.what();
          record.outcome = "failed";
        } catch (const Error& e) {
          result_.truncation_error = e.what();
          record.hresult = -1;
          record.message = e.what();
          record.outcome = "failed";
        }
        record.time_unix = now_unix();
        try {
          record_truncation_outcome(repository_, record);
        } catch (const std::exception& e) {
          result_.warnings.push_back(fmt::format("could not record the truncation's outcome: {}", e.what()));
        }
      }
    }
    // CertSrvBackupEnd is where the CA records the backup (and frees its backup slot): its
    // failure leaves the snapshot safe but the CA unaware of it — reported, never silent.
    try {
      context->end();
    } catch (const std::exception& e) {
      result_.session_end_error = e.what();
    }
    return Committed{};
  }

 private:
  // A series found through another name of the same computer (CA01 / ca01.contoso.com) continues
  // only when the CA answering is the one it holds, judged by the CA name in the API's answer.
  // Otherwise this backup starts its own series: a full goes on, an incremental falls back to a
  // full (--type auto) or is refused.
  std::optional<FallBackToFull> check_same_ca(const std::string& ca_name, bool full, bool may_fall_back) {
    if (history_.series == options_.server || !history_.last_full) return std::nullopt;
    if (folded(ca_name) == folded(history_.last_full->ca_name)) {
      result_.series_note =
          fmt::format("continuing the series of {}: the same CA ({}) reached as {}", quoted_if_needed(history_.series),
                      quoted_if_needed(ca_name), quoted_if_needed(options_.server));
      return std::nullopt;
    }
    const std::string why = fmt::format(
        "{} answers as CA {}, not {} of the series {}", quoted_if_needed(options_.server), quoted_if_needed(ca_name),
        quoted_if_needed(history_.last_full->ca_name), quoted_if_needed(history_.series));
    history_ = ServerHistory{};
    history_.series = options_.server;
    result_.series_note = "starting a new series: " + why;
    if (full) return std::nullopt;
    if (may_fall_back) return FallBackToFull{why};
    throw Error(ErrorKind::kRefused,
                fmt::format("refusing an incremental backup: {}; take a full backup (--type full)", why));
  }

  // Step 4: CertSrvBackupPrepareW. A CA refusing a logs-only backup is a reason to fall back when
  // `--type auto` asked; any other failure throws.
  std::variant<certadm::BackupContext, FallBackToFull> prepare(bool full, bool may_fall_back) {
    try {
      return server_.prepare_backup(full ? CSBACKUP_TYPE_FULL : CSBACKUP_TYPE_LOGS_ONLY);
    } catch (const certadm::ApiError& e) {
      if (!full && may_fall_back && (e.hresult() == kJetMissingFullBackup || e.hresult() == kJetInvalidLogSequence)) {
        return FallBackToFull{
            fmt::format("the CA refused a logs-only backup ({})", certadm::describe_hresult(e.hresult()))};
      }
      throw;
    }
  }

  // Step 7 for an incremental: the CA's logs must continue the previous snapshot's. A gap is a
  // reason to fall back when `--type auto` asked, else a refusal.
  std::optional<FallBackToFull> check_logs_continue(const GenerationRange& offered, bool may_fall_back) const {
    const auto& previous = *history_.latest;
    if (!previous.gen_high) {
      throw Error(ErrorKind::kRefused, fmt::format("refusing an incremental backup: snapshot {} records no log "
                                                   "generations; take a full backup (--type full)",
                                                   previous.id.substr(0, 12)));
    }
    const auto continuation = check_continuation(*previous.gen_high, offered);
    if (continuation.continues) return std::nullopt;
    const std::string why =
        continuation.missing.empty()
            ? fmt::format("the CA offers logs 0x{:X}-0x{:X}, none newer than the last snapshot's 0x{:X}", offered.low,
                          offered.high, *previous.gen_high)
            : fmt::format("generations {} are missing between snapshot {} and the logs the CA offers",
                          describe_gaps(continuation.missing), previous.id.substr(0, 12));
    if (may_fall_back) return FallBackToFull{"the log chain is broken: " + why};
    throw Error(ErrorKind::kRefused,
                fmt::format("refusing an incremental backup: {}; take a full backup (--type full)", why));
  }

  // Before the commit, and so before any truncation: what a restore and an export of this
  // snapshot will need. Every stored path passes the rule export applies (one function,
  // check_exportable_paths(), for both; with the generated certbkxp.dat and, for an
  // incremental, its full's database files, which an export of it holds too), and every
  // location a restore writes to by default passes the rule restore applies. A CA whose names
  // fail is refused (exit 6) with nothing committed or truncated; no escaped form is stored.
  void check_restorable_names(const certadm::NameList& locations, const certadm::NameList& dynamic, bool full) {
    std::vector<std::string> paths = stored_paths_;
    paths.push_back("DataBase/certbkxp.dat");
    if (!full) {
      for (const auto& file : repository_.catalog().files(history_.last_full->id)) {
        if (file.role == "database" || file.role == "patch") paths.push_back(file.path);
      }
    }
    const std::string server = quoted_if_needed(options_.server);
    const std::string what = fmt::format("refusing to commit a backup of {} that export could not write", server);
    check_exportable_paths(paths, what);
    for (const auto& entry : locations.entries) {
      if (entry.type_code == CSBFT_CERTSERVER_DATABASE || entry.type_code == CSBFT_LOG_DIR ||
          entry.type_code == CSBFT_CHECKPOINT_DIR) {
        check_restore_location(entry.path_utf8, fmt::format("refusing to commit a backup of {} that restore could "
                                                            "not place: restore map entry 0x{:02X}",
                                                            server, entry.type_code));
      }
    }
    for (const auto& entry : dynamic.entries) {
      check_restore_location(entry.path_utf8, fmt::format("refusing to commit a backup of {} that restore could not "
                                                          "place: dynamic file",
                                                          server));
    }
  }

  // Reads one file through OpenFile/Read/Close into the writer; returns the
  // file's first kKeptHeadBytes (all of a shorter file) for header checks.
  std::vector<uint8_t> stream_api_file(certadm::BackupContext& context, SnapshotWriter& writer,
                                       const certadm::NameEntry& entry, const std::string& snapshot_path,
                                       const std::string& role, std::optional<uint32_t> generation) {
    stored_paths_.push_back(snapshot_path);
    const uint64_t size = context.open_file(entry, static_cast<uint32_t>(buffer_.size()));
    expected_total_ += size;
    // The stream holds the first bytes back until they decide how the file is chunked (a
    // database by its pages), whatever sizes CertSrvBackupRead returns.
    BackupFileStream file(writer, {snapshot_path, role, entry.type_code, entry.path_utf8, generation, {}, size});
    // The next CertSrvBackupRead overlaps hashing and chunking the block before it.
    OverlappedFileStream overlapped(file, buffer_.size());
    uint64_t offset = 0;
    try {
      while (true) {
        const size_t n = context.read(overlapped.block());
        if (n == 0) break;
        offset += n;
        done_total_ += n;
        overlapped.submit(n);
        report_progress(entry.path_utf8, offset, size, writer);
      }
    } catch (const certadm::ApiError& e) {
      throw Error(ErrorKind::kApi,
                  fmt::format("{} — while reading '{}' at offset {} of {}", e.what(), entry.path_utf8, offset, size));
    }
    overlapped.drain();
    if (offset != size) {
      throw Error(ErrorKind::kApi, fmt::format("CertSrvBackupRead ended '{}' at offset {}, but CertSrvBackupOpenFileW "
                                               "announced {} bytes",
                                               entry.path_utf8, offset, size));
    }
    file.finish();
    context.close_file();
    const auto head = file.head();
    return {head.begin(), head.end()};
  }

  void back_up_dynamic_file(SnapshotWriter& writer, const std::string& path, const std::string& snapshot_path) {
    // The API hands out UTF-8 (converted from its UTF-16); the path is built from UTF-8, never
    // from the process's narrow code page.
    const std::filesystem::path file_path = os::path_from_utf8(path);
    // Only a regular file is read: opened without following a symlink (whose target could be
    // anything, anywhere) and without blocking (a FIFO's open waits for a writer for ever);
    // anything else is recorded as not backed up, with its reason named.
    os::File file;
    std::string reason;
    if (!os::File::try_open(file_path, os::OpenFor::kReadNoFollow, "back up dynamic file", file, reason)) {
      const auto status = os::file_system().status(file_path, false);
      if (status && status->type == os::EntryType::kSymlink) reason = "a symbolic link, not followed";
    } else if (const auto identity = file.handle().identity(); identity.type != os::EntryType::kFile) {
      reason = identity.type == os::EntryType::kSymlink  ? "a symbolic link (reparse point), not followed"
               : identity.type == os::EntryType::kFolder ? "a folder, not a regular file"
                                                         : "not a regular file (a FIFO, socket or device)";
    }
    if (!reason.empty()) {
      writer.note_missing_file(path, reason);
      result_.missing_dynamic_files.push_back(quoted_if_needed(path) + ": " + reason);
      return;
    }
    stored_paths_.push_back(snapshot_path);
    BackupFileStream stream(writer, {snapshot_path, "dynamic", 0, path, std::nullopt, {}});
    uint64_t offset = 0;
    while (true) {
      size_t n = 0;
      try {
        n = file.read(buffer_);
      } catch (const Error& error) {
        throw Error(error.kind(),
                    fmt::format("cannot read dynamic file {} at offset {}: {}", path, offset, error.what()));
      }
      if (n == 0) break;
      stream.write(std::span(buffer_.data(), n));
      offset += n;
    }
    stream.finish();
  }

  void report_progress(const std::string& file, uint64_t file_done, uint64_t file_size, SnapshotWriter& writer) {
    if (!options_.on_progress) return;
    const auto now = Clock::now();
    if (now - last_progress_ < std::chrono::milliseconds(100) && file_done != file_size) return;
    last_progress_ = now;
    BackupProgress progress;
    progress.file = file;
    progress.file_done = file_done;
    progress.file_size = file_size;
    progress.total_done = done_total_;
    progress.total_expected = std::max(expected_total_, done_total_);
    progress.new_bytes_stored = writer.new_bytes_stored();
    progress.elapsed_seconds = std::chrono::duration<double>(now - started_).count();
    options_.on_progress(progress);
  }

  Repository& repository_;
  const ApiBackupOptions& options_;
  certadm::Server& server_;
  ServerHistory& history_;
  ApiBackupResult& result_;
  Clock::time_point started_;
  std::vector<uint8_t> buffer_;
  std::vector<std::string> stored_paths_;  // in the snapshot, as export will check them
  uint64_t expected_total_ = 0;
  uint64_t done_total_ = 0;
  Clock::time_point last_progress_{};
};

}  // namespace

bool same_computer(const std::string& a, const std::string& b) {
  auto is_folder = [](std::string_view name) {
    while (name.starts_with('\\')) name.remove_prefix(1);
    return name.find_first_of("/\\") != std::string_view::npos;
  };
  if (is_folder(a) || is_folder(b)) {
    if (!is_folder(a) || !is_folder(b)) return false;
    std::error_code ec;
    return std::filesystem::equivalent(os::path_from_utf8(a), os::path_from_utf8(b), ec) && !ec;
  }
  auto computer = [](std::string name) {
    name.erase(0, name.find_first_not_of('\\'));
    return folded(name);
  };
  const std::string x = computer(a), y = computer(b);
  if (x.empty() || y.empty()) return false;
  if (x == y) return true;
  auto short_of = [](const std::string& dns, const std::string& short_name) {
    return short_name.find('.') == std::string::npos && dns.size() > short_name.size() &&
           dns.compare(0, short_name.size(), short_name) == 0 && dns[short_name.size()] == '.';
  };
  return short_of(x, y) || short_of(y, x);
}

ApiBackupResult back_up_server(Repository& repository, const ApiBackupOptions& options) {
  const auto started = Clock::now();
  if (options.server.empty()) throw Error(ErrorKind::kUsage, "no server given");
  // Before the CA is even asked: key material goes only into an encrypted repository (issue 17).
  if (options.key_passphrase && !repository.encrypted()) {
    throw Error(ErrorKind::kRefused,
                fmt::format("refusing --with-key: repository {} is not encrypted (format {}), and the CA's private "
                            "key goes only into an encrypted repository (certvault init encrypts by default); "
                            "nothing was backed up",
                            repository.display_name(), repository.config().format_version));
  }
  if (options.key_passphrase && !options.with_config) {
    throw Error(ErrorKind::kUsage, "--with-key stores the key in the recovery set, which --no-config leaves out");
  }
  if (options.key_passphrase && options.key_passphrase->empty()) {
    throw Error(ErrorKind::kUsage, "the PKCS#12 passphrase of --with-key is empty");
  }
  auto library = certadm::Library::load(options.library.empty() ? certadm::Library::default_path() : options.library);
  certadm::Server server(library, options.server);
  if (!server.is_online()) {
    throw Error(ErrorKind::kApi, fmt::format("CA '{}' is not online (CertSrvIsServerOnlineW): start Certificate "
                                             "Services and try again",
                                             options.server));
  }
  // The series: the name as given, or, when it has none yet, the series of another name of the
  // same computer (checked against the CA's identity once the session is open).
  const auto snapshots = repository.catalog().snapshots({});
  auto history = read_history(snapshots, options.server);
  if (!history.latest) {
    for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {
      if (it->server.empty() || it->kind == "folder" || series_of(*it) == options.server) continue;
      if (!same_computer(it->server, options.server)) continue;
      auto other = read_history(snapshots, series_of(*it));
      if (other.latest) history = std::move(other);
      break;
    }
  }

  ApiBackupResult result;
  BackupKind kind = BackupKind::kFull;
  switch (options.type) {
    case RequestedBackupType::kFull:
      result.kind_reason = "requested";
      break;
    case RequestedBackupType::kIncremental:
      if (!history.last_full) {
        throw Error(ErrorKind::kRefused,
                    fmt::format("refusing an incremental backup: the repository holds no committed full backup of "
                                "'{}'; take a full backup first (--type full)",
                                options.server));
      }
      kind = BackupKind::kIncremental;
      result.kind_reason = "requested";
      break;
    case RequestedBackupType::kAuto: {
      std::optional<std::chrono::seconds> age;
      if (history.last_full) age = std::chrono::seconds(now_unix() - history.last_full->created_unix);
      const auto decision = decide_backup_kind(age, history.chain_intact, options.full_every);
      kind = decision.kind;
      result.kind_reason = decision.reason;
      break;
    }
  }
  result.kind = kind;
  const auto outcome = Session(repository, options, server, history, result, started)
                           .run(kind, options.type == RequestedBackupType::kAuto);
  if (const auto* fallback = std::get_if<FallBackToFull>(&outcome)) {
    const std::string note = result.series_note;
    result = ApiBackupResult{};
    result.series_note = note;
    result.kind = BackupKind::kFull;
    result.kind_reason = fallback->reason;
    // A full never falls back, so this session commits or throws.
    Session(repository, options, server, history, result, started).run(BackupKind::kFull, false);
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

}  // namespace certvault
