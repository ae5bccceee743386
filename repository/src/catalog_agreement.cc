#include "catalog_agreement.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "certvault/base/hex.h"

namespace certvault {
namespace {

std::string shown(const std::string& value) { return fmt::format("'{}'", value); }
std::string shown(const catalog::Digest& value) { return to_hex(value); }
std::string shown(const std::vector<uint8_t>& value) { return fmt::format("{} bytes", value.size()); }
template <typename Number>
std::string shown(Number value) {
  return std::to_string(value);
}
template <typename T>
std::string shown(const std::optional<T>& value) {
  return value ? shown(*value) : std::string("none");
}

// Collects the first disagreement; later comparisons are skipped once one is found.
class FirstDifference {
 public:
  template <typename T>
  void field(const std::string& name, const T& in_object, const T& in_catalog) {
    if (!found_.empty() || in_object == in_catalog) return;
    found_ = fmt::format("{} is {} in the object but {} in the catalog", name, shown(in_object), shown(in_catalog));
  }
  void count(const std::string& what, size_t in_object, size_t in_catalog) {
    if (!found_.empty() || in_object == in_catalog) return;
    found_ = fmt::format("the object lists {} {} but the catalog {}", in_object, what, in_catalog);
  }
  bool found() const { return !found_.empty(); }
  std::string result() const { return found_; }

 private:
  std::string found_;
};

}  // namespace

std::string recipe_disagreement(const catalog::RecipeRecord& object, const catalog::RecipeRecord& row) {
  FirstDifference difference;
  difference.field("the recipe id", object.id, row.id);
  difference.field("the delta base", object.base, row.base);
  difference.field("the logical size", object.logical_size, row.logical_size);
  difference.field("the chunk count", object.chunk_count, row.chunk_count);
  difference.field("the encoded recipe", object.body, row.body);
  return difference.result();
}

std::string manifest_disagreement(const manifest::Manifest& object, const catalog::SnapshotRecord& row,
                                  const std::vector<catalog::FileRecord>& files,
                                  const std::vector<catalog::MissingFile>& missing_files) {
  FirstDifference difference;
  const auto& s = object.snapshot;
  difference.field("the snapshot id", s.id, row.id);
  difference.field("the creation time", s.created_unix, row.created_unix);
  difference.field("the creation time in microseconds", s.created_us, row.created_us);
  difference.field("the commit sequence", s.commit_seq, row.commit_seq);
  difference.field("the resolved source path", s.source_path, row.source_path);
  difference.field("the kind", s.kind, row.kind);
  difference.field("the source", s.source, row.source);
  difference.field("the server", s.server, row.server);
  difference.field("the CA name", s.ca_name, row.ca_name);
  // The catalog keeps tags as a set and reads them back sorted.
  auto object_tags = s.tags;
  std::sort(object_tags.begin(), object_tags.end());
  object_tags.erase(std::unique(object_tags.begin(), object_tags.end()), object_tags.end());
  auto catalog_tags = row.tags;
  std::sort(catalog_tags.begin(), catalog_tags.end());
  difference.count("tags", object_tags.size(), catalog_tags.size());
  for (size_t i = 0; !difference.found() && i < object_tags.size(); ++i) {
    difference.field(fmt::format("tag {}", i), object_tags[i], catalog_tags[i]);
  }
  difference.field("the parent", s.parent, row.parent);
  difference.field("the base full", s.base_full, row.base_full);
  difference.field("the lowest log generation", s.gen_low, row.gen_low);
  difference.field("the highest log generation", s.gen_high, row.gen_high);
  difference.field("the logical size", s.logical_size, row.logical_size);
  difference.field("the added size", s.added_size, row.added_size);
  difference.field("the raw restore map", s.restore_map_raw, row.restore_map_raw);
  difference.count("restore map entries", s.restore_map.size(), row.restore_map.size());
  for (size_t i = 0; !difference.found() && i < s.restore_map.size(); ++i) {
    const auto where = fmt::format("restore map entry {}", i);
    difference.field(where + " type code", s.restore_map[i].type_code, row.restore_map[i].type_code);
    difference.field(where + " path", s.restore_map[i].path, row.restore_map[i].path);
  }
  difference.count("files", object.files.size(), files.size());
  for (size_t i = 0; !difference.found() && i < object.files.size(); ++i) {
    const auto& a = object.files[i];
    const auto& b = files[i];
    const auto where = fmt::format("file {} ('{}')", i, b.path);
    difference.field(where + " sequence number", a.seq, b.seq);
    difference.field(where + " path", a.path, b.path);
    difference.field(where + " role", a.role, b.role);
    difference.field(where + " type code", a.type_code, b.type_code);
    difference.field(where + " API path", a.api_path, b.api_path);
    difference.field(where + " size", a.size, b.size);
    difference.field(where + " digest", a.digest, b.digest);
    difference.field(where + " recipe", a.recipe, b.recipe);
    difference.field(where + " log generation", a.log_generation, b.log_generation);
  }
  difference.count("missing files", object.missing_files.size(), missing_files.size());
  for (size_t i = 0; !difference.found() && i < object.missing_files.size(); ++i) {
    const auto where = fmt::format("missing file {}", i);
    difference.field(where + " path", object.missing_files[i].path, missing_files[i].path);
    difference.field(where + " reason", object.missing_files[i].reason, missing_files[i].reason);
  }
  return difference.result();
}

}  // namespace certvault
