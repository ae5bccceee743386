// The one exception type of the sim: a message naming what failed and why, and
// the HRESULT the Certadm API returns for it (casim prints the message).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "certadm_sim/hresults.h"

namespace casim {

class SimError : public std::runtime_error {
 public:
  SimError(int32_t hresult, const std::string& message) : std::runtime_error(message), hresult_(hresult) {}
  int32_t hresult() const { return hresult_; }

 private:
  int32_t hresult_;
};

}  // namespace casim
