// Turning names that come from a snapshot (and so from the Certadm API, a
// restore map or a possibly damaged repository) into paths under a target
// folder, refusing anything that could land outside it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace certvault {

// Validates a relative, '/'-separated snapshot path. Refused with
// Error(kRefused) naming the path and the rule: empty, absolute ('/' or '\\'
// first), drive letters, UNC prefixes, '..' or '.' segments, empty segments,
// backslashes, ':' (alternate data streams), the other characters Windows
// reserves in names ('<', '>', '"', '|', '?', '*'), control characters, Windows
// reserved device names (CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM1-9, LPT1-9,
// COM and LPT with a superscript 1-3, any case, with any extension) and
// segments ending in a dot or a space. The same rules hold on every platform,
// so an export made on Linux unpacks safely on Windows.
void check_relative_path(std::string_view relative);

// Refuses (Error(kRefused), message prefixed by `what`) two paths that name the same
// file when case is ignored, or a path that is both a file and a folder of another path.
void check_distinct_paths(const std::vector<std::string>& paths, std::string_view what);

// The one rule for the paths of one snapshot as export writes them:
// check_relative_path() on each, then check_distinct_paths(). Export applies it
// before writing anything, and every backup applies it to the paths it stores
// before it commits (and so before any log truncation): a snapshot that backs
// up can be exported. `what` prefixes the message ("snapshot 0a1b2c3d4e5f").
void check_exportable_paths(const std::vector<std::string>& paths, std::string_view what);

// check_relative_path(relative), then target/relative.
std::filesystem::path safe_join(const std::filesystem::path& target, std::string_view relative);

// A location a restore writes to on purpose (from the stored restore map, the
// dynamic file list or --relocate): it must be an absolute path of the target
// system — "/..." on POSIX, "X:\..." or "X:/..." on Windows; UNC shares
// ("\\server\share") are refused because a CA restores onto its own disks.
// Refused with Error(kRefused): relative paths, '.' or '..' segments, empty
// segments, control characters, ':' anywhere but after the drive letter,
// reserved device names and segments ending in a dot or a space. `what` names
// the source of the path in the message ("restore map entry 0x44", ...).
// Returns the path with the platform's separators.
std::filesystem::path check_restore_location(std::string_view absolute, std::string_view what);

}  // namespace certvault
