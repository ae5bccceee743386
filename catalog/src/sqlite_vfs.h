// The SQLite VFS that runs the catalog's files through the file-system seam
// (certvault/base/file_system.h), so that the database, its rollback journal
// and every xSync are faulted and power-cut by tests exactly like the objects.
//
// Contract:
// - Named files (the database, its journal; a WAL of an older catalog while it
//   is converted) are opened through the current file system. Temporary files
//   (no name: sorts, statement journals, TEMP tables) go to SQLite's default
//   VFS: nothing durable lives in them.
// - Durability follows SQLite's unix VFS: a journal (or WAL) created by an open
//   has its folder synced at its first xSync, so the journal's name is durable
//   before the database is written over; xDelete with syncDir syncs the folder.
// - Locks: SQLite's lock levels on its usual bytes (PENDING at 1 GiB,
//   RESERVED, the 510-byte SHARED range) as byte-range locks owned by the open
//   file (OpenFile::try_lock_range), so two connections — in two processes or in
//   one — exclude each other as SQLite expects.
// - No shared memory (xShm*): WAL mode works only with locking_mode=EXCLUSIVE,
//   which the catalog uses once to convert a WAL catalog of an earlier build.
// - A VFS call that fails returns SQLite's I/O error code and keeps the
//   exception it caught (the seam's Error naming call, path, offset and reason,
//   or a test's power cut) for the catalog to report: take_vfs_failure().
#pragma once

#include <exception>

namespace certvault::catalog {

// Registers the VFS on first use (not as SQLite's default) and returns its name.
const char* seam_vfs_name();

// The exception the last failed VFS call of this thread caught, if any; cleared by taking it.
std::exception_ptr take_vfs_failure();

}  // namespace certvault::catalog
