#include "overlapped_file_stream.h"

#include <fmt/format.h>

#include "certvault/base/error.h"

namespace certvault {

namespace {
// Two blocks: one being read, one being hashed. A third would only help if reads and hashing
// took turns being the slower within one file, which a backup's sequential reads do not.
constexpr size_t kBlocks = 2;
}  // namespace

OverlappedFileStream::OverlappedFileStream(BackupFileStream& stream, size_t block_bytes) : stream_(stream) {
  if (block_bytes == 0) throw Error(ErrorKind::kInternal, "OverlappedFileStream: empty blocks");
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks_.emplace_back(block_bytes);
    free_.push_back(i);
  }
  thread_ = std::thread([this] { consume(); });
}

OverlappedFileStream::~OverlappedFileStream() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    filled_.clear();  // not written: the caller abandons the snapshot
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OverlappedFileStream::rethrow_locked() {
  if (error_) std::rethrow_exception(error_);
}

std::span<uint8_t> OverlappedFileStream::block() {
  std::unique_lock lock(mutex_);
  if (has_current_) throw Error(ErrorKind::kInternal, "OverlappedFileStream: block() twice without submit()");
  changed_.wait(lock, [&] { return error_ || !free_.empty(); });
  rethrow_locked();
  current_ = free_.front();
  free_.pop_front();
  has_current_ = true;
  return blocks_[current_];
}

void OverlappedFileStream::submit(size_t n) {
  {
    std::lock_guard lock(mutex_);
    if (!has_current_ || n == 0 || n > blocks_[current_].size()) {
      throw Error(ErrorKind::kInternal, fmt::format("OverlappedFileStream: submit({}) without a block", n));
    }
    rethrow_locked();
    has_current_ = false;
    filled_.push_back({current_, n});
  }
  changed_.notify_all();
}

void OverlappedFileStream::drain() {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return error_ || (filled_.empty() && !consuming_); });
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
  std::lock_guard lock(mutex_);
  rethrow_locked();
}

void OverlappedFileStream::consume() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !filled_.empty(); });
    if (filled_.empty()) return;  // stopping, nothing left
    const Filled next = filled_.front();
    filled_.pop_front();
    consuming_ = true;
    lock.unlock();
    std::exception_ptr error;
    try {
      stream_.write(std::span<const uint8_t>(blocks_[next.index].data(), next.size));
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    consuming_ = false;
    free_.push_back(next.index);
    if (error) {
      error_ = error;
      filled_.clear();
      changed_.notify_all();
      return;
    }
    changed_.notify_all();
  }
}

}  // namespace certvault
