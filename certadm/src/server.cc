#include "certvault/certadm/server.h"

#include <fmt/format.h>

#include <cstring>

#include "api_buffer.h"
#include "call_support.h"
#include "privileges.h"

namespace certvault::certadm {
namespace {

using detail::check;
using detail::in_quotes;

std::string backup_flags_text(uint32_t flags) {
  if (flags == CSBACKUP_TYPE_FULL) return "CSBACKUP_TYPE_FULL";
  if (flags == CSBACKUP_TYPE_LOGS_ONLY) return "CSBACKUP_TYPE_LOGS_ONLY";
  return fmt::format("flags 0x{:X}", flags);
}

std::string control_text(uint32_t command) {
  switch (command) {
    case CSCONTROL_SHUTDOWN:
      return "CSCONTROL_SHUTDOWN";
    case CSCONTROL_SUSPEND:
      return "CSCONTROL_SUSPEND";
    case CSCONTROL_RESTART:
      return "CSCONTROL_RESTART";
    default:
      return fmt::format("command {}", command);
  }
}

}  // namespace

Server::Server(std::shared_ptr<Library> library, std::string server_utf8)
    : library_(std::move(library)), server_utf8_(std::move(server_utf8)) {
  if (!library_) throw Error(ErrorKind::kInternal, "certadm::Server needs a loaded Certadm library");
  try {
    server_utf16_ = utf8_to_utf16(server_utf8_);
  } catch (const Error& error) {
    throw Error(ErrorKind::kUsage, fmt::format("the CA server name is not usable: {}", error.what()));
  }
}

const WCHAR* Server::wide_name() const noexcept { return detail::wide(server_utf16_); }

bool Server::is_online() {
  CertadmBool online = 0;
  check(library_->functions().is_server_online(wide_name(), &online), "CertSrvIsServerOnlineW",
        fmt::format("CertSrvIsServerOnlineW({})", in_quotes(server_utf8_)));
  return online != 0;
}

BackupContext Server::prepare_backup(uint32_t backup_flags, uint32_t grbit_jet) {
  enable(Privilege::kBackup);
  HCSBC handle = nullptr;
  const std::string call = fmt::format("CertSrvBackupPrepareW({}, grbitJet 0x{:X}, {})", in_quotes(server_utf8_),
                                       grbit_jet, backup_flags_text(backup_flags));
  check(library_->functions().backup_prepare(wide_name(), grbit_jet, backup_flags, &handle), "CertSrvBackupPrepareW",
        call);
  if (handle == nullptr) throw Error(ErrorKind::kApi, call + " succeeded but returned a NULL context handle");
  return BackupContext(library_, handle, server_utf8_, backup_flags == CSBACKUP_TYPE_FULL);
}

RestoreContext Server::prepare_restore(uint32_t restore_flags) {
  enable(Privilege::kRestore);
  HCSBC handle = nullptr;
  const std::string call =
      fmt::format("CertSrvRestorePrepareW({}, {})", in_quotes(server_utf8_),
                  restore_flags == CSRESTORE_TYPE_FULL ? std::string("CSRESTORE_TYPE_FULL")
                                                       : fmt::format("flags 0x{:X}", restore_flags));
  check(library_->functions().restore_prepare(wide_name(), restore_flags, &handle), "CertSrvRestorePrepareW", call);
  if (handle == nullptr) throw Error(ErrorKind::kApi, call + " succeeded but returned a NULL context handle");
  return RestoreContext(library_, handle, server_utf8_);
}

std::vector<uint8_t> Server::control(uint32_t command) {
  DWORD size = 0;
  BYTE* output = nullptr;
  const std::string call = fmt::format("CertSrvServerControlW({}, {})", in_quotes(server_utf8_), control_text(command));
  const HRESULT result = library_->functions().server_control(wide_name(), command, &size, &output);
  check(result, "CertSrvServerControlW", call);  // out parameters are undefined after a failure
  const auto owned = detail::own_api_buffer(library_, output);
  if (output == nullptr && size != 0) {
    throw Error(ErrorKind::kApi, fmt::format("{} returned a NULL buffer of {} bytes", call, size));
  }
  std::vector<uint8_t> bytes(size);
  if (size != 0) std::memcpy(bytes.data(), output, size);
  return bytes;
}

}  // namespace certvault::certadm
