// Asking the kernel to acknowledge what a connection has received at once.
#pragma once

namespace certvault::s3 {

// Sends the ACK of what `socket` has received now instead of up to 40 ms later (Linux's
// TCP_QUICKACK; nothing where there is no such option, or for a socket of -1). A gateway that
// writes a response's head and body separately with Nagle's algorithm on (Ceph RGW's beast
// frontend unless configured with tcp_nodelay=1) holds the body until the head is acknowledged,
// and Linux delays that ACK on a reused connection, where request and response alternate: every
// GET then took 44 ms however small (measured against RGW on 127.0.0.1: an export of 32 MiB made
// of 86 requests took 2.4 s, 0.17 s with this). The setting is not sticky: it is made once the
// head of each response is in. A hint: a failure changes nothing.
void acknowledge_now(int socket);

}  // namespace certvault::s3
