#include "certvault/repository/snapshot_contents.h"

#include <fmt/format.h>

#include "catalog_agreement.h"
#include "certvault/base/error.h"
#include "certvault/repository/repository.h"
#include "manifest.h"

namespace certvault {

SnapshotContents read_snapshot_contents(Repository& repository, const std::string& snapshot_id) {
  const auto& catalog = repository.catalog();
  const auto row = catalog.snapshot(snapshot_id);
  if (!row) throw Error(ErrorKind::kUsage, fmt::format("snapshot {} does not exist", snapshot_id));
  const auto name = manifest::object_name(snapshot_id);
  const auto what = fmt::format("snapshot {}: its manifest {}", snapshot_id, name);
  if (row->manifest != name) {
    throw Error(ErrorKind::kIntegrity, fmt::format("snapshot {}: the catalog names its manifest '{}', not {} (the "
                                                   "catalog is damaged; `certvault repair catalog` rebuilds it)",
                                                   snapshot_id, row->manifest, name));
  }
  if (!repository.objects().exists(name)) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("{} is missing: the snapshot's files cannot be checked against the repository's "
                            "objects, so it is not restored",
                            what));
  }
  auto object = manifest::decode(repository.objects().read_all(name), what);
  if (object.snapshot.id != snapshot_id) {
    throw Error(ErrorKind::kIntegrity, fmt::format("{} holds snapshot {}, not this one", what, object.snapshot.id));
  }
  const auto files = catalog.files(snapshot_id);
  const auto missing = catalog.missing_files(snapshot_id);
  const auto why = manifest_disagreement(object, *row, files, missing);
  if (!why.empty()) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("{} disagrees with the catalog: {}; the manifest is the repository's truth, so the "
                            "catalog is damaged (`certvault repair catalog` rebuilds it from the objects)",
                            what, why));
  }
  // The catalog keeps tags as a sorted set: hand out its form, which the comparison found equal.
  object.snapshot.tags = row->tags;
  return {std::move(object.snapshot), std::move(object.files), std::move(object.missing_files)};
}

}  // namespace certvault
