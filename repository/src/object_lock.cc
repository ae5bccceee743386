#include "object_lock.h"

#include <fmt/format.h>

#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <map>
#include <mutex>
#include <thread>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/base/utc_time.h"
#include "lock_format.h"
#include "lock_os.h"
#include "lock_record.h"

namespace certvault {
namespace {

constexpr const char* kLockPrefix = "locks/";
constexpr size_t kLockIdDigits = 32;
constexpr size_t kSequenceDigits = 8;
constexpr size_t kMaxRecordBytes = 4096;

long long now_unix() { return static_cast<long long>(std::time(nullptr)); }

std::string time_text(long long unix_seconds) { return format_utc(unix_seconds, UtcFormat::kDateTimeUtc); }

std::string object_name(const std::string& lock_id, uint32_t sequence) {
  return fmt::format("{}{}-{:0{}}", kLockPrefix, lock_id, sequence, kSequenceDigits);
}

// "locks/<32 hex>-<8 digits>" -> the lock id, or "" for a name that is not a lock object's.
std::string lock_id_of(const std::string& name) {
  const std::string rest = name.substr(std::char_traits<char>::length(kLockPrefix));
  if (rest.size() != kLockIdDigits + 1 + kSequenceDigits || rest[kLockIdDigits] != '-') return "";
  if (rest.substr(0, kLockIdDigits).find_first_not_of("0123456789abcdef") != std::string::npos) return "";
  if (rest.substr(kLockIdDigits + 1).find_first_not_of("0123456789") != std::string::npos) return "";
  return rest.substr(0, kLockIdDigits);
}

std::string describe(const ObjectLockHolder& holder) {
  const auto& r = holder.record;
  return fmt::format("pid {} on host {} since {} ({}, last refreshed {})", r.pid, r.host, time_text(r.started_unix),
                     r.mode, time_text(r.refreshed_unix));
}

bool is_stale(const ObjectLockHolder& holder, std::chrono::seconds stale_after) {
  return now_unix() - holder.record.refreshed_unix > stale_after.count();
}

}  // namespace

std::chrono::seconds lock_stale_after() {
  if (const char* text = std::getenv("CERTVAULT_LOCK_STALE_SECONDS"); text != nullptr && *text != '\0') {
    char* end = nullptr;
    const long long seconds = std::strtoll(text, &end, 10);
    if (end == nullptr || *end != '\0' || seconds < 2 || seconds > 7 * 24 * 3600) {
      throw Error(ErrorKind::kUsage,
                  fmt::format("CERTVAULT_LOCK_STALE_SECONDS={}: must be a number of seconds from 2 to 604800", text));
    }
    return std::chrono::seconds(seconds);
  }
  return std::chrono::minutes(30);
}

std::vector<ObjectLockHolder> ObjectLock::holders(const ObjectStore& objects, const std::string& repository) {
  std::map<std::string, ObjectLockHolder> by_id;
  for (const auto& name : objects.list(kLockPrefix)) {
    const auto id = lock_id_of(name);
    if (id.empty()) continue;  // not ours: never touched
    std::optional<LockRecord> record;
    try {
      const uint64_t size = objects.size(name);
      if (size <= kMaxRecordBytes) {
        const auto bytes = objects.read(name, 0, size);
        record = parse_lock_record(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
      }
    } catch (const Error& e) {
      // Removed between the listing and the read: its holder refreshed or released it.
      if (!objects.exists(name)) continue;
      throw Error(ErrorKind::kLocked,
                  fmt::format("repository {}: lock object {} cannot be read: {}", repository, name, e.what()));
    }
    auto& holder = by_id[id];
    holder.lock_id = id;
    holder.object_names.push_back(name);
    // An unreadable record names nobody: it counts as refreshed at the epoch, so stale.
    if (record && record->refreshed_unix >= holder.record.refreshed_unix) holder.record = *record;
  }
  std::vector<ObjectLockHolder> result;
  for (auto& [id, holder] : by_id) result.push_back(std::move(holder));
  return result;
}

struct ObjectLock::State {
  std::unique_ptr<ObjectStore> objects;
  std::string repository;
  std::string lock_id;
  LockRecord record;
  std::chrono::seconds stale_after{};
  std::function<void(const std::string&)> on_stale;

  mutable std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  uint32_t sequence = 0;          // of the current object
  long long last_refresh_ok = 0;  // unix seconds
  std::string refresh_failure;    // set when a refresh failed
  std::thread refresher;

  std::string current_name() const { return object_name(lock_id, sequence); }

  void write(uint32_t seq, long long refreshed) {
    LockRecord written = record;
    written.refreshed_unix = refreshed;
    const std::string text = format_lock_record(written) + "\n";
    objects->put(object_name(lock_id, seq), std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  }

  void refresh_loop() {
    const auto interval = std::max<std::chrono::seconds>(std::chrono::seconds(1), stale_after / 6);
    std::unique_lock<std::mutex> guard(mutex);
    while (!stopping) {
      if (wake.wait_for(guard, interval, [&] { return stopping; })) break;
      const uint32_t next = sequence + 1;
      const std::string previous = current_name();
      guard.unlock();
      std::string failure;
      const long long now = now_unix();
      try {
        write(next, now);
        objects->remove(previous);
      } catch (const std::exception& e) {
        failure = e.what();
      }
      guard.lock();
      if (failure.empty()) {
        sequence = next;
        last_refresh_ok = now;
      } else if (refresh_failure.empty()) {
        refresh_failure = failure;
      }
    }
  }
};

ObjectLock::ObjectLock(std::unique_ptr<State> state) : state_(std::move(state)) {}

std::unique_ptr<ObjectLock> ObjectLock::acquire(std::unique_ptr<ObjectStore> objects, bool exclusive,
                                                const std::string& repository,
                                                const std::function<void(const std::string&)>& on_stale,
                                                std::chrono::seconds stale_after) {
  auto state = std::make_unique<State>();
  state->objects = std::move(objects);
  state->repository = repository;
  state->stale_after = stale_after;
  state->on_stale = on_stale;
  std::array<uint8_t, kLockIdDigits / 2> id{};
  fill_random(id);
  state->lock_id = to_hex(id);
  state->record = LockRecord{lock_os::this_host(), lock_os::this_process_id(), now_unix(),
                             exclusive ? lock_format::kExclusive : lock_format::kShared};

  // Conflicting live holders other than this one, after taking over stale ones.
  const auto conflicts = [&](bool take_over) {
    std::vector<ObjectLockHolder> found;
    for (auto& holder : holders(*state->objects, repository)) {
      if (holder.lock_id == state->lock_id) continue;
      if (is_stale(holder, stale_after)) {
        if (!take_over) continue;
        const auto message =
            fmt::format("repository {}: taking over a stale lock of {}: not refreshed for more than {} s", repository,
                        describe(holder), stale_after.count());
        for (const auto& name : holder.object_names) state->objects->remove(name);
        if (on_stale) on_stale(message);
        continue;
      }
      if (exclusive || holder.record.mode == lock_format::kExclusive) found.push_back(std::move(holder));
    }
    return found;
  };
  const auto refuse = [&](const std::vector<ObjectLockHolder>& found) {
    std::string names;
    for (const auto& holder : found) names += (names.empty() ? "" : "; ") + describe(holder);
    return Error(ErrorKind::kLocked, fmt::format("repository {} is locked by {}{}", repository, names,
                                                 exclusive ? " (this command needs it alone)" : ""));
  };
  if (auto found = conflicts(true); !found.empty()) throw refuse(found);
  const long long now = now_unix();
  state->write(0, now);
  state->last_refresh_ok = now;
  if (auto found = conflicts(false); !found.empty()) {
    try {
      state->objects->remove(state->current_name());
    } catch (const Error&) {
      // Left behind, it goes stale and is taken over.
    }
    throw refuse(found);
  }
  auto* raw = state.get();
  state->refresher = std::thread([raw] { raw->refresh_loop(); });
  return std::unique_ptr<ObjectLock>(new ObjectLock(std::move(state)));
}

void ObjectLock::check_held(const std::string& before) const {
  std::string name, failure;
  long long last_ok = 0;
  {
    std::lock_guard<std::mutex> guard(state_->mutex);
    name = state_->current_name();
    failure = state_->refresh_failure;
    last_ok = state_->last_refresh_ok;
  }
  std::string what;
  if (!failure.empty()) {
    what = "could not be refreshed (" + failure + ")";
  } else if (now_unix() - last_ok > state_->stale_after.count()) {
    what = fmt::format("was last refreshed {} s ago, so others may have taken it over as stale", now_unix() - last_ok);
  } else if (!state_->objects->exists(name)) {
    // A refresh may have replaced it just now: look again under the lock.
    std::lock_guard<std::mutex> guard(state_->mutex);
    if (!state_->objects->exists(state_->current_name())) what = "is gone (another machine took it over as stale)";
  }
  if (!what.empty()) {
    throw Error(ErrorKind::kLocked,
                fmt::format("the lock of repository {} held by this process ({}) {}: another process may be writing "
                            "the repository now; stopping before {} (nothing of it was done)",
                            state_->repository, name, what, before));
  }
}

ObjectLock::~ObjectLock() {
  {
    std::lock_guard<std::mutex> guard(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  if (state_->refresher.joinable()) state_->refresher.join();
  try {
    state_->objects->remove(state_->current_name());
  } catch (const std::exception&) {
    // Destructors never throw; the object goes stale and is taken over.
  }
}

std::vector<LockRecord> clear_stale_lock_objects(std::unique_ptr<ObjectStore> objects, const std::string& repository,
                                                 const std::function<void(const std::string&)>& on_stale) {
  const auto stale_after = lock_stale_after();
  std::vector<LockRecord> stale;
  for (const auto& holder : ObjectLock::holders(*objects, repository)) {
    if (is_stale(holder, stale_after)) stale.push_back(holder.record);
  }
  ObjectLock::acquire(std::move(objects), true, repository, on_stale, stale_after).reset();
  return stale;
}

}  // namespace certvault
