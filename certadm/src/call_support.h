// Small helpers shared by the wrappers: the API's WCHAR view of our UTF-16
// strings, UTF-8 display of paths, and checking a call's HRESULT.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "certvault/certadm/abi.h"
#include "certvault/certadm/api_error.h"

namespace certvault::certadm::detail {

// WCHAR is char16_t here and wchar_t (also 16-bit) on Windows.
inline const WCHAR* wide(const std::u16string& text) { return reinterpret_cast<const WCHAR*>(text.c_str()); }
inline WCHAR* wide_mutable(std::u16string& text) { return reinterpret_cast<WCHAR*>(text.data()); }

inline std::string path_to_utf8(const std::filesystem::path& path) {
  const std::u8string text = path.u8string();
  return std::string(text.begin(), text.end());
}

// `"text"`, for call descriptions in messages.
// Appended, not `"\"" + std::string(...)`: GCC 12 at -O3 reports a false -Wrestrict there.
inline std::string in_quotes(std::string_view text) {
  std::string quoted(1, '"');
  quoted.append(text);
  quoted += '"';
  return quoted;
}

inline void check(HRESULT result, const char* function, const std::string& call) {
  if (hresult_failed(result)) throw ApiError(function, call, result);
}

}  // namespace certvault::certadm::detail
