// GrowingTaskQueue replaces cpp-httplib's fixed pool of CPPHTTPLIB_THREAD_POOL_COUNT threads. The
// library runs one connection per task for the connection's whole keep-alive life, so a fixed pool of
// 8 makes the ninth keep-alive client wait for a whole run. This queue starts a thread whenever no
// thread is idle, up to a maximum; beyond it, connections wait in the queue.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace krtool::server {

class GrowingTaskQueue final : public httplib::TaskQueue {
 public:
  explicit GrowingTaskQueue(size_t max_threads) : max_threads_(max_threads == 0 ? 1 : max_threads) {}
  ~GrowingTaskQueue() override { shutdown(); }

  void enqueue(std::function<void()> task) override {
    std::unique_lock<std::mutex> lock(mutex_);
    jobs_.push_back(std::move(task));
    if (idle_ < jobs_.size() && threads_.size() < max_threads_) {
      threads_.emplace_back([this] { work(); });
    }
    lock.unlock();
    wake_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (shutting_down_) return;
      shutting_down_ = true;
    }
    wake_.notify_all();
    // Joining drains: every queued connection is still served before the threads end.
    for (std::thread& t : threads_) t.join();
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      ++idle_;
      wake_.wait(lock, [this] { return shutting_down_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty()) return;  // shutting down with nothing left
      std::function<void()> task = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  const size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool shutting_down_ = false;
};

}  // namespace krtool::server
