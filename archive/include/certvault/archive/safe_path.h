// Turning names that come from a snapshot (and so from the Certadm API, a
// restore map or a possibly damaged repository) into paths under a target
// folder, refusing anything that could land outside it.
#pragma once

#include <filesystem>
#include <string_view>

namespace certvault {

// Validates a relative, '/'-separated snapshot path and returns target/path.
// Refused with Error(kRefused) naming the path and the rule: empty, absolute
// ('/' or '\\' first), drive letters, UNC prefixes, '..' or '.' segments, empty
// segments, backslashes, ':' (alternate data streams), control characters,
// Windows reserved device names (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any
// extension) and segments ending in a dot or a space.
std::filesystem::path safe_join(const std::filesystem::path& target, std::string_view relative);

}  // namespace certvault
