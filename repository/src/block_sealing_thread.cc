#include "block_sealing_thread.h"

#include <utility>

namespace certvault {

BlockSealingThread::BlockSealingThread(ObjectWriter& inner, SealFunction seal, size_t sealed_block_capacity)
    : inner_(inner), seal_(std::move(seal)), sealed_(sealed_block_capacity), thread_([this] { run(); }) {}

BlockSealingThread::~BlockSealingThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  thread_.join();
}

void BlockSealingThread::rethrow_failure() {
  if (failure_) std::rethrow_exception(failure_);
}

void BlockSealingThread::submit(std::vector<uint8_t>& block, uint64_t index, bool last) {
  std::unique_lock lock(mutex_);
  space_free_.wait(lock, [&] { return queue_.size() < kMaxQueuedBlocks || failure_; });
  rethrow_failure();
  std::vector<uint8_t> replacement;
  if (!spare_.empty()) {
    replacement = std::move(spare_.back());
    spare_.pop_back();
  } else {
    replacement.reserve(block.capacity());
  }
  queue_.push_back(Pending{std::exchange(block, std::move(replacement)), index, last});
  lock.unlock();
  work_ready_.notify_one();
}

void BlockSealingThread::drain() {
  std::unique_lock lock(mutex_);
  drained_.wait(lock, [&] { return (queue_.empty() && !busy_) || failure_; });
  rethrow_failure();
}

void BlockSealingThread::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Pending pending = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    space_free_.notify_one();
    std::exception_ptr failure;
    try {
      const size_t length = seal_(pending.plain, pending.index, pending.last, sealed_);
      inner_.append(std::span(sealed_.data(), length));
    } catch (...) {
      failure = std::current_exception();
    }
    pending.plain.clear();
    lock.lock();
    busy_ = false;
    spare_.push_back(std::move(pending.plain));
    if (failure && !failure_) {
      failure_ = failure;
      queue_.clear();  // nothing after a failed block may reach the object
      space_free_.notify_all();
    }
    if (queue_.empty()) drained_.notify_all();
  }
}

}  // namespace certvault
