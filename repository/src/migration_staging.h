// The staging area of `migrate --encrypt` (docs/format.md §8.5): sealed copies of a plaintext
// repository's objects are written under `migrating/<name>`, sealed for their final `<name>`, and
// moved over the plaintext ones only after the encrypted config is committed.
//
// Contract:
// - staging_area() is a view of `local` in which every name lives under kStagingPrefix; it does not
//   own `local`. Wrapped in the sealing store it writes an object sealed for `name` (the associated
//   data binds the final name) at `migrating/<name>`.
// - overlay_staged_objects() is the read view of an encrypted repository whose migration is past
//   its commit point: a name is read from `migrating/<name>` while that exists, else from `<name>`,
//   and listings show both under the final names; a removal removes both. Every byte read is still
//   authenticated by the sealing store above it, so the overlay never lets plaintext through.
// - move_into_place() renames `migrating/<name>` over `<name>` durably: the new name is synced
//   before the staged one is dropped, so a power cut leaves one of them (or both), never neither.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "certvault/repository/object_store.h"

namespace certvault::migration {

inline constexpr std::string_view kStagingPrefix = "migrating/";

// Whether `local` (the unsealed folder store) holds any staged object.
bool has_staged_objects(const ObjectStore& local);

std::unique_ptr<ObjectStore> staging_area(ObjectStore& local);
std::unique_ptr<ObjectStore> overlay_staged_objects(std::unique_ptr<ObjectStore> local);

void move_into_place(const std::filesystem::path& root, const std::string& name);
// Removes the empty folders left under `root`/migrating (and it), then syncs `root`.
void remove_staging_folders(const std::filesystem::path& root);

}  // namespace certvault::migration
