#include "sealed_object_store.h"

#include <fmt/format.h>
#include <sodium.h>

#include <cstring>
#include <mutex>
#include <unordered_map>

#include "block_sealing_thread.h"
#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/base/little_endian.h"
#include "config_format.h"

namespace certvault {
namespace {

using namespace crypto_format;
constexpr uint64_t kSealedBlock = kSealedBlockSize + kTagSize;  // bytes of one full block on disk

uint8_t kind_of(const std::string& name) {
  const auto starts = [&name](std::string_view prefix) { return name.compare(0, prefix.size(), prefix) == 0; };
  if (starts("packs/")) return kKindPack;
  if (starts("recipes/")) return kKindRecipe;
  if (starts("snapshots/")) return kKindManifest;
  if (starts("dicts/")) return kKindDictionary;
  if (starts("truncations/")) return kKindTruncation;
  return kKindOther;
}

const char* kind_name(uint8_t kind) {
  switch (kind) {
    case kKindPack:
      return "pack";
    case kKindRecipe:
      return "recipe";
    case kKindManifest:
      return "snapshot manifest";
    case kKindDictionary:
      return "dictionary";
    case kKindTruncation:
      return "truncation record";
    default:
      return "object";
  }
}

// The associated data of one block (§8.3); `ad` is reused between blocks of one object.
class BlockAd {
 public:
  BlockAd(const crypto::MasterKey& key, std::span<const uint8_t> header, const std::string& name) {
    const uint8_t kind[1] = {kind_of(name)};
    uint8_t name_size[4];
    le::store<uint32_t>(name_size, 0, static_cast<uint32_t>(name.size()));
    const uint8_t variable[9] = {};  // block index and last-block flag, set per block
    bytes_ = crypto::concat({crypto::bytes_of(kSealedLabel), crypto::kZeroByte, key.repository_id_bytes, header, kind,
                             name_size, crypto::bytes_of(name), variable});
    variable_at_ = bytes_.size() - sizeof variable;
  }
  std::span<const uint8_t> for_block(uint64_t index, bool last) {
    le::store<uint64_t>(bytes_, variable_at_, index);
    bytes_[variable_at_ + 8] = last ? 1 : 0;
    return bytes_;
  }

 private:
  std::vector<uint8_t> bytes_;
  size_t variable_at_ = 0;
};

std::array<uint8_t, 24> block_nonce(std::span<const uint8_t> header, uint64_t index) {
  std::array<uint8_t, 24> nonce{};
  std::memcpy(nonce.data(), header.data() + kSealedNonceAt, kSealedNoncePrefixSize);
  le::store<uint64_t>(nonce, kSealedNoncePrefixSize, index);
  return nonce;
}

// Plaintext size and block count of a sealed object of `sealed_size` bytes, or an integrity error.
struct Layout {
  uint64_t plain_size = 0;
  uint64_t blocks = 0;
};

Layout layout_of(uint64_t sealed_size, const std::string& name) {
  if (sealed_size < kSealedHeaderSize + kTagSize) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("{} {} is damaged: {} bytes is shorter than an encrypted object's header and one block",
                            kind_name(kind_of(name)), name, sealed_size));
  }
  const uint64_t body = sealed_size - kSealedHeaderSize;
  const uint64_t full = body / kSealedBlock;
  const uint64_t rest = body % kSealedBlock;
  if (rest == 0) return {full * kSealedBlockSize, full};
  if (rest < kTagSize) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("{} {} is damaged: its size ({} bytes) ends inside a block's authentication tag (the "
                            "object was truncated or extended)",
                            kind_name(kind_of(name)), name, sealed_size));
  }
  return {full * kSealedBlockSize + (rest - kTagSize), full + 1};
}

// Blocks but the last are sealed on a BlockSealingThread, started when an object grows past one
// block (recipes, manifests and dictionaries mostly fit in one and never start it); the last block
// is sealed there too once the thread exists, so the blocks reach the inner writer in order.
class SealingWriter final : public ObjectWriter {
 public:
  SealingWriter(std::unique_ptr<ObjectWriter> inner, std::shared_ptr<const crypto::MasterKey> key, std::string name)
      : inner_(std::move(inner)), key_(std::move(key)), name_(std::move(name)) {
    header_.resize(kSealedHeaderSize);
    std::memcpy(header_.data(), kSealedMagic.data(), kSealedMagic.size());
    le::store<uint32_t>(header_, kSealedVersionAt, kSealedVersion);
    le::store<uint32_t>(header_, kSealedBlockSizeAt, kSealedBlockSize);
    fill_random(std::span(header_).subspan(kSealedNonceAt, kSealedNoncePrefixSize));
    ad_ = std::make_unique<BlockAd>(*key_, header_, name_);
    inner_->append(header_);
    block_.reserve(kSealedBlockSize);
  }

