#pragma once
// Block I/O in fio's shape (workload.kind = storage; docs/storage_io.md): fio.numjobs host
// threads issue reads and writes to the I/O unit's storage through the host's block driver
// (host_os/message_passing/block_driver.hpp), which carries each one as an I2O frame over a
// reliable connection; the I/O unit's emulation service moves the data by RDMA
// (models/iounit/emulation_service.hpp).
//
//   fio.rw        read | write | randread | randwrite | randrw (fio.rwmixread % reads)
//   fio.bs        bytes per I/O; the host buffer is split into page-sized segments (one SGL
//                 entry each, at most 16: larger I/Os use larger segments)
//   fio.iodepth   I/Os each job keeps in flight (fio.engine = async); sync: 1, the job's
//                 thread sleeps in each I/O
//   fio.size_mb   each job's region of the device (job j starts at j * size)
//   fio.ops / fio.runtime_us   when a job stops issuing (whichever comes first)
//   fio.ramp_us   I/Os completing before this are not counted
//   fio.verify    each job reads back every block it wrote successfully and compares it
//
// Completions reach the driver through the completion service (host.cq_manager); request
// frames come from a message pool (host.pool.mode, host.pool.elements per connection).
// CPUs: the checkers first (single: 1, multi: fio.checkers, dpc: interrupts on CPU 0,
// per_cq_poller: one per connection), then one per job.
#include <systemc>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host_os/driver/host_completion_manager.hpp"
#include "host_os/host_stack_params.hpp"
#include "host_os/message_passing/block_driver.hpp"
#include "host_os/sim/sim_thread.hpp"
#include "models/core/random.hpp"
#include "models/core/run_report.hpp"
#include "workloads/system.hpp"
#include "workloads/workload.hpp"

namespace hcasim {

struct StorageIoParams {
  std::string rw;
  std::uint32_t rwmixread;
  std::uint32_t bs;
  std::uint32_t iodepth;
  std::uint32_t numjobs;
  std::string engine;
  std::uint32_t size_mb;
  std::uint32_t ops;
  double runtime_us;
  double ramp_us;
  bool verify;
  std::uint32_t connections;
  std::uint32_t checkers;
  std::uint32_t segment_bytes;
  std::uint32_t driver_cycles;

  template <class V>
  void visit(V& v) {
    v.choice(rw, "fio.rw", "randread", {"read", "write", "randread", "randwrite", "randrw"},
             "I/O pattern: sequential or random reads, writes, or a random mix (fio.rwmixread)");
    v.integer(rwmixread, "fio.rwmixread", "%", 50, 0, 100, "randrw: share of reads");
    v.integer(bs, "fio.bs", "B", 4096, 512, 16u << 20,
              "bytes per I/O (a whole number of storage.block_bytes)");
    v.integer(iodepth, "fio.iodepth", "I/Os", 1, 1, 4096,
              "I/Os each job keeps in flight (async engine)");
    v.integer(numjobs, "fio.numjobs", "threads", 1, 1, 64, "host threads issuing I/O");
    v.choice(engine, "fio.engine", "async", {"sync", "async"},
             "sync: each I/O blocks its thread until its reply (iodepth 1); async: iodepth I/Os "
             "in flight, completed by callbacks");
    v.integer(size_mb, "fio.size_mb", "MiB", 64, 1, 1u << 24,
              "each job's region of the device (job j starts at j * size)");
    v.integer(ops, "fio.ops", "I/Os", 2000, 1, 1u << 30, "I/Os each job issues (ramp included)");
    v.real(runtime_us, "fio.runtime_us", "us", 0.0, 0.0, 1e12,
           "stop issuing after this simulated time (0: only fio.ops bounds the run)");
    v.real(ramp_us, "fio.ramp_us", "us", 0.0, 0.0, 1e12,
           "I/Os completing before this are not counted");
    v.boolean(verify, "fio.verify", false,
              "write patterns: at the end each job reads back every block it wrote successfully "
              "and compares the bytes");
    v.integer(connections, "fio.connections", "QPs", 1, 1, 16,
              "reliable connections to the I/O unit (job j uses j % connections)");
    v.integer(checkers, "fio.checkers", "threads", 1, 1, 64,
              "host.cq_manager = multi: checking threads");
    v.integer(segment_bytes, "fio.segment_bytes", "B", 4096, 512, 16u << 20,
              "host buffer segment (page) size: one SGL entry each");
    v.integer(driver_cycles, "fio.driver_cycles", "cycles", 400, 0, 100000000,
              "driver CPU work to build a frame, and again to take a reply apart");
  }
};

class StorageIo : public sc_core::sc_module, public Workload {
 public:
  StorageIo(sc_core::sc_module_name name, System& system, const StorageIoParams& params,
            const HostStackParams& stack, std::uint64_t seed, TraceSink* trace);
  ~StorageIo() override;

  bool finished() const override { return finished_; }
  std::uint64_t errors() const override { return errors_; }
  void report(RunReport& out) const override;
  void print_table(std::ostream& out) const override;

  // Per direction, for tests and sweeps.
  struct Direction {
    std::uint64_t ios = 0, bytes = 0;
    LogLinearHistogram lat_ps, clat_ps, slat_ps;
    // sums of the latency breakdown (ps)
    Picos host = 0, fabric = 0, rdma = 0, device = 0, controller = 0;
    Picos first_submit = 0, last_complete = 0;
  };
  const Direction& reads() const { return dir_[0]; }
  const Direction& writes() const { return dir_[1]; }
  // I/Os that ended with a status other than success, by detailed status.
  const std::vector<std::pair<std::uint16_t, std::uint64_t>>& error_statuses() const {
    return error_statuses_;
  }
  std::uint64_t verified_bytes() const { return verified_bytes_; }
  std::uint64_t verify_mismatches() const { return verify_mismatches_; }
  double window_s() const;

 private:
  struct Job;
  void starter();
  void job(unsigned j);
  void prepare(Job& job, BlockIo& io, unsigned slot, bool write, std::uint64_t offset);
  bool next_io(Job& job, bool& write, std::uint64_t& offset);
  void account(const BlockIo& io);
  void verify_pass(Job& job);
  static void on_done(SimContext& c, BlockIo& io);
  std::uint8_t pattern(std::uint64_t device_offset) const;

  System& sys_;
  StorageIoParams params_;
  HostStackParams stack_;
  CqManagerMode mode_;
  std::uint64_t seed_;
  verbs::VerbsDevice& dev_;
  std::vector<verbs::Cq*> cqs_;
  std::vector<verbs::Qp*> qps_;
  std::unique_ptr<HostCompletionManager> manager_;
  std::vector<std::unique_ptr<BlockDriver>> drivers_;
  std::vector<std::unique_ptr<SimThread>> checker_threads_;
  std::unique_ptr<SimThread> starter_thread_;
  std::vector<std::unique_ptr<Job>> jobs_;
  verbs::Mr mr_{};
  bool random_ = false, mixed_ = false, reads_ = false;  // fio.rw, decoded
  std::uint32_t segment_bytes_ = 0;                      // host buffer segment (SGL entry)
  Picos ramp_ = 0, stop_ = 0;
  unsigned jobs_left_ = 0;
  bool stopping_ = false, finished_ = false;
  std::uint64_t errors_ = 0;
  Direction dir_[2];
  std::vector<std::pair<std::uint16_t, std::uint64_t>> error_statuses_;
  std::uint64_t verified_bytes_ = 0, verify_mismatches_ = 0, verify_read_errors_ = 0;
};

}  // namespace hcasim
