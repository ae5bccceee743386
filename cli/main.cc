#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "commands.h"
#include "console.h"
#include "error_mapping.h"
#include "exit_codes.h"

namespace certvault::cli {
int& command_exit_code() {
  static int code = kExitOk;
  return code;
}
}  // namespace certvault::cli

int main(int argc, char** argv) {
  using namespace certvault::cli;
  CLI::App app{"certvault — incremental deduplicating backups of Windows Certificate Services"};
  app.set_version_flag("--version", std::string("certvault ") + CERTVAULT_VERSION);
  app.require_subcommand(1);
  app.footer(kExitCodeHelp);
  register_init_command(app);
  register_backup_command(app);
  register_snapshots_command(app);
  register_show_command(app);
  register_diff_command(app);
  register_stats_command(app);
  register_forget_command(app);
  register_export_command(app);
  register_restore_command(app);
  register_verify_command(app);
  register_prune_command(app);
  register_check_command(app);
  register_repair_command(app);
  register_unlock_command(app);
  register_status_command(app);
  register_install_eventsource_command(app);
  register_key_command(app);
  register_migrate_command(app);
  register_copy_command(app);

  console::prepare();
  bool status_plugin = false;  // `status --plugin`: a bad command line is UNKNOWN (3), not 2
  try {
    // CLI11 takes the arguments in reverse order when given a vector.
    std::vector<std::string> arguments = console::arguments(argc, argv);
    if (!arguments.empty()) {
      app.name(arguments.front());  // what parse(argc, argv) would show in the usage line
      arguments.erase(arguments.begin());
    }
    status_plugin = !arguments.empty() && arguments.front() == "status" &&
                    std::find(arguments.begin(), arguments.end(), "--plugin") != arguments.end();
    std::reverse(arguments.begin(), arguments.end());
    app.parse(arguments);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  } catch (const CLI::CallForVersion& e) {
    app.exit(e);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    if (status_plugin) {
      std::printf("CERTVAULT UNKNOWN - bad command line: %s\n", e.what());
      return 3;
    }
    app.exit(e);
    return kExitUsage;
  } catch (const std::exception& e) {
    return report_exception(e);
  }
  return command_exit_code();
}
