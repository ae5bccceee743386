// Catalog::PackChunks: the chunk rows of many packs from one sorted scan (catalog.h says why).
#include "certvault/catalog/catalog.h"
#include "pack_choice.h"
#include "row_readers.h"
#include "statement.h"

namespace certvault::catalog {
namespace {

constexpr const char* kChoice = "pack_chunks_choice";

std::string query(bool chosen, bool with_liveness) {
  std::string sql =
      std::string("SELECT c.id, ") + kLocationColumns + (with_liveness ? ", l.id IS NOT NULL" : "") + kChunkRows;
  if (with_liveness) sql += "LEFT JOIN temp.live_chunks l ON l.id = c.id ";
  if (chosen) sql += std::string("WHERE c.pack_id IN (SELECT id FROM temp.") + kChoice + ") ";
  return sql + "ORDER BY c.pack_id, c.offset";
}

}  // namespace

PackChunks::PackChunks(const Catalog& catalog, const std::vector<int64_t>& pack_ids, bool with_liveness)
    : db_(catalog.db_), with_liveness_(with_liveness) {
  if (!pack_ids.empty()) {
    choose_packs(db_, kChoice, pack_ids);
    chosen_ = true;
  }
  try {
    statement_ = std::make_unique<Statement>(db_, query(chosen_, with_liveness));
    has_row_ = statement_->step();  // sorts every chosen row now, before the caller writes anything
  } catch (...) {
    statement_.reset();
    if (chosen_) forget_pack_choice(db_, kChoice);
    throw;
  }
}

PackChunks::~PackChunks() {
  statement_.reset();  // first: a table cannot be dropped while a statement reads
  try {
    if (chosen_) forget_pack_choice(db_, kChoice);
  } catch (...) {  // the temp table vanishes with the connection anyway
  }
}

std::vector<PackChunks::Row> PackChunks::next(int64_t pack_id) {
  std::vector<Row> rows;
  while (has_row_) {
    const int64_t row_pack = statement_->column_int64(1);
    if (row_pack > pack_id) break;
    if (row_pack == pack_id) {
      Row row;
      row.location = read_location(*statement_);
      row.live = with_liveness_ && statement_->column_int64(7) != 0;
      rows.push_back(row);
    }
    has_row_ = statement_->step();
  }
  return rows;
}

}  // namespace certvault::catalog
