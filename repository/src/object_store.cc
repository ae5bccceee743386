#include "certvault/repository/object_store.h"

#include <fmt/format.h>

#include "certvault/base/error.h"

namespace certvault {

void ObjectStore::put(const std::string& name, std::span<const uint8_t> bytes) {
  auto writer = create(name);
  writer->append(bytes);
  writer->commit();
}

namespace {
bool allowed_character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}
}  // namespace

void validate_object_name(const std::string& name) {
  const auto refuse = [&](const std::string& why) {
    throw Error(ErrorKind::kRefused, fmt::format("invalid object name \"{}\": {}", name, why));
  };
  if (name.empty()) refuse("it is empty");
  if (name.front() == '/') refuse("it is absolute");
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    const std::string segment = name.substr(start, end - start);
    if (segment.empty()) refuse("it has an empty path segment");
    if (segment == "." || segment == "..") refuse("it has a \".\" or \"..\" segment");
    if (segment.starts_with(".tmp-")) refuse("segments starting with \".tmp-\" are reserved for temp files");
    for (char c : segment) {
      if (!allowed_character(c)) {
        refuse(fmt::format("character 0x{:02x} is outside [A-Za-z0-9._-/]", static_cast<unsigned char>(c)));
      }
    }
    start = end + 1;
  }
}

}  // namespace certvault
