#include "recipe.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "certvault/base/error.h"

namespace certvault::recipe {
namespace {

void put_varint(std::vector<uint8_t>& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

// Resized and copied, not insert(): GCC 12 at -O3 reports a false -Warray-bounds inside
// vector::insert when `out` holds one byte.
void put_id(std::vector<uint8_t>& out, const Hash128& id) {
  const size_t at = out.size();
  out.resize(at + id.size());
  std::copy(id.begin(), id.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
}

class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, const std::string& what) : bytes_(bytes), what_(what) {}
  uint8_t byte() {
    need(1);
    return bytes_[position_++];
  }
  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const uint8_t b = byte();
      value |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return value;
    }
    fail("varint longer than 10 bytes");
  }
  Hash128 id() {
    need(kIdSize);
    Hash128 id;
    std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(position_), kIdSize, id.begin());
    position_ += kIdSize;
    return id;
  }
  // A count of ids that the remaining bytes can actually hold: never allocate on trust.
  uint64_t id_count() {
    const uint64_t n = varint();
    if (n > (bytes_.size() - position_) / kIdSize) fail(fmt::format("{} ids announced, only room for fewer", n));
    return n;
  }
  bool done() const { return position_ == bytes_.size(); }
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(ErrorKind::kIntegrity, fmt::format("{}: malformed recipe at byte {}: {}", what_, position_, why));
  }

 private:
  void need(size_t n) const {
    if (bytes_.size() - position_ < n) fail("unexpected end");
  }
  std::span<const uint8_t> bytes_;
  const std::string& what_;
  size_t position_ = 0;
};

size_t varint_size(uint64_t value) {
  size_t size = 1;
  for (; value >= 0x80; value >>= 7) ++size;
  return size;
}

// Room for the kind byte and the longest varint count in front of a full list being built.
constexpr size_t kFullHeaderRoom = 11;

}  // namespace

std::vector<uint8_t> encode_full(const ChunkList& ids) {
  std::vector<uint8_t> out;
  out.reserve(1 + 10 + ids.size() * kIdSize);
  out.push_back(kKindFull);
  put_varint(out, ids.size());
  for (const auto& id : ids) put_id(out, id);
  return out;
}

std::vector<uint8_t> encode_delta(const Hash128& base_id, const ChunkList& base_ids, const ChunkList& ids) {
  // Where each base id first occurs, to resynchronise after insertions.
  std::unordered_map<Hash128, uint64_t, Hash128Hasher> first_position;
  first_position.reserve(base_ids.size());
  for (uint64_t i = 0; i < base_ids.size(); ++i) first_position.try_emplace(base_ids[i], i);

  struct Op {
    bool copy;
    uint64_t start;
    uint64_t length;
    ChunkList ids;
  };
  std::vector<Op> ops;
  uint64_t expected = 0;  // the base position that would continue the current copy
  for (const auto& id : ids) {
    uint64_t position;
    if (expected < base_ids.size() && base_ids[expected] == id) {
      position = expected;
    } else if (auto it = first_position.find(id); it != first_position.end()) {
      position = it->second;
    } else {
      if (ops.empty() || ops.back().copy) ops.push_back({false, 0, 0, {}});
      ops.back().ids.push_back(id);
      // A changed chunk usually replaces the base chunk at the same position.
      if (expected < base_ids.size()) ++expected;
      continue;
    }
    if (!ops.empty() && ops.back().copy && ops.back().start + ops.back().length == position) {
      ++ops.back().length;
    } else {
      ops.push_back({true, position, 1, {}});
    }
    expected = position + 1;
  }

  std::vector<uint8_t> out;
  out.push_back(kKindDelta);
  put_id(out, base_id);
  put_varint(out, ops.size());
  for (const auto& op : ops) {
    if (op.copy) {
      put_varint(out, kOpCopy);
      put_varint(out, op.start);
      put_varint(out, op.length);
    } else {
      put_varint(out, kOpNew);
      put_varint(out, op.ids.size());
      for (const auto& id : op.ids) put_id(out, id);
    }
  }
  return out;
}

std::vector<uint8_t> full_list_head(uint64_t count) {
  std::vector<uint8_t> head{kKindFull};
  put_varint(head, count);
  return head;
}

Builder::Builder(IdSequence* base_ids, std::filesystem::path spool_folder)
    : base_(base_ids), base_size_(base_ids ? base_ids->size() : 0), spool_folder_(std::move(spool_folder)) {
  if (base_ == nullptr) new_ids_.resize(kFullHeaderRoom);
}

