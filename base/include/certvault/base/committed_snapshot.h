// CommittedSnapshot — proof that a snapshot is durable.
//
// Contract: a CommittedSnapshot exists only after its packs were fsynced and
// renamed, its manifest object written the same way, and the catalog
// transaction that makes it visible committed with synchronous=FULL. Only
// SnapshotWriter::commit() can construct one. Certadm log truncation takes one
// by reference, so calling CertSrvBackupTruncateLogs before the commit does not
// compile.
#pragma once

#include <string>

namespace certvault {

class SnapshotWriter;

class CommittedSnapshot {
 public:
  const std::string& snapshot_id() const noexcept { return snapshot_id_; }

  CommittedSnapshot(const CommittedSnapshot&) = default;
  CommittedSnapshot& operator=(const CommittedSnapshot&) = default;

 private:
  friend class SnapshotWriter;
  explicit CommittedSnapshot(std::string snapshot_id) : snapshot_id_(std::move(snapshot_id)) {}
  std::string snapshot_id_;
};

}  // namespace certvault
