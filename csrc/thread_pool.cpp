#include "thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#if !defined(_WIN32)
#include <pthread.h>
#endif
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "environment.h"

namespace fastinit {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class ThreadPool {
 public:
  // Starts n_threads - 1 workers. If the system refuses a thread (std::system_error), the workers
  // already started are stopped and joined before the error propagates.
  explicit ThreadPool(size_t n_threads) : spin_(spin_microseconds()) {
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

  // Workers join a loop only while it is open. The caller closes it once every item has been
  // handed out and then waits only for the workers that joined, so a worker still waking up
  // (tens of microseconds on a virtual machine) never delays the caller: it finds the loop
  // closed and goes back to sleep.
  void run(size_t n_items, const std::function<void(size_t)>& body) {
    std::lock_guard<std::mutex> serial(run_mutex_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      body_ = &body;
      n_items_ = n_items;
      next_item_.store(0);
      error_ = nullptr;
      loop_open_ = true;
      joined_workers_ = 0;
      ++generation_;
      published_generation_.store(generation_, std::memory_order_release);
    }
    wake_.notify_all();
    take_items();
    std::unique_lock<std::mutex> lock(mutex_);
    loop_open_ = false;
    done_.wait(lock, [this] { return joined_workers_ == 0; });
    body_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      published_generation_.fetch_add(1, std::memory_order_release);  // ends any spin at once
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

  // Before sleeping, a worker watches for the next loop for a short while (spin_): loops often
  // come back to back, one per tensor of a model, and waking a sleeping thread costs tens of
  // microseconds on a virtual machine. Stopping the pool ends the watch at once.
  void spin_until_next_loop(size_t seen) const {
    if (spin_.count() == 0) return;
    const auto deadline = std::chrono::steady_clock::now() + spin_;
    while (published_generation_.load(std::memory_order_acquire) == seen) {
      for (int i = 0; i < 64; ++i) cpu_relax();
      if (std::chrono::steady_clock::now() >= deadline) return;
    }
  }

  // FASTINIT_SPIN_US (environment.h), read when a pool starts, on the thread that starts it.
  static long spin_microseconds() { return environment::spin_microseconds(); }

  void worker_loop() {
    size_t seen = 0;
    for (;;) {
      spin_until_next_loop(seen);
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        if (!loop_open_) continue;  // woke after the caller finished the loop alone
        ++joined_workers_;
      }
      take_items();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (--joined_workers_ == 0) done_.notify_one();
      }
    }
  }

  const std::chrono::microseconds spin_;  // how long an idle worker watches for the next loop
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one loop at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(size_t)>* body_ = nullptr;
  size_t n_items_ = 0;
  std::atomic<size_t> next_item_{0};
  size_t joined_workers_ = 0;  // workers inside take_items() for the current loop
  bool loop_open_ = false;     // workers may still join the current loop
  size_t generation_ = 0;
  std::atomic<size_t> published_generation_{0};  // generation_, for workers spinning unlocked
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