void Builder::expect(uint64_t ids) {
  if (base_ != nullptr || count_ != 0) return;
  // Reserved once at the announced size: grown by doubling, the list of an 8 GiB database's
  // 2^20 pages was copied from 16 into 32 MiB just past its end, 48 MiB for a moment.
  new_ids_.reserve(kFullHeaderRoom + std::min(ids, kObjectOnlyFromIds) * kIdSize);
}

void Builder::append_copy(uint64_t position) {
  if (!ops_.empty() && ops_.back().copy && ops_.back().start + ops_.back().length == position) {
    ++ops_.back().length;
  } else {
    ops_.push_back({true, position, 1});
  }
}

std::optional<uint64_t> Builder::find_in_base(const Hash128& id) {
  const bool sampled = base_size_ > kFullIndexIds;
  if (sampled && id[0] % kIndexSampling != 0) return std::nullopt;
  if (!index_built_) {
    index_built_ = true;
    for (uint64_t i = 0; i < base_size_; ++i) {
      const Hash128 candidate = base_->at(i);
      if (!sampled || candidate[0] % kIndexSampling == 0) first_position_.try_emplace(candidate, i);
    }
  }
  if (auto it = first_position_.find(id); it != first_position_.end()) return it->second;
  return std::nullopt;
}

void Builder::add(const Hash128& id, bool may_be_in_base) {
  if (base_ == nullptr) {
    if (spool_) {
      spool_->append(id);
    } else if (count_ == kObjectOnlyFromIds) {
      // One id past what memory holds: the list goes to disk, ids only (the header comes at commit).
      spool_ = std::make_unique<IdSpool>(spool_folder_);
      spool_->append(std::span(new_ids_).subspan(kFullHeaderRoom));
      spool_->append(id);
      new_ids_ = {};
    } else {
      put_id(new_ids_, id);
    }
    ++count_;
    return;
  }
  const uint64_t base_size = base_size_;
  if (expected_ < base_size && base_->at(expected_) == id) {
    if (expected_ != count_) positional_ = false;
    append_copy(expected_);
    ++expected_;
  } else if (const auto position = may_be_in_base ? find_in_base(id) : std::nullopt) {
    positional_ = false;
    append_copy(*position);
    expected_ = *position + 1;
  } else {
    positional_ = false;
    if (ops_.empty() || ops_.back().copy) ops_.push_back({false, (new_ids_.size()) / kIdSize, 0});
    ++ops_.back().length;
    put_id(new_ids_, id);
    // A changed chunk usually replaces the base chunk at the same position.
    if (expected_ < base_size) ++expected_;
  }
  ++count_;
}

bool Builder::same_as_base() const { return base_ != nullptr && positional_ && count_ == base_size_; }

std::unique_ptr<IdSpool> Builder::finish_spooled() {
  if (!spool_) throw Error(ErrorKind::kInternal, "recipe builder: finish_spooled() without a spool");
  return std::move(spool_);
}

std::vector<uint8_t> Builder::finish(const Hash128& base_id, bool allow_delta) {
  if (spool_) throw Error(ErrorKind::kInternal, "recipe builder: finish() of a spooled list");
  if (base_ == nullptr) {
    // The ids are already encoded after kFullHeaderRoom bytes: write the header just before
    // them and move the whole down in place (no second copy of the list).
    std::vector<uint8_t> header{kKindFull};
    put_varint(header, count_);
    const size_t start = kFullHeaderRoom - header.size();
    std::copy(header.begin(), header.end(), new_ids_.begin() + static_cast<std::ptrdiff_t>(start));
    new_ids_.erase(new_ids_.begin(), new_ids_.begin() + static_cast<std::ptrdiff_t>(start));
    // A hint well above the file's real size (expect()) would otherwise keep its reservation
    // until the snapshot commits.
    if (new_ids_.capacity() - new_ids_.size() > (64u << 10) + new_ids_.size() / 16) new_ids_.shrink_to_fit();
    return std::move(new_ids_);
  }
  if (allow_delta) {
    std::vector<uint8_t> out;
    out.push_back(kKindDelta);
    put_id(out, base_id);
    put_varint(out, ops_.size());
    for (const auto& op : ops_) {
      if (op.copy) {
        put_varint(out, kOpCopy);
        put_varint(out, op.start);
        put_varint(out, op.length);
      } else {
        put_varint(out, kOpNew);
        put_varint(out, op.length);
        const auto from = new_ids_.begin() + static_cast<std::ptrdiff_t>(op.start * kIdSize);
        const size_t at = out.size();
        out.resize(at + op.length * kIdSize);
        std::copy(from, from + static_cast<std::ptrdiff_t>(op.length * kIdSize),
                  out.begin() + static_cast<std::ptrdiff_t>(at));
      }
    }
    // A delta pays off only when much smaller than the full list (1 + 16 bytes per id).
    if (out.size() * 2 < 1 + kIdSize * count_) return out;
  }
  std::vector<uint8_t> out;
  out.reserve(1 + varint_size(count_) + kIdSize * count_);
  out.push_back(kKindFull);
  put_varint(out, count_);
  for (const auto& op : ops_) {
    if (op.copy) {
      for (uint64_t i = 0; i < op.length; ++i) put_id(out, base_->at(op.start + i));
    } else {
      const auto from = new_ids_.begin() + static_cast<std::ptrdiff_t>(op.start * kIdSize);
      const size_t at = out.size();
      out.resize(at + op.length * kIdSize);
      std::copy(from, from + static_cast<std::ptrdiff_t>(op.length * kIdSize),
                out.begin() + static_cast<std::ptrdiff_t>(at));
    }
  }
  return out;
}

