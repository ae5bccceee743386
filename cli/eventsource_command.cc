#include <cstdio>

#include "certvault/base/event_log.h"
#include "commands.h"

namespace certvault::cli {

void register_install_eventsource_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "install-eventsource",
      "Windows: register the event source 'certvault' in the Application log (once, from an elevated prompt)");
  command->callback([] {
    const std::string file = event_log::install_event_source();
    std::printf("registered event source %s (HKLM\\%s), message file %s\n", event_log::kSourceName,
                event_log::kSourceKey, file.c_str());
  });
}

}  // namespace certvault::cli
