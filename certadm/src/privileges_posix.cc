// POSIX: the simulated CA checks no privileges, so there is nothing to enable.
#include "privileges.h"

namespace certvault::certadm {

void enable(Privilege) {}

}  // namespace certvault::certadm
