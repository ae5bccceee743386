// Starting a CA service after a restore (`certvault restore --start`).
//
// Contract: the Certadm API cannot start a stopped service. For a simulated CA (is_simulated_ca())
// start_ca_service() runs `casim start SERVER` and returns its output (recovery replays the
// restored logs before the CA serves). `casim` is the given program, or find_casim() when empty:
// Error(kUsage) if it is not found. A real CA is refused with Error(kUsage) telling the operator to
// start the service; a failed start is Error(kApi) quoting casim's output.
#pragma once

#include <filesystem>
#include <string>

namespace certvault {

std::string start_ca_service(const std::string& server, const std::filesystem::path& casim);

// The same refusals as start_ca_service() (Error(kUsage): a real CA, or no casim), without starting
// anything: `restore --start` calls it before the restore, so a --start that cannot work is refused
// before anything is staged or registered.
void check_ca_service_startable(const std::string& server, const std::filesystem::path& casim);

}  // namespace certvault
