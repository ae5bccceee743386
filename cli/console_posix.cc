// console.h on POSIX: the terminal already speaks UTF-8.
#include <unistd.h>

#include "console.h"

namespace certvault::cli::console {

void prepare() {}

std::vector<std::string> arguments(int argc, char** argv) { return std::vector<std::string>(argv, argv + argc); }

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

}  // namespace certvault::cli::console