namespace {
// decode() and validate(): one parser, which keeps the ids or only checks them.
Decoded parse(std::span<const uint8_t> body, const std::string& what, bool keep_ids) {
  Reader reader(body, what);
  Decoded decoded;
  const uint8_t kind = reader.byte();
  if (kind == kKindFull) {
    const uint64_t n = reader.id_count();
    if (keep_ids) decoded.ids.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      const Hash128 id = reader.id();
      if (keep_ids) decoded.ids.push_back(id);
    }
  } else if (kind == kKindDelta) {
    decoded.base = reader.id();
    const uint64_t op_count = reader.varint();
    if (op_count > body.size()) reader.fail("more ops than bytes");
    for (uint64_t i = 0; i < op_count; ++i) {
      Decoded::Op op;
      const uint64_t tag = reader.varint();
      if (tag == kOpCopy) {
        op.copy = true;
        op.base_start = reader.varint();
        op.length = reader.varint();
        if (op.length == 0) reader.fail("empty copy run");
      } else if (tag == kOpNew) {
        const uint64_t n = reader.id_count();
        if (keep_ids) op.ids.reserve(n);
        for (uint64_t j = 0; j < n; ++j) {
          const Hash128 id = reader.id();
          if (keep_ids) op.ids.push_back(id);
        }
      } else {
        reader.fail(fmt::format("unknown op {}", tag));
      }
      decoded.ops.push_back(std::move(op));
    }
  } else {
    reader.fail(fmt::format("unknown recipe kind {}", kind));
  }
  if (!reader.done()) reader.fail("trailing bytes");
  return decoded;
}
}  // namespace

Decoded decode(std::span<const uint8_t> body, const std::string& what) { return parse(body, what, true); }

std::optional<Hash128> validate(std::span<const uint8_t> body, const std::string& what) {
  return parse(body, what, false).base;
}

ChunkList apply(const Decoded& recipe, const ChunkList* base_ids, const std::string& what) {
  if (!recipe.base) return recipe.ids;
  if (base_ids == nullptr) throw Error(ErrorKind::kIntegrity, what + ": delta recipe without its base");
  ChunkList ids;
  // Reserved up front (no doubling copies of a large list), but never more than the ids the
  // recipe and its base actually hold: the copy lengths are not checked yet.
  uint64_t copied = 0, added = 0;
  for (const auto& op : recipe.ops) (op.copy ? copied : added) += op.copy ? op.length : op.ids.size();
  ids.reserve(std::min<uint64_t>(copied, base_ids->size()) + added);
  for (const auto& op : recipe.ops) {
    if (!op.copy) {
      ids.insert(ids.end(), op.ids.begin(), op.ids.end());
      continue;
    }
    if (op.base_start > base_ids->size() || op.length > base_ids->size() - op.base_start) {
      throw Error(ErrorKind::kIntegrity, fmt::format("{}: copy run [{}, +{}) outside the base's {} chunks", what,
                                                     op.base_start, op.length, base_ids->size()));
    }
    const auto begin = base_ids->begin() + static_cast<std::ptrdiff_t>(op.base_start);
    ids.insert(ids.end(), begin, begin + static_cast<std::ptrdiff_t>(op.length));
  }
  return ids;
}

}  // namespace certvault::recipe
