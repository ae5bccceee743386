#include "certvault/operations/snapshot_copy.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>

#include "certvault/base/error.h"
#include "certvault/operations/file_chunking.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_contents.h"
#include "certvault/repository/snapshot_reader.h"
#include "certvault/repository/snapshot_writer.h"
#include "certvault/repository/truncation_log.h"

namespace certvault {
namespace {

int64_t created_us_of(const catalog::SnapshotRecord& s) {
  return s.created_us != 0 ? s.created_us : s.created_unix * 1000000;
}

// The ids to copy, oldest first: those named (or all), and the chain every named incremental needs.
std::vector<const catalog::SnapshotRecord*> select(const Repository& from,
                                                   const std::vector<catalog::SnapshotRecord>& oldest_first,
                                                   const CopyRequest& request, std::set<std::string>& named) {
  std::unordered_map<std::string, const catalog::SnapshotRecord*> by_id;
  for (const auto& s : oldest_first) by_id.emplace(s.id, &s);
  std::set<std::string> wanted;
  if (request.all) {
    for (const auto& s : oldest_first) wanted.insert(s.id);
    named = wanted;
  } else {
    for (const auto& spec : request.snapshots) named.insert(from.resolve(spec));
    std::vector<std::string> pending(named.begin(), named.end());
    while (!pending.empty()) {
      const std::string id = pending.back();
      pending.pop_back();
      if (!wanted.insert(id).second) continue;
      const auto it = by_id.find(id);
      if (it == by_id.end() || it->second->kind != "incremental") continue;
      // An incremental restores only with its full and the links before it: they come along.
      for (const auto& link : {it->second->parent, it->second->base_full}) {
        if (link && by_id.contains(*link)) pending.push_back(*link);
      }
    }
  }
  std::vector<const catalog::SnapshotRecord*> selected;
  for (const auto& s : oldest_first) {
    if (wanted.contains(s.id)) selected.push_back(&s);
  }
  return selected;
}

// The target's snapshot with the same id must be this snapshot's copy; anything else is a clash
// of random ids that no copy may paper over.
void check_same_snapshot(const catalog::SnapshotRecord& source, const catalog::SnapshotRecord& target,
                         const Repository& to) {
  if (source.kind == target.kind && source.source == target.source && created_us_of(source) == created_us_of(target)) {
    return;
  }
  throw Error(ErrorKind::kRefused,
              fmt::format("copy: repository {} already has a snapshot {} that is not a copy of the source's ({} of "
                          "'{}' there, {} of '{}' in the source); nothing was copied over it",
                          to.root().string(), source.id, target.kind, target.source, source.kind, source.source));
}

// The snapshot whose files serve as delta bases, chosen as a backup chooses it (api_backup.cc,
// folder_backup.cc): for a full, the series' newest full before it; for a folder snapshot, the
// series' newest folder snapshot before it; none for an incremental (its logs are new). Taken from
// what the target holds, its own backups included.
std::optional<std::string> dedup_reference_in(const Repository& to, const catalog::SnapshotRecord& s) {
  if (s.kind == "incremental") return std::nullopt;
  catalog::SnapshotFilter filter;
  filter.source = s.source;
  filter.kind = s.kind;
  std::optional<std::string> newest_before;
  for (const auto& candidate : to.catalog().snapshots(filter)) {  // oldest first
    if (created_us_of(candidate) >= created_us_of(s)) break;
    if (candidate.server == s.server) newest_before = candidate.id;
  }
  return newest_before;
}

// Truncation records are history of the snapshot (docs/format.md §4.3): the copy carries them.
void copy_truncation_records(Repository& from, Repository& to, const std::string& id) {
  const auto records = from.catalog().truncations(id);
  if (records.empty() || !to.catalog().truncations(id).empty()) return;
  for (const auto& record : records) {
    if (record.outcome == "truncated" || record.outcome == "failed" || record.outcome.empty()) {
      record_truncation_outcome(to, record);
    } else {
      record_truncation_intent(to, id, record.time_unix);
    }
  }
}

CopiedSnapshot copy_one(Repository& from, Repository& to, const catalog::SnapshotRecord& record,
                        const CopyRequest& request) {
  CopiedSnapshot result;
  result.id = record.id;
  result.kind = record.kind;
  result.source = record.source;
  result.created_unix = record.created_unix;
  // What the manifest says, checked against the source's catalog.
  const auto contents = read_snapshot_contents(from, record.id);
  const auto& s = contents.snapshot;

  // A manifest object without a catalog row: a copy (or backup) stopped between writing the
  // manifest and its catalog commit. It names no snapshot; this copy writes it again.
  if (to.objects().exists(s.manifest)) to.objects().remove(s.manifest);

  SnapshotHeader header;
  header.kind = s.kind;
  header.source = s.source;
  header.source_path = s.source_path;
  header.server = s.server;
  header.ca_name = s.ca_name;
  header.tags = s.tags;
  header.parent = s.parent;
  header.base_full = s.base_full;
  header.dedup_reference = dedup_reference_in(to, s);
  header.keep_identity = SnapshotHeader::KeptIdentity{s.id, created_us_of(s)};
  auto writer = to.begin_snapshot(header);
  if (!s.restore_map_raw.empty() || !s.restore_map.empty()) writer->set_restore_map(s.restore_map_raw, s.restore_map);
  if (s.gen_low && s.gen_high) writer->set_log_range(*s.gen_low, *s.gen_high);
  for (const auto& missing : contents.missing_files) writer->note_missing_file(missing.path, missing.reason);
  for (const auto& file : contents.files) {
    // The same decision a backup makes (page-aligned database, log blocks, content-defined), so
    // the copy dedups against the target's backups of the same CA.
    BackupFileStream stream(*writer,
                            FileHeader{file.path, file.role, file.type_code, file.api_path, file.log_generation, {}});
    read_file_contents(from, s.id, file, [&](std::span<const uint8_t> bytes) {
      stream.write(bytes);
      result.bytes_read += bytes.size();
    });
    const auto written = stream.finish();
    if (written.size != file.size) {
      throw Error(ErrorKind::kInternal, fmt::format("copy of snapshot {}: file {} gave {} bytes, its record says {}",
                                                    s.id, file.path, written.size, file.size));
    }
    ++result.files;
    if (request.after_file) request.after_file(s.id, file.path);
  }
  writer->commit();
  result.bytes_added = writer->new_bytes_stored();
  result.copied = true;
  return result;
}

}  // namespace

CopyResult copy_snapshots(Repository& from, Repository& to, const CopyRequest& request) {
  if (request.all && !request.snapshots.empty()) {
    throw Error(ErrorKind::kUsage, "copy: give snapshot ids or --all, not both");
  }
  if (!request.all && request.snapshots.empty()) {
    throw Error(ErrorKind::kUsage, "copy: no snapshot given: name snapshot ids (or 'latest'), or give --all");
  }
  if (from.config().repository_id == to.config().repository_id) {
    throw Error(ErrorKind::kUsage,
                fmt::format("copy: {} and {} are the same repository (repository id {}): a copy needs another one",
                            from.root().string(), to.root().string(), from.config().repository_id));
  }
  if (from.encrypted() && !to.encrypted() && !request.allow_plaintext_target) {
    throw Error(ErrorKind::kRefused,
                fmt::format("copy: {} is encrypted and {} is not: the copies would be readable by anyone who can "
                            "read its files; copy into an encrypted repository (or `migrate --encrypt` this one "
                            "first), or give --insecure-plaintext-target",
                            from.root().string(), to.root().string()));
  }
  if (to.lock_mode() != LockMode::kExclusive) {
    throw Error(ErrorKind::kInternal, "copy: the target must be opened with the exclusive lock");
  }
  const auto oldest_first = from.catalog().snapshots();
  std::set<std::string> named;
  const auto selected = select(from, oldest_first, request, named);

  CopyResult result;
  for (const auto* record : selected) {
    CopiedSnapshot done;
    if (const auto existing = to.catalog().snapshot(record->id)) {
      check_same_snapshot(*record, *existing, to);
      done.id = record->id;
      done.kind = record->kind;
      done.source = record->source;
      done.created_unix = record->created_unix;
      ++result.skipped;
    } else {
      done = copy_one(from, to, *record, request);
      ++result.copied;
    }
    done.needed_by = !named.contains(record->id);
    copy_truncation_records(from, to, record->id);
    result.bytes_read += done.bytes_read;
    result.bytes_added += done.bytes_added;
    if (request.on_snapshot) request.on_snapshot(done);
    result.snapshots.push_back(std::move(done));
  }
  return result;
}

}  // namespace certvault
