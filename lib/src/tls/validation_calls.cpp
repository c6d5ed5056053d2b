// Workers for calls into validation code: a cached pool. An idle worker takes the next call; when none
// is idle a new thread starts, so an abandoned call (an endless loop holds its thread for good) never
// leaves later handshakes queued behind it. Workers idle for kIdleLifetime end. Measured with
// `krtool_unit_tests "[.bench]"` on the shared 2-core build machine under load: 45-105 µs per call through
// an idle worker against 150-210 µs for a thread started (and joined) per call, so the pool.
#include "tls/validation_calls.hpp"

#include <fmt/format.h>
#include <openssl/err.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "util/quiet_thread.hpp"

namespace krtool::tls {
namespace {

constexpr auto kIdleLifetime = std::chrono::seconds(30);

// Registry counts the calls that have not returned, by policy name, and wakes those waiting for none.
class Registry {
 public:
  void started(const std::string& policy) {
    const std::lock_guard<std::mutex> lock(mutex_);
    running_.push_back(policy);
  }
  void finished(const std::string& policy) {
    const std::lock_guard<std::mutex> lock(mutex_);
    running_.erase(std::find(running_.begin(), running_.end(), policy));
    if (running_.empty()) none_left_.notify_all();
  }
  std::size_t count() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return running_.size();
  }
  std::vector<std::string> names() {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> distinct;
    for (const std::string& name : running_) {
      if (std::find(distinct.begin(), distinct.end(), name) == distinct.end()) distinct.push_back(name);
    }
    return distinct;
  }
  bool wait_for_none(std::chrono::milliseconds grace) {
    std::unique_lock<std::mutex> lock(mutex_);
    return none_left_.wait_for(lock, grace, [this] { return running_.empty(); });
  }

 private:
  std::mutex mutex_;
  std::condition_variable none_left_;
  std::vector<std::string> running_;
};

class Workers {
 public:
  void post(std::function<void()> job) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (idle_ > 0) {
        --idle_;
        jobs_.push_back(std::move(job));
        work_.notify_one();
        return;
      }
    }
    // A detached worker: an abandoned call may never return, so no one could join it.
    util::start_quiet_thread([this, first = std::move(job)]() mutable { work(std::move(first)); }).detach();
  }

 private:
  void work(std::function<void()> job) {
    for (;;) {
      job();
      std::unique_lock<std::mutex> lock(mutex_);
      ++idle_;
      if (!work_.wait_for(lock, kIdleLifetime, [this] { return !jobs_.empty(); })) {
        --idle_;
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
  }

  std::mutex mutex_;
  std::condition_variable work_;
  std::deque<std::function<void()>> jobs_;
  std::size_t idle_ = 0;  // workers waiting; post() takes one for each job it queues
};

// Both live for the whole process and are never destroyed: detached workers (an abandoned call among
// them) may still use them while static destructors run at exit.
Registry& registry() {
  static Registry* const instance = new Registry;
  return *instance;
}
Workers& workers() {
  static Workers* const instance = new Workers;
  return *instance;
}

// Outcome is shared by the waiting handshake and the worker, so either may be the last to let go.
struct Outcome {
  std::mutex mutex;
  std::condition_variable done_signal;
  bool done = false;
  bool accepted = false;
  std::exception_ptr error;
};

}  // namespace

std::size_t validation_calls_running() { return registry().count(); }

std::vector<std::string> validation_code_running() { return registry().names(); }

bool wait_for_validation_calls(std::chrono::milliseconds grace) { return registry().wait_for_none(grace); }

std::string format_deadline(std::chrono::milliseconds deadline) {
  return fmt::format("{:g} s", static_cast<double>(deadline.count()) / 1000.0);
}

std::optional<bool> call_with_deadline(const std::string& policy, std::chrono::milliseconds deadline,
                                       std::function<bool()> call) {
  auto outcome = std::make_shared<Outcome>();
  registry().started(policy);
  workers().post([outcome, policy, call = std::move(call)]() mutable {
    bool accepted = false;
    std::exception_ptr error;
    try {
      accepted = call();
    } catch (...) {
      error = std::current_exception();
    }
    // All of the call's work on this thread, the release of what it owns (OpenSSL objects, its policy's
    // library) included, is done before it counts as returned: a process that exits once
    // wait_for_validation_calls says none is left must not run OpenSSL's cleanup beside it.
    call = nullptr;
    ERR_clear_error();  // what the code left on this thread's queue is no later call's business
    {
      const std::lock_guard<std::mutex> lock(outcome->mutex);
      outcome->done = true;
      outcome->accepted = accepted;
      outcome->error = error;
    }
    outcome->done_signal.notify_all();
    registry().finished(policy);
  });
  std::unique_lock<std::mutex> lock(outcome->mutex);
  if (!outcome->done_signal.wait_for(lock, deadline, [&] { return outcome->done; })) return std::nullopt;
  if (outcome->error) std::rethrow_exception(outcome->error);
  return outcome->accepted;
}

}  // namespace krtool::tls
