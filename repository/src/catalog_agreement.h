// Whether a recipe or manifest object and the catalog's copy of it say the
// same thing. The objects are what `repair catalog` rebuilds from, so check
// compares them with the rows that export and restore read: a damaged object
// would otherwise go unnoticed until the catalog is lost.
#pragma once

#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"
#include "manifest.h"

namespace certvault {

// The first field in which `object` (decoded from its object) differs from
// `row` (the catalog's), e.g. "logical size 4096 in the object, 8192 in the
// catalog"; empty when they agree. `depth` is not compared (objects do not
// store it).
std::string recipe_disagreement(const catalog::RecipeRecord& object, const catalog::RecipeRecord& row);

// The same for a snapshot: the manifest's header, files and missing files
// against the catalog's snapshot row, file rows and missing-file rows.
std::string manifest_disagreement(const manifest::Manifest& object, const catalog::SnapshotRecord& row,
                                  const std::vector<catalog::FileRecord>& files,
                                  const std::vector<catalog::MissingFile>& missing_files);

}  // namespace certvault
