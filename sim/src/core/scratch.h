// A scratch copy of a CA's identity: the target of a verification restore.
//
// Contract: make_scratch_ca(source, target) creates `target` as a stopped CA
// folder with the source's name, seed, signatures, epoch and ground truth
// (truth.log) but no database, logs or checkpoint — what a CA folder looks like
// after its CertLog was wiped. A restore registered there and recovered by
// `casim start` can then be checked by `casim verify` against the source's
// ground truth. The source is only read. Refuses (SimError E_INVALIDARG) a
// target that exists.
#pragma once

#include <cstdint>
#include <filesystem>
#include <utility>

namespace casim {

void make_scratch_ca(const std::filesystem::path& source, const std::filesystem::path& target);

}  // namespace casim

namespace casim {

// What `certutil -restoreDB DIR` does, on the sim: with the CA stopped, copies
// `backup/DataBase/<CA>.edb` and every `edbNNNNN.log` to the locations stored
// in `backup/DataBase/certbkxp.dat` (the raw restore map, UTF-16LE, type
// codes 0x44 database, 0x82 log folder, 0x83 checkpoint folder) and registers
// a complete full restore of the logs' generation range, so `casim start`
// recovers it. Returns the range. Refuses (SimError) a running CA, a map
// without a database or log folder, a database elsewhere than this CA's, a
// folder without logs, or a gap in the logs' generations.
std::pair<uint32_t, uint32_t> restore_backup_folder(const std::filesystem::path& backup,
                                                    const std::filesystem::path& root);

}  // namespace casim
