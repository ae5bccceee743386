#include "maintenance_support.h"

#include <fmt/format.h>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "keyed_hash.h"
#include "manifest.h"
#include "recipe.h"
#include "recipe_store.h"

namespace certvault::maintenance {
namespace {

bool is_lower_hex(const std::string& text) { return text.find_first_not_of("0123456789abcdef") == std::string::npos; }

}  // namespace

std::optional<std::string> snapshot_id_of_manifest(const std::string& name) {
  const std::string prefix = "snapshots/", suffix = ".snap";
  if (name.size() != prefix.size() + 32 + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix)) {
    return std::nullopt;
  }
  std::string id = name.substr(prefix.size(), 32);
  if (!is_lower_hex(id)) return std::nullopt;
  return id;
}

std::optional<catalog::Digest> recipe_id_of_object(const std::string& name) {
  const std::string prefix = "recipes/", suffix = ".recipe";
  if (name.size() != prefix.size() + 3 + 32 + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix)) {
    return std::nullopt;
  }
  const std::string hex = name.substr(prefix.size() + 3, 32);
  if (!is_lower_hex(hex) || name.substr(prefix.size(), 3) != hex.substr(0, 2) + "/") return std::nullopt;
  catalog::Digest id{};
  from_hex_exact(hex, id, "recipe object name " + name);
  return id;
}

std::string manifest_damage(const ObjectStore& objects, const std::string& name) {
  const auto id = snapshot_id_of_manifest(name);
  if (!id) return {};  // not named as a snapshot's manifest: no snapshot can depend on it
  try {
    const auto object = manifest::decode(objects.read_all(name), "manifest " + name);
    if (object.snapshot.id != *id) {
      return fmt::format("manifest {}: holds snapshot {}, not the one it is named after", name, object.snapshot.id);
    }
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

std::string unrecoverable_snapshot(const catalog::Catalog& catalog, const ObjectStore& objects,
                                   std::span<const uint8_t> secret, const std::string& name) {
  if (auto why = manifest_damage(objects, name); !why.empty()) return why;
  const auto id = snapshot_id_of_manifest(name);
  if (!id || catalog.has_snapshot(*id)) return {};
  const auto object = manifest::decode(objects.read_all(name), "manifest " + name);
  for (const auto& file : object.files) {
    std::optional<catalog::Digest> next = file.recipe;
    for (uint32_t depth = 0; next && depth <= recipe::kMaxDeltaDepth + 1; ++depth) {
      const auto recipe_id = *next;
      next.reset();
      if (catalog.has_recipe(recipe_id)) break;
      const auto recipe_name = recipe::object_name(recipe_id);
      try {
        if (!objects.exists(recipe_name)) throw Error(ErrorKind::kIntegrity, "the object is missing");
        const auto record = recipe::decode_object(objects.read_all(recipe_name), recipe_id, "recipe " + recipe_name);
        if (keyed_hash128(record.body, secret) != recipe_id) {
          throw Error(ErrorKind::kIntegrity, "its encoded recipe does not hash to its name");
        }
        next = record.base;
      } catch (const Error& e) {
        return fmt::format("manifest {}: file '{}' needs recipe {}, which is neither in the catalog nor intact ({})",
                           name, file.path, recipe_name, e.what());
      }
    }
  }
  return {};
}

std::vector<catalog::ChunkId> chunk_ids_named_by(const catalog::RecipeRecord& record) {
  auto decoded = recipe::decode(record.body, "recipe " + to_hex(record.id));
  if (!decoded.base) return std::move(decoded.ids);
  std::vector<catalog::ChunkId> ids;
  for (auto& op : decoded.ops) {
    if (!op.copy) ids.insert(ids.end(), op.ids.begin(), op.ids.end());
  }
  return ids;
}

}  // namespace certvault::maintenance
