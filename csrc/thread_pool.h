// A persistent pool of worker threads for parallel loops (no OpenMP). The calling thread takes
// part in every loop and never waits for a worker that has not joined it; workers watch for the
// next loop for FASTINIT_SPIN_US microseconds (default 100, 0 turns it off) and then sleep until
// one comes. The first exception thrown by any item is carried back to the caller after the loop
// has drained. After fork() the child gets a fresh pool on first use (the parent's threads do not
// exist there).
#pragma once
#include <cstddef>
#include <functional>

namespace fastinit {

// The number of threads a parallel loop uses (the caller included); at least 1.
size_t get_num_threads();

// Sets that number; n >= 1. Existing workers are stopped and new ones started lazily.
void set_num_threads(size_t n);

// Runs body(i) for every i in [0, n_items), spread over the pool; returns when all are done.
// Items are taken dynamically, so uneven items balance. Not reentrant: body must not call
// parallel_for. Concurrent callers from different threads are serialized.
void parallel_for(size_t n_items, const std::function<void(size_t)>& body);

}  // namespace fastinit
