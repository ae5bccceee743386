// Copying snapshots from one repository into another (`certvault copy`, docs/design.md "Copying
// snapshots between repositories").
//
// Contract:
// - Works on any two repositories through their public interfaces (catalog, object store,
//   snapshot reader and writer), whatever stores their objects. `from` is opened shared, `to`
//   exclusive; copy_snapshots() refuses (kUsage) two repositories with the same repository id
//   (the same repository, or a file copy of it).
// - Chunk ids, file digests, chunk boundaries of content-defined files and dictionaries are keyed
//   or trained per repository, so nothing is copied as stored: every file is read back verified
//   (snapshot_reader.h) and written through the target's SnapshotWriter, which cuts, ids,
//   compresses, deduplicates against the target's whole index and seals under the target's key.
//   What the target adds is only the chunks it lacked (plus recipes and the manifest).
// - A copy is the same snapshot: it keeps its id, creation time, kind, series, server, CA name,
//   tags, chain links (parent, base_full), log range, restore map, file list (paths, roles, type
//   codes, API paths, log generations) and missing files; the target gives it its own commit
//   sequence, file digests and added size. The source's truncation records of a copied snapshot
//   are copied too (once).
// - Selection: the snapshots named (ids, unique prefixes, "latest"), or all. An incremental
//   needs its chain: its parent and its full (transitively) are added to the selection when the
//   source has them. Snapshots are copied oldest first (the source's order), so every chain's
//   bases are in the target before the snapshots that build on them.
// - Idempotent: a snapshot whose id the target has is skipped ("already in the target"); one
//   with that id but another kind, series or time is refused (kRefused). Resumable: each
//   snapshot commits on its own (snapshot_writer.h); one interrupted leaves at most packs no
//   snapshot names (prune's garbage, as an interrupted backup does) or a manifest object the
//   catalog never listed, which the next copy replaces.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace certvault {

class Repository;

struct CopiedSnapshot {
  std::string id;
  std::string kind;
  std::string source;
  int64_t created_unix = 0;
  bool copied = false;     // false: skipped, already in the target
  bool needed_by = false;  // not named: added because a selected incremental needs it
  uint32_t files = 0;
  uint64_t bytes_read = 0;   // logical bytes read (and verified) from the source
  uint64_t bytes_added = 0;  // compressed bytes the target's packs gained
};

struct CopyRequest {
  std::vector<std::string> snapshots;  // ids, unique prefixes or "latest"
  bool all = false;                    // every snapshot of the source (then `snapshots` must be empty)
  // An encrypted source's snapshots go into a plaintext target only with this set (else kRefused):
  // the copy would leave the CA's database readable where the source kept it sealed.
  bool allow_plaintext_target = false;
  // Called after each snapshot was copied (committed) or skipped, in copy order.
  std::function<void(const CopiedSnapshot&)> on_snapshot;
  // Called after each file of a snapshot being copied was written (before the commit): the tests'
  // seam for an interrupted copy (it throws).
  std::function<void(const std::string& snapshot_id, const std::string& path)> after_file;
};

struct CopyResult {
  std::vector<CopiedSnapshot> snapshots;  // in copy order
  uint32_t copied = 0, skipped = 0;
  uint64_t bytes_read = 0, bytes_added = 0;
};

// Throws Error(kUsage) for a bad request (nothing selected, both ids and all, an unknown id, the
// same repository twice) and Error(kRefused) for an encrypted source and a plaintext target
// without allow_plaintext_target, before anything is written.
CopyResult copy_snapshots(Repository& from, Repository& to, const CopyRequest& request);

}  // namespace certvault
