#include "fault_proxy.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace certvault_s3_test {
namespace {

constexpr size_t kMaxHead = 64 << 10;

bool send_all(int socket, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(socket, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

// Appends what arrives to `buffer`; false at the end of the stream or on an error.
bool receive_some(int socket, std::string& buffer) {
  char chunk[64 << 10];
  for (;;) {
    const ssize_t got = ::recv(socket, chunk, sizeof chunk, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(got));
    return true;
  }
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// Closes with a reset (RST) instead of an orderly end.
void reset(int socket) {
  linger option{1, 0};
  ::setsockopt(socket, SOL_SOCKET, SO_LINGER, &option, sizeof option);
  ::close(socket);
}

std::string error_answer(int status, const char* reason, const char* code) {
  const std::string body = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{}</Code><Message>injected by the fault "
      "proxy</Message></Error>",
      code);
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", status,
      reason, body.size(), body);
}

struct ParsedRequest {
  std::string forwarded_head;  // with "Connection: close" and without "Expect"
  size_t content_length = 0;
  bool expects_continue = false;
};

ParsedRequest parse_head(const std::string& head) {
  ParsedRequest parsed;
  size_t start = 0;
  bool first = true;
  while (start < head.size()) {
    size_t end = head.find("\r\n", start);
    if (end == std::string::npos) end = head.size();
    const std::string line = head.substr(start, end - start);
    start = end + 2;
    if (line.empty()) continue;
    if (first) {
      parsed.forwarded_head += line + "\r\n";
      first = false;
      continue;
    }
    const auto colon = line.find(':');
    const std::string name = lower(line.substr(0, colon));
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (name == "content-length") parsed.content_length = std::stoull(value);
    if (name == "expect") {
      parsed.expects_continue = lower(value) == "100-continue";
      continue;
    }
    if (name == "connection") continue;
    parsed.forwarded_head += line + "\r\n";
  }
  parsed.forwarded_head += "Connection: close\r\n\r\n";
  return parsed;
}

}  // namespace

const char* fault_name(Fault fault) {
  switch (fault) {
    case Fault::kInternalError:
      return "500 InternalError";
    case Fault::kSlowDown:
      return "503 SlowDown";
    case Fault::kResetBefore:
      return "reset before forwarding";
    case Fault::kResetAfter:
      return "reset after forwarding";
    case Fault::kTruncate:
      return "truncated answer";
  }
  return "?";
}

FaultProxy::FaultProxy(std::string upstream_host, uint16_t upstream_port, uint64_t seed, double fault_rate,
                       uint16_t port)
    : upstream_host_(std::move(upstream_host)),
      upstream_port_(upstream_port),
      fault_rate_(fault_rate),
      generator_(seed) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) throw std::runtime_error("fault proxy: socket: " + std::string(std::strerror(errno)));
  int on = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 64) != 0) {
    const std::string why = std::strerror(errno);
    ::close(listener_);
    throw std::runtime_error(fmt::format("fault proxy: listen on 127.0.0.1:{}: {}", port, why));
  }
  socklen_t length = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
  acceptor_.join();
  ::close(listener_);
  std::vector<Connection> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (auto& connection : connections) connection.thread.join();
}

std::string FaultProxy::summary() const {
  std::string text = fmt::format("{} requests", requests_.load());
  for (size_t i = 0; i < kFaultKinds; ++i)
    text += fmt::format(", {} x {}", fault_name(static_cast<Fault>(i)), injected_[i].load());
  return text;
}

void FaultProxy::accept_loop() {
  while (!stopping_) {
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    // A client that stops talking does not keep the proxy from stopping for long.
    timeval timeout{30, 0};
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::lock_guard lock(mutex_);
    // A long run (the program under a whole backup) would otherwise keep every finished thread.
    std::erase_if(connections_, [](Connection& connection) {
      if (!*connection.done) return false;
      connection.thread.join();
      return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    connections_.push_back({std::thread([this, client, done] {
                              serve(client);
                              *done = true;
                            }),
                            done});
  }
}

bool FaultProxy::choose_fault(Fault& fault) {
  std::lock_guard lock(mutex_);
  std::uniform_real_distribution<double> chance(0.0, 1.0);
  if (chance(generator_) >= fault_rate_) return false;
  fault = static_cast<Fault>(std::uniform_int_distribution<size_t>(0, kFaultKinds - 1)(generator_));
  return true;
}

void FaultProxy::serve(int client) {
  // The request's head, then its body.
  std::string buffer;
  size_t head_end;
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (buffer.size() > kMaxHead || !receive_some(client, buffer)) {
      ::close(client);
      return;
    }
  }
  const ParsedRequest request = parse_head(buffer.substr(0, head_end + 4));
  std::string body = buffer.substr(head_end + 4);
  if (request.expects_continue && body.size() < request.content_length) {
    send_all(client, "HTTP/1.1 100 Continue\r\n\r\n");
  }
  while (body.size() < request.content_length) {
    if (!receive_some(client, body)) {
      ::close(client);
      return;
    }
  }
  ++requests_;
  Fault fault{};
  const bool faulty = choose_fault(fault);
  if (faulty) ++injected_[static_cast<size_t>(fault)];
  if (faulty && fault == Fault::kInternalError) {
    send_all(client, error_answer(500, "Internal Server Error", "InternalError"));
    ::close(client);
    return;
  }
  if (faulty && fault == Fault::kSlowDown) {
    send_all(client, error_answer(503, "Slow Down", "SlowDown"));
    ::close(client);
    return;
  }
  if (faulty && fault == Fault::kResetBefore) {
    reset(client);
    return;
  }
  const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(upstream_port_);
  ::inet_pton(AF_INET, upstream_host_.c_str(), &address.sin_addr);
  if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      !send_all(upstream, request.forwarded_head) || !send_all(upstream, body)) {
    if (upstream >= 0) ::close(upstream);
    send_all(client, error_answer(502, "Bad Gateway", "BadGateway"));
    ::close(client);
    return;
  }
  if (!faulty) {
    // Relay as it comes; the gateway closes after its answer (Connection: close).
    std::string answer;
    while (receive_some(upstream, answer)) {
      if (!send_all(client, answer)) break;
      answer.clear();
    }
    ::close(upstream);
    ::close(client);
    return;
  }
  std::string answer;
  while (receive_some(upstream, answer)) {
  }
  ::close(upstream);
  if (fault == Fault::kResetAfter) {
    reset(client);
    return;
  }
  // kTruncate: the head and half the body, or half the head when there is no body.
  const auto answer_head_end = answer.find("\r\n\r\n");
  size_t keep = answer.size() / 2;
  if (answer_head_end != std::string::npos && answer.size() > answer_head_end + 4) {
    const size_t body_size = answer.size() - (answer_head_end + 4);
    keep = answer_head_end + 4 + body_size / 2;
  }
  send_all(client, std::string_view(answer).substr(0, keep));
  ::shutdown(client, SHUT_WR);
  ::close(client);
}

}  // namespace certvault_s3_test
