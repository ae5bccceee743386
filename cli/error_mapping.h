// Maps an exception escaping a command to a message on stderr and an exit code.
#pragma once

#include <exception>

namespace certvault::cli {
int report_exception(const std::exception& e);
}
