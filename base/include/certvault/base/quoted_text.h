// Quoting names (from the CA, the API, a damaged repository) into text written for people or
// programs line by line — the export's MANIFEST, messages — so that no name can end a line early
// or forge one: a value holding a control character (a newline...), DEL, or starting with '"' is
// written as a JSON string ("...", with \n, \t, \", \\ and \u00XX escapes), which a reader
// decodes when the value starts with '"'. Any other value is written as it is, so ordinary names
// (Windows paths with their backslashes included) read as before.
#pragma once

#include <string>
#include <string_view>

namespace certvault {

std::string quoted_if_needed(std::string_view value);

}  // namespace certvault
