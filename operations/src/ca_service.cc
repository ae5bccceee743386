#include "certvault/operations/ca_service.h"

#include <fmt/format.h>

#include "certvault/base/child_process.h"
#include "certvault/base/error.h"

namespace certvault {

namespace {

std::filesystem::path startable_with(const std::string& server, const std::filesystem::path& casim) {
  if (!is_simulated_ca(server)) {
    throw Error(ErrorKind::kUsage,
                fmt::format("--start: starting '{}' is not supported: the Certadm API cannot start a stopped CA "
                            "service (only the simulated CA has one certvault can start). Nothing was restored; "
                            "run the restore without --start, then start the service yourself (Windows: `net "
                            "start certsvc`), it recovers the restore before it serves",
                            server));
  }
  const auto program = casim.empty() ? find_casim() : casim;
  if (program.empty()) throw Error(ErrorKind::kUsage, "--start: casim was not found beside certvault (use --casim)");
  return program;
}

}  // namespace

void check_ca_service_startable(const std::string& server, const std::filesystem::path& casim) {
  startable_with(server, casim);
}

std::string start_ca_service(const std::string& server, const std::filesystem::path& casim) {
  const auto program = startable_with(server, casim);
  const auto result = run_program({program.string(), "start", server});
  if (result.exit_code != 0) {
    throw Error(ErrorKind::kApi,
                fmt::format("the restore is registered, but starting the CA (recovery) failed: {}", result.output));
  }
  return result.output;
}

}  // namespace certvault
