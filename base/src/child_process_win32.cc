// child_process.h on Windows: CreateProcessW with a command line quoted by
// the rules CommandLineToArgvW and the C runtime parse, output through a pipe.
#include <windows.h>

#include <filesystem>

#include "certvault/base/child_process.h"
#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/base/win32_error.h"

namespace certvault {
namespace {

std::wstring widen(const std::string& utf8) {
  return std::filesystem::path(std::u8string(utf8.begin(), utf8.end())).native();
}

// Quotes one argument so that the child's argv gets it back unchanged:
// backslashes are literal except before a quote, where they are doubled.
std::wstring quoted(const std::wstring& argument) {
  if (!argument.empty() && argument.find_first_of(L" \t\n\v\"") == std::wstring::npos) return argument;
  std::wstring out = L"\"";
  size_t backslashes = 0;
  for (const wchar_t c : argument) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    if (c == L'"')
      out.append(backslashes * 2 + 1, L'\\');
    else
      out.append(backslashes, L'\\');
    backslashes = 0;
    out.push_back(c);
  }
  out.append(backslashes * 2, L'\\');
  return out + L"\"";
}

std::filesystem::path executable_folder() {
  std::wstring executable(32768, L'\0');
  const DWORD length = GetModuleFileNameW(nullptr, executable.data(), static_cast<DWORD>(executable.size()));
  if (length == 0 || length >= executable.size()) return {};
  executable.resize(length);
  return std::filesystem::path(executable).parent_path();
}

class Handle {
 public:
  Handle() = default;
  ~Handle() { reset(); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  HANDLE* out() { return &handle_; }
  HANDLE get() const { return handle_; }
  void reset() {
    if (handle_ != nullptr && handle_ != INVALID_HANDLE_VALUE) CloseHandle(handle_);
    handle_ = nullptr;
  }

 private:
  HANDLE handle_ = nullptr;
};

}  // namespace

ProgramResult run_program(const std::vector<std::string>& argv) {
  const std::string name = argv.empty() ? std::string("(nothing)") : argv.front();
  if (argv.empty()) throw Error(ErrorKind::kFailure, "cannot start (nothing): no program given");
  std::wstring command_line;
  for (const auto& argument : argv) command_line += (command_line.empty() ? L"" : L" ") + quoted(widen(argument));

  SECURITY_ATTRIBUTES inherit{};
  inherit.nLength = sizeof inherit;
  inherit.bInheritHandle = TRUE;
  Handle read_end, write_end;
  if (!CreatePipe(read_end.out(), write_end.out(), &inherit, 0))
    os::throw_win32("cannot start " + name + ": CreatePipe");
  // Only the write end goes to the child.
  SetHandleInformation(read_end.get(), HANDLE_FLAG_INHERIT, 0);

  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  startup.hStdOutput = write_end.get();
  startup.hStdError = write_end.get();
  PROCESS_INFORMATION process{};
  const std::wstring application = widen(argv.front());
  if (!CreateProcessW(application.c_str(), command_line.data(), nullptr, nullptr, TRUE, CREATE_NO_WINDOW, nullptr,
                      nullptr, &startup, &process)) {
    os::throw_win32("cannot start " + name + ": CreateProcessW");
  }
  CloseHandle(process.hThread);
  write_end.reset();  // so ReadFile sees the end when the child exits

  ProgramResult result;
  char buffer[4096];
  DWORD got = 0;
  while (ReadFile(read_end.get(), buffer, sizeof buffer, &got, nullptr) && got > 0) result.output.append(buffer, got);
  WaitForSingleObject(process.hProcess, INFINITE);
  DWORD exit_code = 0;
  GetExitCodeProcess(process.hProcess, &exit_code);
  CloseHandle(process.hProcess);
  result.exit_code = static_cast<int>(exit_code);
  // The child's \r\n line ends, as the POSIX build would see them.
  std::string text;
  for (size_t i = 0; i < result.output.size(); ++i) {
    if (result.output[i] == '\r' && i + 1 < result.output.size() && result.output[i + 1] == '\n') continue;
    text.push_back(result.output[i]);
  }
  result.output = std::move(text);
  return result;
}

std::filesystem::path find_casim() {
  const auto folder = executable_folder();
  if (folder.empty()) return {};
  for (const auto& candidate : {folder / "casim.exe", folder.parent_path() / "sim" / "casim.exe"}) {
    std::error_code error;
    if (std::filesystem::is_regular_file(candidate, error)) return candidate;
  }
  return {};
}

bool is_simulated_ca(const std::string& server) {
  std::error_code error;
  const std::filesystem::path folder(std::u8string(server.begin(), server.end()));
  return std::filesystem::is_regular_file(folder / ".casim" / "state.json", error);
}

}  // namespace certvault
