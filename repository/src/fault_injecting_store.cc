// ObjectStore wrapper that fails one chosen mutating step (tests only).
#include <fmt/format.h>

#include "certvault/base/error.h"
#include "certvault/repository/object_store.h"

namespace certvault {
namespace {

// Shared by the store and its writers: a writer may outlive a step counted by
// the store and vice versa.
struct FaultState {
  FaultPlan plan;
  std::shared_ptr<uint64_t> steps;
  bool crashed = false;

  // Called before each mutating step; throws if this step is the one to fail.
  // After a crash every later mutation fails too: a killed process does nothing more.
  void step(const char* operation, const std::string& name) {
    if (crashed) throw CrashInjected();
    if (!plan.only_prefix.empty() && name.compare(0, plan.only_prefix.size(), plan.only_prefix) != 0) return;
    const uint64_t number = ++*steps;
    if (plan.fail_at_step == 0 || number != plan.fail_at_step) return;
    if (plan.mode == FaultMode::kCrash) {
      crashed = true;
      throw CrashInjected();
    }
    throw Error(
        ErrorKind::kFailure,
        fmt::format("{} object {}: No space left on device (errno 28, injected at step {})", operation, name, number));
  }
};

class FaultInjectingWriter final : public ObjectWriter {
 public:
  FaultInjectingWriter(std::unique_ptr<ObjectWriter> inner, std::shared_ptr<FaultState> state, std::string name)
      : inner_(std::move(inner)), state_(std::move(state)), name_(std::move(name)) {}

  void append(std::span<const uint8_t> bytes) override {
    guarded("append to", [&] { inner_->append(bytes); });
  }
  uint64_t size() const override { return inner_->size(); }
  void commit() override {
    guarded("commit", [&] { inner_->commit(); });
  }
  void abandon() override { inner_->abandon(); }

 private:
  template <typename Operation>
  void guarded(const char* operation, Operation&& run) {
    try {
      state_->step(operation, name_);
    } catch (const CrashInjected&) {
      inner_->abandon();  // leave the temp file as a killed process would
      throw;
    }
    run();
  }

  std::unique_ptr<ObjectWriter> inner_;
  std::shared_ptr<FaultState> state_;
  std::string name_;
};

class FaultInjectingStore final : public ObjectStore {
 public:
  FaultInjectingStore(std::unique_ptr<ObjectStore> inner, std::shared_ptr<FaultState> state)
      : inner_(std::move(inner)), state_(std::move(state)) {}

  std::unique_ptr<ObjectWriter> create(const std::string& name) override {
    state_->step("create", name);
    return std::make_unique<FaultInjectingWriter>(inner_->create(name), state_, name);
  }
  std::vector<uint8_t> read(const std::string& name, uint64_t offset, uint64_t length) const override {
    return inner_->read(name, offset, length);
  }
  uint64_t size(const std::string& name) const override { return inner_->size(name); }
  bool exists(const std::string& name) const override { return inner_->exists(name); }
  std::vector<std::string> list(const std::string& prefix) const override { return inner_->list(prefix); }
  void remove(const std::string& name) override {
    state_->step("remove", name);
    inner_->remove(name);
  }
  size_t remove_temporaries() override {
    if (state_->crashed) throw CrashInjected();
    return inner_->remove_temporaries();
  }

 private:
  std::unique_ptr<ObjectStore> inner_;
  std::shared_ptr<FaultState> state_;
};

}  // namespace

std::unique_ptr<ObjectStore> make_fault_injecting_store(std::unique_ptr<ObjectStore> inner, FaultPlan plan,
                                                        std::shared_ptr<uint64_t> step_counter) {
  auto state = std::make_shared<FaultState>();
  state->plan = std::move(plan);
  state->steps = step_counter ? std::move(step_counter) : std::make_shared<uint64_t>(0);
  return std::make_unique<FaultInjectingStore>(std::move(inner), std::move(state));
}

}  // namespace certvault
