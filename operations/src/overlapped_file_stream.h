// Reading a file and chunking it, overlapped: the caller reads the next block (CertSrvBackupRead,
// or a file's read) while a second thread hands the previous block to a BackupFileStream (the
// whole-file digest, the chunk ids, the index, the compression queue). On two cores a backup
// then takes about the larger of reading and hashing instead of their sum: a second full of a
// barely changed database is mostly both (docs/benchmarks.md, "Scale").
//
// Contract:
// - Blocks reach the stream whole and in the order they were submitted.
// - From construction until drain() returns (or the object is destroyed), the stream, and the
//   SnapshotWriter behind it, are used only by the second thread; the caller only reads into
//   the blocks it is given, and may ask the writer what is safe to ask from any thread
//   (new_bytes_stored(), for progress: the bytes it counts are then read, not yet hashed). After
//   drain() the caller may finish() the stream itself.
// - An exception the stream throws stops the consumption; block(), submit() and drain() rethrow
//   it (the same object: an Error keeps its kind and message) in the caller's thread.
// - Destroyed before drain() (the caller's read failed), the object waits for the block being
//   consumed, drops the rest and joins the thread; the caller then abandons the snapshot.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "certvault/operations/file_chunking.h"

namespace certvault {

class OverlappedFileStream {
 public:
  OverlappedFileStream(BackupFileStream& stream, size_t block_bytes);
  ~OverlappedFileStream();
  OverlappedFileStream(const OverlappedFileStream&) = delete;
  OverlappedFileStream& operator=(const OverlappedFileStream&) = delete;

  // A block of block_bytes to read into; waits while every block is in the second thread's hands.
  std::span<uint8_t> block();
  // Hands the first `n` bytes (1..block_bytes) of the last block() to the stream.
  void submit(size_t n);
  // Waits until every submitted block has been written to the stream, and stops the thread.
  void drain();

 private:
  struct Filled {
    size_t index;
    size_t size;
  };
  void consume();
  void rethrow_locked();

  BackupFileStream& stream_;
  std::vector<std::vector<uint8_t>> blocks_;
  std::deque<size_t> free_;    // blocks the caller may read into
  std::deque<Filled> filled_;  // blocks waiting for the stream, in order
  bool has_current_ = false;   // block() handed one out that is not yet submitted
  size_t current_ = 0;
  bool consuming_ = false;  // the second thread is inside stream_.write()
  bool stopping_ = false;
  std::exception_ptr error_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread thread_;
};

}  // namespace certvault
