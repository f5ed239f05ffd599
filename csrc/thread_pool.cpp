#include "thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#if !defined(_WIN32)
#include <pthread.h>
#endif

namespace fastinit {

namespace {

class ThreadPool {
 public:
  // Starts n_threads - 1 workers. If the system refuses a thread (std::system_error), the workers
  // already started are stopped and joined before the error propagates.
  explicit ThreadPool(size_t n_threads) {
    try {
      for (size_t t = 1; t < n_threads; ++t) workers_.emplace_back([this] { worker_loop(); });
    } catch (...) {
      stop_workers();
      throw;
    }
  }

  ~ThreadPool() { stop_workers(); }

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size() + 1; }

  void run(size_t n_items, const std::function<void(size_t)>& body) {
    std::lock_guard<std::mutex> serial(run_mutex_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      body_ = &body;
      n_items_ = n_items;
      next_item_.store(0);
      error_ = nullptr;
      active_workers_ = workers_.size();
      ++generation_;
    }
    wake_.notify_all();
    take_items();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return active_workers_ == 0; });
    body_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& w : workers_) w.join();
    workers_.clear();
  }

  void take_items() {
    for (;;) {
      const size_t i = next_item_.fetch_add(1);
      if (i >= n_items_) return;
      try {
        (*body_)(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
        next_item_.store(n_items_);  // stop handing out items
      }
    }
  }

  void worker_loop() {
    size_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
      }
      take_items();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (--active_workers_ == 0) done_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one loop at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(size_t)>* body_ = nullptr;
  size_t n_items_ = 0;
  std::atomic<size_t> next_item_{0};
  size_t active_workers_ = 0;
  size_t generation_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
};

std::mutex g_config_mutex;
size_t g_num_threads = 1;
ThreadPool* g_pool = nullptr;  // created lazily for g_num_threads; leaked in a forked child

#if !defined(_WIN32)
void forget_pool_in_child() {
  // The parent's workers do not exist in the child and its mutexes may be held: abandon the
  // pool object (never touch it again) and make a fresh mutex state.
  g_pool = nullptr;
  new (&g_config_mutex) std::mutex();
}

struct AtForkRegistration {
  AtForkRegistration() { pthread_atfork(nullptr, nullptr, forget_pool_in_child); }
} g_at_fork_registration;
#endif

ThreadPool& pool_locked() {
  if (g_pool == nullptr || g_pool->size() != g_num_threads) {
    delete g_pool;
    g_pool = nullptr;
    g_pool = new ThreadPool(g_num_threads);
  }
  return *g_pool;
}

}  // namespace

size_t get_num_threads() {
  std::lock_guard<std::mutex> lock(g_config_mutex);
  return g_num_threads;
}

void set_num_threads(size_t n) {
  std::lock_guard<std::mutex> lock(g_config_mutex);
  g_num_threads = n < 1 ? 1 : n;
}

void parallel_for(size_t n_items, const std::function<void(size_t)>& body) {
  if (n_items == 0) return;
  std::unique_lock<std::mutex> lock(g_config_mutex);
  if (g_num_threads <= 1 || n_items == 1) {
    lock.unlock();
    for (size_t i = 0; i < n_items; ++i) body(i);
    return;
  }
  ThreadPool& pool = pool_locked();
  pool.run(n_items, body);
}

}  // namespace fastinit
