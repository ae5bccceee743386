// An ObjectStore held in memory, for fuzz targets whose parser reads its bytes
// through a store (ranged reads, sizes, listings) as the product does: the
// fuzz input is put under a name and the product's own reader is pointed at it.
// It keeps the store contract (certvault/repository/object_store.h): a read
// past an object's end or of a missing object throws Error(kIntegrity).
#pragma once

#include <fmt/format.h>

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "certvault/base/error.h"
#include "certvault/repository/object_store.h"

namespace certvault::fuzz {

class MemoryObjectStore final : public ObjectStore {
 public:
  // Puts `bytes` under `name` at once (no writer): how a fuzz input enters the store.
  void set(const std::string& name, std::span<const uint8_t> bytes) {
    objects_[name].assign(bytes.begin(), bytes.end());
  }

  std::unique_ptr<ObjectWriter> create(const std::string& name) override {
    return std::make_unique<Writer>(*this, name);
  }
  std::vector<uint8_t> read(const std::string& name, uint64_t offset, uint64_t length) const override {
    const auto& bytes = object(name);
    if (offset > bytes.size() || length > bytes.size() - offset) {
      throw Error(ErrorKind::kIntegrity, fmt::format("read object {}: {} bytes at offset {} lie beyond its end ({})",
                                                     name, length, offset, bytes.size()));
    }
    const auto from = bytes.begin() + static_cast<std::ptrdiff_t>(offset);
    return {from, from + static_cast<std::ptrdiff_t>(length)};
  }
  uint64_t size(const std::string& name) const override { return object(name).size(); }
  bool exists(const std::string& name) const override { return objects_.contains(name); }
  std::vector<std::string> list(const std::string& prefix) const override {
    std::vector<std::string> names;
    for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.starts_with(prefix); ++it) {
      names.push_back(it->first);
    }
    return names;
  }
  void remove(const std::string& name) override { objects_.erase(name); }
  size_t remove_temporaries() override { return 0; }
  // Non-zero: the store poses as a remote one, so wrappers keep what saves a request (the sealed
  // store's object heads) and take their other path.
  uint64_t request_cost_bytes() const override { return request_cost_bytes_; }
  void set_request_cost_bytes(uint64_t bytes) { request_cost_bytes_ = bytes; }

 private:
  class Writer final : public ObjectWriter {
   public:
    Writer(MemoryObjectStore& store, std::string name) : store_(store), name_(std::move(name)) {}
    void append(std::span<const uint8_t> bytes) override { bytes_.insert(bytes_.end(), bytes.begin(), bytes.end()); }
    uint64_t size() const override { return bytes_.size(); }
    void commit() override { store_.objects_[name_] = std::move(bytes_); }

   private:
    MemoryObjectStore& store_;
    std::string name_;
    std::vector<uint8_t> bytes_;
  };

  const std::vector<uint8_t>& object(const std::string& name) const {
    const auto it = objects_.find(name);
    if (it == objects_.end()) throw Error(ErrorKind::kIntegrity, fmt::format("object {} does not exist", name));
    return it->second;
  }

  std::map<std::string, std::vector<uint8_t>> objects_;
  uint64_t request_cost_bytes_ = 0;
};

}  // namespace certvault::fuzz