  void append(std::span<const uint8_t> bytes) override {
    while (!bytes.empty()) {
      // A full block is sealed only once more bytes arrive: until then it may be the last.
      if (block_.size() == kSealedBlockSize) hand_off(false);
      const size_t n = std::min<size_t>(bytes.size(), kSealedBlockSize - block_.size());
      const size_t at = block_.size();
      block_.resize(at + n);
      std::memcpy(block_.data() + at, bytes.data(), n);
      bytes = bytes.subspan(n);
      size_ += n;
    }
  }

  uint64_t size() const override { return size_; }

  void commit() override {
    hand_off(true);
    if (sealer_) sealer_->drain();  // every block is in the inner writer (or the failure is thrown)
    inner_->commit();
  }

 private:
  void hand_off(bool last) {
    if (!sealer_ && last) {  // a one-block object: sealed here, no thread
      std::vector<uint8_t> sealed(kSealedBlock);
      inner_->append(std::span(sealed).first(seal(block_, index_, last, sealed)));
    } else {
      if (!sealer_) {
        sealer_ = std::make_unique<BlockSealingThread>(
            *inner_,
            [this](std::span<const uint8_t> plain, uint64_t index, bool is_last, std::span<uint8_t> sealed) {
              return seal(plain, index, is_last, sealed);
            },
            kSealedBlock);
      }
      sealer_->submit(block_, index_, last);
    }
    block_.clear();
    ++index_;
  }

  // Runs on the calling thread for a one-block object, else on the sealing thread only.
  size_t seal(std::span<const uint8_t> plain, uint64_t index, bool last, std::span<uint8_t> sealed) const {
    const auto nonce = block_nonce(header_, index);
    const auto ad = ad_->for_block(index, last);
    unsigned long long length = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data(), &length, plain.data(), plain.size(), ad.data(), ad.size(),
                                               nullptr, nonce.data(), key_->sealing.data());
    return static_cast<size_t>(length);
  }

  std::unique_ptr<ObjectWriter> inner_;
  std::shared_ptr<const crypto::MasterKey> key_;
  std::string name_;
  std::vector<uint8_t> header_;
  std::unique_ptr<BlockAd> ad_;
  std::vector<uint8_t> block_;
  uint64_t index_ = 0;
  uint64_t size_ = 0;
  // Last: destroyed (joined) first, while what its seal function uses still exists.
  std::unique_ptr<BlockSealingThread> sealer_;
};

class SealedObjectStore final : public ObjectStore {
 public:
  SealedObjectStore(std::unique_ptr<ObjectStore> inner, std::shared_ptr<const crypto::MasterKey> key)
      : inner_(std::move(inner)), key_(std::move(key)) {
    crypto::require_sodium();
  }

  std::unique_ptr<ObjectWriter> create(const std::string& name) override {
    if (is_unsealed_object(name)) return inner_->create(name);
    forget_head(name);
    return std::make_unique<SealingWriter>(inner_->create(name), key_, name);
  }

