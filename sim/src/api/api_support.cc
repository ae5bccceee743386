// Shared machinery of the exported functions: call logging, fault injection,
// exceptions turned into HRESULTs, handle checks and list buffers.
#include "api/api_support.h"

#include <fmt/format.h>

#include <cstring>
#include <new>

#include "core/engine.h"
#include "core/faults.h"
#include "core/file_layer.h"
#include "core/sim_error.h"
#include "core/state.h"
#include "core/utf.h"

namespace casim::api {
namespace {

namespace hr = certadm_sim;

void record_error(const fs::path& root, const char* call, HRESULT result, const std::string& message) {
  try {
    casim::files::append_text(casim::state_dir_of(root) / "errors.log",
                              fmt::format("{} 0x{:08X}: {}\n", call, static_cast<uint32_t>(result), message));
  } catch (...) {
    // Diagnostics only: a failure to record must not change the call's result.
  }
}

}  // namespace

std::u16string_view wide_view(const WCHAR* text) {
  size_t length = 0;
  while (text[length] != 0) ++length;
  return std::u16string_view(reinterpret_cast<const char16_t*>(text), length);
}

std::string utf8_of(const WCHAR* text) { return utf16_to_utf8(wide_view(text)); }

// Runs `body` for a CA folder: injected failures first, then the body; logs the call,
// applies offline_after faults, and turns exceptions into HRESULTs.
HRESULT run_for_folder(const fs::path& root, const char* call, const std::function<HRESULT()>& body) {
  HRESULT result = hr::kEFail;
  std::string message;
  try {
    if (auto injected = faults::injected_failure(root, call)) {
      result = *injected;
      message = "injected by casim fault";
    } else {
      result = body();
    }
  } catch (const SimError& error) {
    result = error.hresult();
    message = error.what();
  } catch (const std::bad_alloc&) {
    result = hr::kEOutOfMemory;
    message = "out of memory";
  } catch (const std::exception& error) {
    result = hr::kEFail;
    message = error.what();
  }
  try {
    if (faults::offline_after(root, call)) stop_ca(root);
    faults::log_call(root, call, result);
  } catch (...) {
    // The CA folder became unusable; the call's own result still stands.
  }
  if (failed(result)) record_error(root, call, result, message.empty() ? "refused" : message);
  return result;
}

// The folder a server argument names, or nullopt when it names no CA (nothing can be logged then).
std::optional<fs::path> folder_of_server(const WCHAR* server, HRESULT& result) {
  if (server == nullptr) {
    result = hr::kEPointer;
    return std::nullopt;
  }
  try {
    fs::path root = fs::absolute(path_from_utf8(utf8_of(server))).lexically_normal();
    if (root.has_parent_path() && root.filename().empty()) root = root.parent_path();  // "DIR/" names DIR
    if (!is_ca_folder(root)) {
      result = hr::kBadNetPath;
      return std::nullopt;
    }
    return root;
  } catch (const SimError& error) {
    result = error.hresult();
    return std::nullopt;
  } catch (const std::exception&) {
    result = hr::kBadNetPath;
    return std::nullopt;
  }
}

void require_online(const fs::path& root) {
  if (!load_state(root).online) {
    throw SimError(hr::kServerUnavailable, fmt::format("the CA service of {} is stopped", path_to_utf8(root)));
  }
}

HRESULT run_for_session(HCSBC context, const char* call, Session::Kind kind, bool needs_online,
                        const std::function<HRESULT(Session&)>& body) {
  Session* session = find_session(context);
  if (session == nullptr) return hr::kEHandle;  // never issued: no CA to log to
  return run_for_folder(session->root, call, [&]() -> HRESULT {
    if (session->ended) throw SimError(hr::kEHandle, "the context was already ended");
    if (session->kind != kind) {
      throw SimError(hr::kEHandle, kind == Session::Kind::kBackup ? "a restore context passed to a backup call"
                                                                  : "a backup context passed to a restore call");
    }
    if (needs_online) require_online(session->root);
    return body(*session);
  });
}

std::string without_type_code(const std::string& name) {
  if (!name.empty()) {
    const auto code = static_cast<unsigned char>(name[0]);
    if (code == CSBFT_LOG || code == CSBFT_LOG_DIR || code == CSBFT_CHECKPOINT_DIR ||
        code == CSBFT_CERTSERVER_DATABASE || code == CSBFT_PATCH_FILE || code == CSBFT_UNKNOWN) {
      return name.substr(1);
    }
  }
  return name;
}

// A multi-string: each entry NUL-terminated, one more NUL at the end (two NULs when empty).
HRESULT return_list(const fs::path& root, const std::vector<std::u16string>& entries, WCHAR** list, DWORD* bytes) {
  std::u16string joined;
  for (const auto& entry : entries) {
    joined += entry;
    joined += u'\0';
  }
  if (entries.empty()) joined += u'\0';
  joined += u'\0';
  const size_t size = joined.size() * sizeof(WCHAR);
  auto* buffer = static_cast<WCHAR*>(allocate_buffer(size, root));
  std::memcpy(buffer, joined.data(), size);
  *list = buffer;
  *bytes = static_cast<DWORD>(size);
  return hr::kSOk;
}

std::u16string typed(WCHAR code, const fs::path& path) {
  // Appended, not `u16string + u16string&&`: GCC 12 at -O3 reports a false -Wrestrict there.
  std::u16string entry(1, static_cast<char16_t>(code));
  entry += utf8_to_utf16(path_to_utf8(path));
  return entry;
}

std::u16string plain(const fs::path& path) { return utf8_to_utf16(path_to_utf8(path)); }

void end_session(Session& session) {
  session.open_file.reset();
  session.backup_lock.release();
  session.ended = true;
}

}  // namespace casim::api
