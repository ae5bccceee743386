// Builders of catalog records for the catalog tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "certvault/catalog/catalog.h"

namespace catalog_test {

using namespace certvault::catalog;

// A 16-byte id derived from `seed`, distinct for distinct seeds.
std::array<uint8_t, 16> make_id(uint64_t seed, uint8_t tag = 0);
// A 32-hex-digit snapshot id derived from `seed`.
std::string snapshot_id(uint64_t seed);

RecipeRecord make_recipe(uint64_t seed);
// A snapshot commit with one new pack, two new chunks, one new recipe and two files.
SnapshotCommit make_commit(uint64_t seed, int64_t created_unix, const std::string& source);

// The first column of the first row of `sql` on the database at `path`, read with SQLite
// directly (not through the catalog under test).
int64_t query_int(const std::filesystem::path& path, const char* sql);

}  // namespace catalog_test
