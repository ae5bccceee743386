// A set of pack ids in a temporary table of the connection, so that one scan of the chunk index
// can serve many packs (`pack_id IN (SELECT id FROM temp.<table>)`): schema 4 has no index by pack.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

#include "statement.h"

namespace certvault::catalog {

// Replaces temp.<table> with `ids`; inside the caller's transaction if one is open, else its own
// (a temp table is never synced, but a transaction per row would still cost).
inline void choose_packs(sqlite3* db, const std::string& table, const std::vector<int64_t>& ids) {
  const bool own_transaction = sqlite3_get_autocommit(db) != 0;
  if (own_transaction) execute(db, "BEGIN", "choose packs: begin");
  try {
    execute(db, "DROP TABLE IF EXISTS temp." + table + "; CREATE TEMP TABLE " + table + "(id INTEGER PRIMARY KEY)",
            "choose packs: create temp." + table);
    Statement insert(db, "INSERT OR IGNORE INTO temp." + table + "(id) VALUES (?)");
    for (const int64_t id : ids) {
      insert.reset();
      insert.bind_int64(1, id);
      insert.run();
    }
  } catch (...) {
    if (own_transaction) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  if (own_transaction) execute(db, "COMMIT", "choose packs: commit");
}

inline void forget_pack_choice(sqlite3* db, const std::string& table) {
  execute(db, "DROP TABLE IF EXISTS temp." + table, "drop temp." + table);
}

}  // namespace certvault::catalog
