// The event log on POSIX: there is none (Linux runs certvault against the simulated CA).
#include "certvault/base/error.h"
#include "certvault/base/event_log.h"

namespace certvault::event_log {

bool report_event(Level, Command, const std::string&) { return false; }

std::string install_event_source() {
  throw Error(ErrorKind::kRefused,
              "install-eventsource: there is no Windows event log on this system; the command is for Windows");
}

}  // namespace certvault::event_log
