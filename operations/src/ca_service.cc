#include "certvault/operations/ca_service.h"

#include <fmt/format.h>

#include "certvault/base/child_process.h"
#include "certvault/base/error.h"

namespace certvault {

std::string start_ca_service(const std::string& server, const std::filesystem::path& casim) {
  if (!is_simulated_ca(server)) {
    throw Error(ErrorKind::kUsage, fmt::format("--start: starting '{}' is not supported here; start the CA service "
                                               "yourself (Windows: `net start certsvc`), it recovers the restore "
                                               "before it serves",
                                               server));
  }
  const auto program = casim.empty() ? find_casim() : casim;
  if (program.empty()) throw Error(ErrorKind::kUsage, "--start: casim was not found beside certvault (use --casim)");
  const auto result = run_program({program.string(), "start", server});
  if (result.exit_code != 0) {
    throw Error(ErrorKind::kApi,
                fmt::format("the restore is registered, but starting the CA (recovery) failed: {}", result.output));
  }
  return result.output;
}

}  // namespace certvault
