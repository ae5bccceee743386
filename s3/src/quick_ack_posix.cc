#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "quick_ack.h"

namespace certvault::s3 {

void acknowledge_now(int socket) {
#ifdef TCP_QUICKACK
  if (socket < 0) return;
  const int on = 1;
  (void)setsockopt(socket, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
#else
  (void)socket;
#endif
}

}  // namespace certvault::s3
