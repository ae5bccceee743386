// A prepared SQLite statement with RAII and errors that name the statement.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "certvault/base/error.h"
#include "certvault/catalog/catalog.h"
#include "sqlite_vfs.h"

namespace certvault::catalog {

// What a SQLite result code means to a caller (catalog.h): a database that stayed busy is
// locked, not failed; a damaged one is an integrity problem; misuse is certvault's own bug.
inline ErrorKind error_kind_of(int sqlite_result) {
  switch (sqlite_result & 0xFF) {  // the primary code of an extended one
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::kLocked;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorKind::kIntegrity;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return ErrorKind::kInternal;
    default:
      return ErrorKind::kFailure;
  }
}

// An I/O error of SQLite's carries the file-system failure behind it (the
// call, path, offset and the system's reason): that message, and its kind,
// are the ones to report. Exceptions that are not certvault errors go on as
// they are.
inline void throw_file_system_failure(int sqlite_result, const std::string& context) {
  const auto failure = take_vfs_failure();
  const int primary = sqlite_result & 0xFF;
  if (!failure || (primary != SQLITE_IOERR && primary != SQLITE_CANTOPEN && primary != SQLITE_FULL)) return;
  try {
    std::rethrow_exception(failure);
  } catch (const Error& error) {
    throw CatalogError(error.kind(), context + ": " + error.what());
  }
}

[[noreturn]] inline void fail(sqlite3* db, const std::string& operation, const std::string& sql) {
  throw_file_system_failure(sqlite3_extended_errcode(db),
                            "catalog: " + operation + " (statement: " + sql.substr(0, 80) + ")");
  throw CatalogError(error_kind_of(sqlite3_extended_errcode(db)),
                     "catalog: " + operation + ": " + sqlite3_errmsg(db) + " (statement: " + sql.substr(0, 80) + ")");
}

// Runs SQL without results (schema, pragmas, transaction control).
inline void execute(sqlite3* db, const std::string& sql, const std::string& operation) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    const std::string text = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    throw_file_system_failure(rc, "catalog: " + operation + " (statement: " + sql.substr(0, 80) + ")");
    throw CatalogError(error_kind_of(rc),
                       "catalog: " + operation + ": " + text + " (statement: " + sql.substr(0, 80) + ")");
  }
}

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db), sql_(sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &statement_, nullptr) != SQLITE_OK) {
      fail(db, "prepare", sql);
    }
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binding overwrites every parameter the cached statements use, so no clear_bindings here.
  void reset() { sqlite3_reset(statement_); }
  int parameter(const char* name) const { return sqlite3_bind_parameter_index(statement_, name); }
  Statement& bind_int64(int index, int64_t value) {
    check(sqlite3_bind_int64(statement_, index, value), "bind");
    return *this;
  }
  Statement& bind_text(int index, const std::string& value) {
    check(sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT), "bind");
    return *this;
  }
  // Without SQLite's own copy: `value` must stay valid and unchanged until the statement is
  // reset (for a recipe's body, 16 bytes a chunk, so a large one is not held twice).
  Statement& bind_blob_no_copy(int index, std::span<const uint8_t> value) {
    static const uint8_t kEmpty = 0;
    check(sqlite3_bind_blob(statement_, index, value.empty() ? &kEmpty : value.data(), static_cast<int>(value.size()),
                            SQLITE_STATIC),
          "bind");
    return *this;
  }
  Statement& bind_blob(int index, std::span<const uint8_t> value) {
    // A zero-length blob must still be a blob, not NULL.
    static const uint8_t kEmpty = 0;
    check(sqlite3_bind_blob(statement_, index, value.empty() ? &kEmpty : value.data(), static_cast<int>(value.size()),
                            SQLITE_TRANSIENT),
          "bind");
    return *this;
  }
  Statement& bind_null(int index) {
    check(sqlite3_bind_null(statement_, index), "bind");
    return *this;
  }
  // True while a row is available.
  bool step() {
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, "run statement", sql_);
  }
  void run() {
    while (step()) {
    }
  }
  int64_t column_int64(int column) const { return sqlite3_column_int64(statement_, column); }
  bool column_is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  std::string column_text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    return text ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(statement_, column))) : std::string();
  }
  std::span<const uint8_t> column_blob(int column) const {
    const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(statement_, column));
    return {data, static_cast<size_t>(sqlite3_column_bytes(statement_, column))};
  }

 private:
  void check(int rc, const char* operation) {
    if (rc != SQLITE_OK) fail(db_, operation, sql_);
  }
  sqlite3* db_;
  std::string sql_;
  sqlite3_stmt* statement_ = nullptr;
};

// Resets a cached statement when a lookup ends, so that it does not keep a
// read transaction (and with it the file lock) open between calls.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& statement) : statement_(statement) { statement_.reset(); }
  ~ResetOnExit() { statement_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& statement_;
};

// BEGIN IMMEDIATE on construction (or adopts one already begun); ROLLBACK unless commit() was called.
class Transaction {
 public:
  enum AlreadyBegun { kAlreadyBegun };
  Transaction(sqlite3* db, std::string operation) : db_(db), operation_(std::move(operation)) {
    execute(db_, "BEGIN IMMEDIATE", operation_ + ": begin");
  }
  Transaction(sqlite3* db, std::string operation, AlreadyBegun) : db_(db), operation_(std::move(operation)) {}
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    execute(db_, "COMMIT", operation_ + ": commit");
    done_ = true;
  }

 private:
  sqlite3* db_;
  std::string operation_;
  bool done_ = false;
};

}  // namespace certvault::catalog
