#pragma once
// A native backend for the completion service's tests: CQs as mutex-protected FIFOs that any
// thread may push entries to (the "adapter"), with one-shot arming. An entry pushed to an armed
// CQ disarms it and calls on_event (the "interrupt") outside the CQ's lock. It also watches the
// service: two polls of one CQ at once are counted as overlaps (must stay 0).
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "host_os/cq_manager/completion_types.hpp"
#include "host_os/sync/native_platform.hpp"

namespace hcasim::cq::testing {

struct Entry {
  std::uint32_t wq = 0;
  Direction dir = Direction::outbound;
  std::uint64_t id = 0;     // unique over the test
  std::uint64_t order = 0;  // position in its CQ (set by push)
  std::uint32_t cq = 0;     // set by push
};

template <bool kReports>
class FakeBackendT {
 public:
  using Completion = Entry;
  using Ctx = sync::NativePlatform::Context;
  static constexpr bool kReportsMissedEvents = kReports;

  explicit FakeBackendT(unsigned cqs) : cqs_(cqs) {}

  // The "interrupt" of an armed CQ that received an entry.
  std::function<void(std::uint32_t cq)> on_event;
  // Runs inside arm(), before the CQ is armed: lets a test slip an entry in just there.
  std::function<void(std::uint32_t cq)> before_arm;
  // Runs inside poll(), after the entries were taken: lets a test act while a CQ is claimed.
  std::function<void(std::uint32_t cq)> during_poll;

  void push(std::uint32_t cq, Entry e) {
    Cq& q = cqs_.at(cq);
    bool fire = false;
    {
      std::lock_guard<std::mutex> lock(q.m);
      e.order = q.pushed++;
      e.cq = cq;
      q.entries.push_back(e);
      fire = q.armed;
      q.armed = false;
    }
    if (fire) {
      events_.fetch_add(1, std::memory_order_relaxed);
      if (on_event) on_event(cq);
    }
  }

  unsigned poll(Ctx&, std::uint32_t cq, Entry* out, unsigned max) {
    Cq& q = cqs_.at(cq);
    if (q.pollers.fetch_add(1) != 0) overlaps_.fetch_add(1);
    unsigned n = 0;
    {
      std::lock_guard<std::mutex> lock(q.m);
      while (n < max && !q.entries.empty()) {
        out[n++] = q.entries.front();
        q.entries.pop_front();
      }
    }
    polls_.fetch_add(1, std::memory_order_relaxed);
    if (during_poll) during_poll(cq);
    q.pollers.fetch_sub(1);
    return n;
  }

  bool arm(Ctx&, std::uint32_t cq) {
    if (before_arm) before_arm(cq);
    Cq& q = cqs_.at(cq);
    std::lock_guard<std::mutex> lock(q.m);
    q.armed = true;
    return kReports && !q.entries.empty();
  }

  std::uint32_t wq_of(const Entry& e) const { return e.wq; }
  Direction direction_of(const Entry& e) const { return e.dir; }

  std::size_t waiting(std::uint32_t cq) {
    Cq& q = cqs_.at(cq);
    std::lock_guard<std::mutex> lock(q.m);
    return q.entries.size();
  }
  bool armed(std::uint32_t cq) {
    Cq& q = cqs_.at(cq);
    std::lock_guard<std::mutex> lock(q.m);
    return q.armed;
  }
  std::uint64_t overlaps() const { return overlaps_.load(); }
  std::uint64_t events() const { return events_.load(); }
  std::uint64_t polls() const { return polls_.load(); }

 private:
  struct Cq {
    std::mutex m;
    std::deque<Entry> entries;
    bool armed = false;
    std::uint64_t pushed = 0;
    std::atomic<int> pollers{0};
  };
  std::vector<Cq> cqs_;
  std::atomic<std::uint64_t> overlaps_{0};
  std::atomic<std::uint64_t> events_{0};
  std::atomic<std::uint64_t> polls_{0};
};

using FakeBackend = FakeBackendT<false>;          // arm never reports waiting entries
using ReportingFakeBackend = FakeBackendT<true>;  // arm reports them (missed events)

}  // namespace hcasim::cq::testing