  std::vector<uint8_t> read(const std::string& name, uint64_t offset, uint64_t length) const override {
    if (is_unsealed_object(name)) return inner_->read(name, offset, length);
    const auto layout = layout_of(sealed_size(name), name);
    if (offset > layout.plain_size || length > layout.plain_size - offset) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("read object {}: {} bytes at offset {} lie beyond its end ({} bytes)", name, length,
                              offset, layout.plain_size));
    }
    const auto header = sealed_header(name);
    std::vector<uint8_t> out(length);
    if (length == 0) return out;
    const uint64_t first = offset / kSealedBlockSize;
    const uint64_t last = (offset + length - 1) / kSealedBlockSize;
    const uint64_t sealed_from = kSealedHeaderSize + first * kSealedBlock;
    const uint64_t sealed_to = std::min(kSealedHeaderSize + (last + 1) * kSealedBlock,
                                        kSealedHeaderSize + layout.plain_size + layout.blocks * kTagSize);
    const auto sealed = inner_->read(name, sealed_from, sealed_to - sealed_from);
    BlockAd ad(*key_, header, name);
    std::vector<uint8_t> plain(kSealedBlockSize);
    uint64_t copied = 0;
    for (uint64_t index = first; index <= last; ++index) {
      const uint64_t at = (index - first) * kSealedBlock;
      const uint64_t block_bytes = std::min<uint64_t>(kSealedBlock, sealed.size() - at);
      const uint64_t plain_bytes = block_bytes - kTagSize;
      const auto nonce = block_nonce(header, index);
      const auto block_ad = ad.for_block(index, index + 1 == layout.blocks);
      const uint64_t block_start = index * kSealedBlockSize;
      const uint64_t from = std::max(offset, block_start) - block_start;
      const uint64_t to = std::min(offset + length, block_start + plain_bytes) - block_start;
      // A block the range covers whole is opened straight into `out`; the others through `plain`.
      const bool whole = from == 0 && to == plain_bytes;
      uint8_t* const target = whole ? out.data() + copied : plain.data();
      unsigned long long length_out = 0;
      if (crypto_aead_xchacha20poly1305_ietf_decrypt(target, &length_out, nullptr, sealed.data() + at, block_bytes,
                                                     block_ad.data(), block_ad.size(), nonce.data(),
                                                     key_->sealing.data()) != 0) {
        throw Error(ErrorKind::kIntegrity,
                    fmt::format("{} {} is damaged or was tampered with: encrypted block {} of {} (bytes {}..{} of the "
                                "file) does not authenticate under this repository's key (changed bytes, a truncated "
                                "or reordered object, or an object stored under another name)",
                                kind_name(kind_of(name)), name, index, layout.blocks, sealed_from + at,
                                sealed_from + at + block_bytes));
      }
      if (!whole) std::memcpy(out.data() + copied, plain.data() + from, to - from);
      copied += to - from;
    }
    sodium_memzero(plain.data(), plain.size());
    return out;
  }

  uint64_t size(const std::string& name) const override {
    if (is_unsealed_object(name)) return inner_->size(name);
    return layout_of(sealed_size(name), name).plain_size;
  }
  bool exists(const std::string& name) const override { return inner_->exists(name); }
  std::vector<std::string> list(const std::string& prefix) const override { return inner_->list(prefix); }
  void remove(const std::string& name) override {
    forget_head(name);
    inner_->remove(name);
    forget_head(name);  // and what a read on another thread kept meanwhile
  }
  size_t remove_temporaries() override { return inner_->remove_temporaries(); }
  Traffic traffic() const override { return inner_->traffic(); }
  uint64_t request_cost_bytes() const override { return inner_->request_cost_bytes(); }

 private:
  // What every read of a sealed object needs before its blocks: its size and its header. Where a
  // request is costly (an object store) both are kept once read, saving two requests per read:
  // objects are immutable, and this store forgets a name it creates or removes. A folder reads
  // them each time, so that a byte changed under a running process is still seen at once.
  struct Head {
    uint64_t sealed_size = 0;
    std::vector<uint8_t> header;  // empty until read
  };
  static constexpr size_t kMaxHeads = 1u << 16;  // about 4 MiB; cleared whole when full

  bool keeps_heads() const { return inner_->request_cost_bytes() > 0; }

  uint64_t sealed_size(const std::string& name) const {
    if (keeps_heads()) {
      std::lock_guard lock(heads_mutex_);
      if (const auto it = heads_.find(name); it != heads_.end()) return it->second.sealed_size;
    }
    const uint64_t size = inner_->size(name);
    if (keeps_heads()) {
      std::lock_guard lock(heads_mutex_);
      if (heads_.size() >= kMaxHeads) heads_.clear();
      heads_.try_emplace(name, Head{size, {}});
    }
    return size;
  }

  std::vector<uint8_t> sealed_header(const std::string& name) const {
    if (keeps_heads()) {
      std::lock_guard lock(heads_mutex_);
      if (const auto it = heads_.find(name); it != heads_.end() && !it->second.header.empty()) {
        return it->second.header;
      }
    }
    auto header = inner_->read(name, 0, kSealedHeaderSize);
    check_header(header, name);
    if (keeps_heads()) {
      std::lock_guard lock(heads_mutex_);
      if (const auto it = heads_.find(name); it != heads_.end()) it->second.header = header;
    }
    return header;
  }

  void forget_head(const std::string& name) {
    std::lock_guard lock(heads_mutex_);
    heads_.erase(name);
  }

  static void check_header(std::span<const uint8_t> header, const std::string& name) {
    if (std::memcmp(header.data(), kSealedMagic.data(), kSealedMagic.size()) != 0) {
      throw Error(ErrorKind::kIntegrity, fmt::format("{} {} is damaged or not encrypted: it does not start with '{}'",
                                                     kind_name(kind_of(name)), name, kSealedMagic));
    }
    const auto version = le::load<uint32_t>(header, kSealedVersionAt);
    const auto block_size = le::load<uint32_t>(header, kSealedBlockSizeAt);
    if (version != kSealedVersion || block_size != kSealedBlockSize) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("{} {} is damaged: encrypted object version {} with {}-byte blocks (this build writes "
                              "and reads version {} with {}-byte blocks)",
                              kind_name(kind_of(name)), name, version, block_size, kSealedVersion, kSealedBlockSize));
    }
  }

  std::unique_ptr<ObjectStore> inner_;
  std::shared_ptr<const crypto::MasterKey> key_;
  mutable std::mutex heads_mutex_;
  mutable std::unordered_map<std::string, Head> heads_;
};

}  // namespace

bool is_unsealed_object(const std::string& name) {
  return name == config_format::kObjectName || name.compare(0, kSlotPrefix.size(), kSlotPrefix) == 0;
}

std::unique_ptr<ObjectStore> seal_object_store(std::unique_ptr<ObjectStore> inner,
                                               std::shared_ptr<const crypto::MasterKey> key) {
  return std::make_unique<SealedObjectStore>(std::move(inner), std::move(key));
}

}  // namespace certvault
