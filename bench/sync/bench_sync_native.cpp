// Native throughput of worker enter/exit pairs: the algorithm (both forms) against its baselines
// (per-CPU marks among them) and the standard library's locks, with 1 and 2 threads hitting one
// shared object (no updates).
// items_per_second is enter/exit pairs per second over all threads. BM_EnterExit has nothing
// inside (pure synchronization cost); BM_EnterWorkExit does ~100 ns of work inside, where
// workers that may overlap should scale with threads and a global lock cannot.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <mutex>
#include <shared_mutex>

#include "host_os/sync/atomic_worker_update_guard.hpp"
#include "host_os/sync/global_spin_lock.hpp"
#include "host_os/sync/native_platform.hpp"
#include "host_os/sync/percpu_guard.hpp"
#include "host_os/sync/reader_writer_lock.hpp"
#include "host_os/sync/worker_update_guard.hpp"

namespace {

using hcasim::sync::AtomicWorkerUpdateGuard;
using hcasim::sync::GlobalSpinLock;
using hcasim::sync::NativePlatform;
using hcasim::sync::PerCpuGuard;
using hcasim::sync::ReaderWriterLock;
using hcasim::sync::WorkerUpdateGuard;

NativePlatform platform;

// The worker's own work inside the resource: a private dependency chain, no shared memory.
template <int kSteps>
void work() {
  std::uint64_t x = 1;
  for (int i = 0; i < kSteps; ++i) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    benchmark::DoNotOptimize(x);
  }
}

template <class Guard, int kWorkSteps>
void enter_work_exit(benchmark::State& state) {
  static Guard guard(platform);  // shared by the benchmark's threads
  // Each thread its own per-CPU slot (used by PerCpuGuard only).
  NativePlatform::Context c{static_cast<std::size_t>(state.thread_index())};
  for (auto _ : state) {
    if (!guard.enter(c)) std::abort();
    work<kWorkSteps>();
    guard.exit(c);
  }
  state.SetItemsProcessed(state.iterations());
}

template <class Guard>
void BM_EnterExit(benchmark::State& state) {
  enter_work_exit<Guard, 0>(state);
}
template <class Guard>
void BM_EnterWorkExit(benchmark::State& state) {
  enter_work_exit<Guard, 100>(state);
}

void BM_EnterExit_SharedMutex(benchmark::State& state) {
  static std::shared_mutex m;
  for (auto _ : state) {
    m.lock_shared();
    m.unlock_shared();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_EnterExit_Mutex(benchmark::State& state) {
  static std::mutex m;
  for (auto _ : state) {
    m.lock();
    m.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_TEMPLATE(BM_EnterExit, WorkerUpdateGuard<NativePlatform>)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_EnterExit, AtomicWorkerUpdateGuard<NativePlatform>)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_EnterExit, PerCpuGuard<NativePlatform>)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_EnterExit, GlobalSpinLock<NativePlatform>)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_EnterExit, ReaderWriterLock<NativePlatform>)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_EnterExit_SharedMutex)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_EnterExit_Mutex)->Threads(1)->Threads(2)->UseRealTime();

BENCHMARK_TEMPLATE(BM_EnterWorkExit, WorkerUpdateGuard<NativePlatform>)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_EnterWorkExit, AtomicWorkerUpdateGuard<NativePlatform>)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_EnterWorkExit, PerCpuGuard<NativePlatform>)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_EnterWorkExit, GlobalSpinLock<NativePlatform>)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_EnterWorkExit, ReaderWriterLock<NativePlatform>)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
