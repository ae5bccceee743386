// A byte count as people read it: "512 B", "1.5 KiB", "3.2 GiB" (binary units, one decimal).
// The one spelling of sizes in certvault's text output, progress line and HTML report.
#pragma once

#include <cstdint>
#include <string>

namespace certvault {

std::string byte_count_text(uint64_t bytes);

}  // namespace certvault
