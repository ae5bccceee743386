// Shared machinery of the exported CertSrv* functions.
//
// Contract: run_for_folder/run_for_session never throw. They apply injected
// failures before the body, turn exceptions into the HRESULT they carry, apply
// offline_after faults, append "<call> 0x<HRESULT>" to the CA's calls.log and the
// reason of a failure to its errors.log. Callers hold api_mutex().
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certadm_sim/hresults.h"
#include "certvault/certadm/abi.h"
#include "core/sessions.h"

namespace casim::api {

constexpr bool failed(HRESULT result) { return result < 0; }

std::u16string_view wide_view(const WCHAR* text);  // text must not be NULL
std::string utf8_of(const WCHAR* text);            // throws SimError(kEInvalidArg) on bad UTF-16

HRESULT run_for_folder(const std::filesystem::path& root, const char* call, const std::function<HRESULT()>& body);
// A handle never issued returns E_HANDLE without logging (no CA is known); an ended
// handle or one of the other kind fails with E_HANDLE, logged to its CA.
HRESULT run_for_session(HCSBC context, const char* call, Session::Kind kind, bool needs_online,
                        const std::function<HRESULT(Session&)>& body);

// The CA folder a server argument names; nullopt (with `result` set) when it names none.
std::optional<std::filesystem::path> folder_of_server(const WCHAR* server, HRESULT& result);
void require_online(const std::filesystem::path& root);  // throws RPC_S_SERVER_UNAVAILABLE

std::string without_type_code(const std::string& name);
// Hands out a multi-string (each entry NUL-terminated, one more NUL; two NULs when empty).
HRESULT return_list(const std::filesystem::path& root, const std::vector<std::u16string>& entries, WCHAR** list,
                    DWORD* bytes);
std::u16string typed(WCHAR code, const std::filesystem::path& path);  // type code + path
std::u16string plain(const std::filesystem::path& path);
void end_session(Session& session);

}  // namespace casim::api
