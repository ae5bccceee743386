#include "id_spool.h"

#include <fmt/format.h>

#include <array>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"

namespace certvault::recipe {

IdSpool::IdSpool(const std::filesystem::path& folder) {
  std::array<uint8_t, 8> random{};
  fill_random(random);
  path_ = folder / (std::string(kNamePrefix) + to_hex(random));
  file_ = os::file_system().open(path_, os::OpenFor::kCreateNew, "create the spool of a recipe's chunk ids");
  buffer_.reserve(kBufferBytes);
}

IdSpool::~IdSpool() {
  file_.reset();
  try {
    os::file_system().remove_file(path_, "remove the spool of a recipe's chunk ids", true);
  } catch (const Error&) {
    // Scratch: nothing reads it again, and prune removes a leftover, so its removal is not worth a failure.
  }
}

void IdSpool::append(std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    const size_t room = kBufferBytes - buffer_.size();
    const size_t taken = std::min(room, bytes.size());
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(taken));
    bytes = bytes.subspan(taken);
    if (buffer_.size() == kBufferBytes) flush();
  }
}

void IdSpool::flush() {
  if (buffer_.empty()) return;
  file_->write_at(written_, buffer_);
  written_ += buffer_.size();
  buffer_.clear();
}

void IdSpool::for_each_block(const std::function<void(std::span<const uint8_t>)>& visit) {
  flush();
  std::vector<uint8_t> block(static_cast<size_t>(std::min<uint64_t>(kBufferBytes, written_)));
  for (uint64_t offset = 0; offset < written_;) {
    const size_t wanted = static_cast<size_t>(std::min<uint64_t>(block.size(), written_ - offset));
    const size_t got = file_->read_at(offset, std::span(block).first(wanted));
    if (got != wanted) {
      throw Error(ErrorKind::kFailure, fmt::format("read the spool of a recipe's chunk ids {}: {} bytes at offset {} "
                                                   "gave {} (the file was changed under us)",
                                                   path_.generic_string(), wanted, offset, got));
    }
    visit(std::span(block).first(got));
    offset += got;
  }
}

}  // namespace certvault::recipe
