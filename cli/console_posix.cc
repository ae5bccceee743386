// console.h on POSIX: the terminal already speaks UTF-8.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "certvault/base/error.h"
#include "console.h"

namespace certvault::cli::console {

void prepare() {}

std::vector<std::string> arguments(int argc, char** argv) { return std::vector<std::string>(argv, argv + argc); }

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

bool stdin_is_terminal() { return isatty(STDIN_FILENO) == 1; }

std::string read_secret(const std::string& prompt) {
  std::fprintf(stderr, "%s", prompt.c_str());
  std::fflush(stderr);
  termios saved{};
  const bool terminal = tcgetattr(STDIN_FILENO, &saved) == 0;
  if (terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool read = static_cast<bool>(std::getline(std::cin, line));
  if (terminal) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  if (!read) throw Error(ErrorKind::kUsage, "no passphrase was typed (end of input)");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace certvault::cli::console
