// Recipes, snapshot manifests, framed objects and the config file: everything
// certvault reads back from a repository that might be damaged.
#include <cstdlib>
#include <span>
#include <string>

#include "certvault/base/error.h"
#include "certvault/repository/repository.h"
#include "framed_object.h"
#include "fuzz_target.h"
#include "keyed_hash.h"
#include "manifest.h"
#include "recipe.h"
#include "recipe_store.h"

namespace {
std::vector<std::vector<uint8_t>> object_seeds() {
  using namespace certvault;
  recipe::ChunkList ids(3);
  for (size_t i = 0; i < ids.size(); ++i) ids[i].fill(static_cast<uint8_t>(i + 1));
  auto changed = ids;
  changed[1].fill(9);
  manifest::Manifest manifest;
  manifest.snapshot.id = std::string(32, 'a');
  manifest.snapshot.kind = "full";
  manifest.snapshot.restore_map_raw = {0x44, 0, 'C', 0, 0, 0, 0, 0};
  manifest.snapshot.restore_map.push_back({0x44, "C"});
  catalog::FileRecord file;
  file.path = "DataBase/ca.edb";
  manifest.files.push_back(file);
  manifest.missing_files.push_back({"x", "gone"});
  RepositoryConfig config;
  config.repository_id = std::string(32, 'b');
  config.chunk_params = chunker::Params::from_average(8192);
  const std::string config_text = config.serialize();
  return {recipe::encode_full(ids), recipe::encode_delta(ids[0], ids, changed), manifest::encode(manifest),
          std::vector<uint8_t>(config_text.begin(), config_text.end())};
}

void parse_objects(const uint8_t* data, size_t size) {
  using namespace certvault;
  const std::span<const uint8_t> bytes(data, size);
  try {
    const auto decoded = recipe::decode(bytes, "fuzz recipe");
    recipe::ChunkList base(4);
    (void)recipe::apply(decoded, &base, "fuzz recipe");
  } catch (const Error&) {
  }
  {
    // validate() must accept and refuse exactly what decode() does, and find the same base.
    std::optional<std::optional<Hash128>> decoded_base, validated_base;
    try {
      decoded_base = recipe::decode(bytes, "fuzz recipe").base;
    } catch (const Error&) {
    }
    try {
      validated_base = recipe::validate(bytes, "fuzz recipe");
    } catch (const Error&) {
    }
    if (decoded_base != validated_base) std::abort();
  }
  try {
    (void)manifest::decode(bytes, "fuzz manifest");
  } catch (const Error&) {
  }
  try {
    (void)framed::unwrap(bytes, framed::kRecipeMagic, 1, "fuzz frame");
  } catch (const Error&) {
  }
  try {  // a whole recipe object file, as repair and check read it
    const auto record =
        recipe::decode_object(std::vector<uint8_t>(bytes.begin(), bytes.end()), Hash128{}, "fuzz recipe object");
    const auto decoded = recipe::decode(record.body, "fuzz recipe object");
    recipe::ChunkList base(4);
    (void)recipe::apply(decoded, &base, "fuzz recipe object");
  } catch (const Error&) {
  }
  try {
    (void)RepositoryConfig::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz config");
  } catch (const Error&) {
  }
}
}  // namespace

CERTVAULT_FUZZ_TARGET(repository_objects, object_seeds, parse_objects);
