// The snapshot manifest decoder: the JSON body export, restore and `repair
// catalog` take every file's path, role, size, digest, recipe and log
// generation from. Inputs are tried both as whole objects (frame included) and
// as bodies wrapped in a valid frame, so mutations reach the JSON decoder
// rather than stopping at the frame's checksum. Whatever decodes must survive
// encode + decode unchanged: the decoder may refuse, never reinterpret.
#include <cstdlib>
#include <span>
#include <string>

#include "catalog_agreement.h"
#include "certvault/base/error.h"
#include "framed_object.h"
#include "fuzz_target.h"
#include "manifest.h"

namespace {
using namespace certvault;

manifest::Manifest sample_manifest() {
  manifest::Manifest m;
  auto& s = m.snapshot;
  s.id = "0123456789abcdef0123456789abcdef";
  s.created_unix = 1764000000;
  s.kind = "incremental";
  s.source = "CA01";
  s.server = "CA01";
  s.ca_name = "Contoso Root CA";
  s.tags = {"daily", "b"};
  s.parent = std::string(32, 'a');
  s.base_full = std::string(32, 'b');
  s.gen_low = 3;
  s.gen_high = 0xFFFFFFFFu;
  s.logical_size = 1ull << 40;
  s.added_size = 7;
  s.restore_map_raw = {0x44, 0, 'C', 0, 0, 0, 0, 0};
  s.restore_map.push_back({0x44, "C:\\Windows\\System32\\CertLog"});
  s.restore_map.push_back({0x82, "C:\\Windows\\System32\\CertLog"});
  catalog::FileRecord database;
  database.seq = 0;
  database.path = "DataBase/Contoso Root CA.edb";
  database.role = "database";
  database.type_code = 0x44;
  database.api_path = "C:\\Windows\\System32\\CertLog\\Contoso Root CA.edb";
  database.size = 4096;
  database.digest.fill(0x11);
  database.recipe.fill(0x22);
  catalog::FileRecord log = database;
  log.seq = 1;
  log.path = "DataBase/edb00003.log";
  log.role = "log";
  log.log_generation = 3;
  m.files = {database, log};
  m.missing_files.push_back({"Dynamic/gone.crl", "deleted during the backup"});
  return m;
}

std::vector<std::vector<uint8_t>> manifest_seeds() {
  const auto object = manifest::encode(sample_manifest());
  manifest::Manifest empty;
  empty.snapshot.id = std::string(32, 'f');
  empty.snapshot.kind = "folder";
  return {object, std::vector<uint8_t>(object.begin() + 24, object.end()), manifest::encode(empty)};
}

void require_round_trip(const manifest::Manifest& decoded) {
  const auto again = manifest::decode(manifest::encode(decoded), "fuzz manifest re-encoded");
  if (!manifest_disagreement(again, decoded.snapshot, decoded.files, decoded.missing_files).empty() ||
      again.snapshot.tags != decoded.snapshot.tags || again.snapshot.manifest != decoded.snapshot.manifest) {
    std::abort();  // the decoder let through something encode() does not write back
  }
}

void decode_manifest(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  try {
    require_round_trip(manifest::decode(bytes, "fuzz manifest"));
  } catch (const Error&) {
  }
  try {  // the same bytes as a body in a valid frame: reaches the JSON decoder
    require_round_trip(manifest::decode(framed::wrap(framed::kManifestMagic, manifest::kVersion, bytes), "fuzz body"));
  } catch (const Error&) {
  }
}
}  // namespace

CERTVAULT_FUZZ_TARGET(manifest, manifest_seeds, decode_manifest);
