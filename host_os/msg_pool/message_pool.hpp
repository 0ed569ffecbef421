#pragma once
// The message resource pool (docs/msg_pool.md), written once over a platform P
// (host_os/sync/platform.hpp): natively on real threads, and on simulated CPUs where every
// access to its shared words is charged as cache-line traffic.
//
// A pool owns a fixed set of message elements, each one descriptor and one to kMaxSge buffers.
// At creation it allocates one block for all buffers, registers it with the adapter once and
// writes every descriptor's scatter-gather entries once. Users then get elements and put them
// back:
//   get_sync           all or nothing, now: never waits, never goes ahead of queued requests.
//   get_async          served now if it can be (and nobody is queued), otherwise queued FIFO;
//                      the put that frees enough elements serves it and runs its callback.
//   get_async_partial  takes what is free now and queues the rest as one request.
//   put                returns an element (resets its descriptor's status, keeps its
//                      segments) and serves the queue, oldest request first.
//   destroy            only once every element is back: deregisters, frees.
// Misuse (double put, a handle of another pool, use after put, a count the pool can never
// serve) is caught, counted and reported; exhaustion is a clear no_resources status.
//
// There is no blocking get with a timeout: the platform concept has no timed wait. A caller
// that wants one queues a get_async and waits for its callback on its own terms; cancel()
// withdraws the request if it gives up.
#include <cassert>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "host_os/msg_pool/descriptor.hpp"
#include "host_os/msg_pool/pool_config.hpp"
#include "host_os/msg_pool/pool_memory.hpp"
#include "host_os/msg_pool/pool_stats.hpp"
#include "host_os/msg_pool/pool_status.hpp"
#include "host_os/sync/platform.hpp"

namespace hcasim::msg_pool {

namespace detail {
// A process-wide id for each pool (never 0), so a handle of another pool is recognised.
std::uint32_t next_pool_id();
}  // namespace detail

struct DestroyResult {
  Status status = Status::ok;     // ok, busy or destroyed
  std::uint32_t outstanding = 0;  // busy: elements still out
};

template <class P, class Memory>
class MessagePool {
  static_assert(sync::is_platform_v<P>, "P must model the platform concept of platform.hpp");
  static_assert(is_pool_memory_v<Memory>, "Memory must model the concept of pool_memory.hpp");

 public:
  using Platform = P;
  using Context = typename P::Context;

  // An asynchronous get, owned by the caller, which keeps it (and `out`) alive until its
  // callback has run or cancel() withdrew it. The pool writes the handles into out[0..count).
  struct Request;
  // Runs once per get that returned pending, in the context of the put (or cancel) that served
  // the request, outside the pool's lock: it may call the pool. request.given == request.count.
  using Callback = void (*)(Context& server, Request& request);
  struct Request {
    std::uint32_t count = 0;  // elements wanted
    Handle* out = nullptr;    // room for count handles
    Callback done = nullptr;  // called when a pending request is served
    void* user = nullptr;     // for the callback
    // Set by the get call itself, before it returns: handles in out[0..given_now) are the
    // caller's at once (all of them when ok; what a partial get took when pending).
    std::uint32_t given_now = 0;
    // Set by the pool, under its lock: handles in out[0..given). Read it in the callback (it
    // equals count) or after a cancel that returned true -- not while the request is queued.
    std::uint32_t given = 0;

   private:
    friend class MessagePool;
    Request* next_ = nullptr;  // queue link, guarded by the pool's lock
    bool queued_ = false;
  };

  // Hooks for reporting and tracing (observation). The reporter runs outside the lock on every
  // caught misuse; the observer runs under the lock after every change of the free count or
  // the queue (so the values it sees are in order) and must not call the pool.
  using MisuseReporter = std::function<void(const MisuseReport&)>;
  using FreeObserver = std::function<void(std::uint32_t free, std::uint32_t queued)>;

  // Allocates, registers (once) and pre-fills every descriptor. Throws std::invalid_argument
  // on a bad config, and whatever Memory throws when it cannot allocate.
  MessagePool(P& platform, Memory& memory, PoolConfig config, MisuseReporter reporter = {})
      : platform_(platform),
        memory_(memory),
        config_((config.validate(), std::move(config))),
        reporter_(std::move(reporter)),
        id_(detail::next_pool_id()),
        elements_(config_.elements),
        stride_(config_.element_stride()),
        bytes_(stride_ * elements_),
        base_(memory_.allocate(bytes_, config_.buffer_align > 64 ? config_.buffer_align : 64)),
        key_(memory_.register_memory(base_, bytes_, config_.access)),
        slots_(new Slot[elements_]) {
    PoolCounters::add_locked(hot_.counters.registrations);
    // design decision: the registration covers the buffers only. The descriptor is the work
    // request the driver copies into the queue's ring when it posts it, and the adapter reads
    // rings without a memory key, so there is nothing of it to register.
    for (std::uint32_t i = 0; i < elements_; ++i) {
      Descriptor& d = slots_[i].descriptor;
      d.wr_id = (std::uint64_t{id_} << 32) | i;
      d.num_sge = static_cast<std::uint32_t>(config_.buffer_bytes.size());
      std::uint64_t addr = base_ + stride_ * i;
      for (std::uint32_t k = 0; k < d.num_sge; ++k) {
        d.sge[k] = Sge{addr, config_.buffer_bytes[k], key_};
        addr += round_up(config_.buffer_bytes[k], config_.buffer_align);
      }
    }
  }
  MessagePool(const MessagePool&) = delete;
  MessagePool& operator=(const MessagePool&) = delete;
  // A pool not destroyed explicitly gives its memory back here (elements still out lose it).
  ~MessagePool() {
    if (!(platform_.peek(hot_.state) & kDestroyed)) release_memory();
  }

  // All or nothing, now. Fails (no_resources, counted as exhaustion) when fewer than n are
  // free or when an asynchronous request is queued: a synchronous caller never jumps the queue.
  Status get_sync(Context& c, std::uint32_t n, Handle* out) {
    if (!valid_count(n) || out == nullptr) return report_invalid("get_sync", n);
    P& p = platform_;
    p.lock(c, hot_.lock);
    const std::uint64_t s = p.load(c, hot_.state, std::memory_order_relaxed);
    p.cost(c, kBookkeepingCycles);
    if (s & kDestroyed) {
      p.unlock(c, hot_.lock);
      return Status::destroyed;
    }
    if (queued_of(s) != 0 || free_of(s) < n) {
      PoolCounters::add_locked(hot_.counters.failed_gets);
      p.unlock(c, hot_.lock);
      return Status::no_resources;
    }
    const std::uint64_t next = take_locked(c, s, n, out);
    PoolCounters::add_locked(hot_.counters.sync_gets);
    publish_locked(c, next);
    p.unlock(c, hot_.lock);
    return Status::ok;
  }

  // Served in full now (ok: the callback does not run) if nobody is queued and enough are
  // free; otherwise queued at the tail (pending: the callback runs once, when served).
  Status get_async(Context& c, Request& r) { return get_async(c, r, false); }
  // As get_async, but when nobody is queued it takes what is free now (r.given_now) and
  // queues the rest as one request, served whole. With requests already queued it takes
  // nothing now: it does not jump the queue either.
  Status get_async_partial(Context& c, Request& r) { return get_async(c, r, true); }

  // Withdraws a queued request: true if it was still queued (its callback will not run; the
  // elements a partial get took stay the caller's, r.given of them), false if it was served
  // already (its callback has run or is running). Serves the requests behind it that can now be.
  bool cancel(Context& c, Request& r) {
    P& p = platform_;
    p.lock(c, hot_.lock);
    std::uint64_t s = p.load(c, hot_.state, std::memory_order_relaxed);
    p.cost(c, kBookkeepingCycles);
    if (!r.queued_) {
      p.unlock(c, hot_.lock);
      return false;
    }
    Request** link = &hot_.queue_head;
    Request* prev = nullptr;
    while (*link != &r) {
      prev = *link;
      link = &(*link)->next_;
    }
    *link = r.next_;
    if (hot_.queue_tail == &r) hot_.queue_tail = prev;
    r.next_ = nullptr;
    r.queued_ = false;
    s -= kQueuedUnit;
    PoolCounters::add_locked(hot_.counters.cancelled);
    Request* served = nullptr;
    s = serve_locked(c, s, served);
    publish_locked(c, s);
    p.unlock(c, hot_.lock);
    run_callbacks(c, served);
    return true;
  }

  // Returns an element: ok, or the misuse it is (double_put, foreign, stale), reported and
  // counted, the pool unchanged. Resets the descriptor's status, keeps its segments, then
  // serves the oldest queued request if the pool can now satisfy it, running its callback here.
  Status put(Context& c, const Handle& h) {
    if (!ours(h)) return report(Status::foreign, "put", h);
    P& p = platform_;
    Slot& slot = slots_[h.index];
    p.lock(c, hot_.lock);
    std::uint64_t s = p.load(c, hot_.state, std::memory_order_relaxed);
    const std::uint64_t ctl = p.load(c, slot.control, std::memory_order_relaxed);
    p.cost(c, kBookkeepingCycles);
    const std::uint32_t generation = generation_of(ctl);
    if (!(ctl & kOwned) || generation != h.generation) {
      p.unlock(c, hot_.lock);
      // design decision: a put whose handle is one generation behind a free element is the
      // same handle put twice; any other mismatch (the element was put and maybe got again
      // since) is a stale handle, even when it is a second put of it.
      const bool twice = !(ctl & kOwned) && generation == h.generation + 1;
      return report(twice ? Status::double_put : Status::stale, "put", h);
    }
    slot.descriptor.status = kDescriptorIdle;
    // design decision: the free list is LIFO: the element just put is the next one handed out,
    // while its lines are still warm in this CPU's cache.
    const std::uint32_t head =
        static_cast<std::uint32_t>(p.load(c, hot_.free_head, std::memory_order_relaxed));
    p.store(c, slot.control, control(generation + 1, false, link_to(h.index, head)),
            std::memory_order_relaxed);
    p.store(c, hot_.free_head, h.index, std::memory_order_relaxed);
    s -= kInUseUnit;
    PoolCounters::add_locked(hot_.counters.elements_back);
    Request* served = nullptr;
    s = serve_locked(c, s, served);
    publish_locked(c, s);
    p.unlock(c, hot_.lock);
    run_callbacks(c, served);
    return Status::ok;
  }

  // Only when every element is back (otherwise busy, with how many are out): deregisters the
  // memory and frees it. Every later get returns destroyed; puts find nothing out.
  DestroyResult destroy(Context& c) {
    P& p = platform_;
    p.lock(c, hot_.lock);
    const std::uint64_t s = p.load(c, hot_.state, std::memory_order_relaxed);
    p.cost(c, kBookkeepingCycles);
    if (s & kDestroyed) {
      p.unlock(c, hot_.lock);
      return {Status::destroyed, 0};
    }
    const std::uint32_t out = in_use_of(s);
    if (out != 0) {
      p.unlock(c, hot_.lock);
      return {Status::busy, out};
    }
    // Every element free means no request is queued: a queued request never needs more than
    // the pool holds, so a full pool serves them all.
    assert(queued_of(s) == 0);
    publish_locked(c, s | kDestroyed);
    p.unlock(c, hot_.lock);
    release_memory();
    return {Status::ok, 0};
  }

  // ---- the element a handle names (use after put is caught: nullptr / 0, stale counted) -----
  Descriptor* descriptor(Context& c, const Handle& h) {
    return owned(c, h, "descriptor") ? &slots_[h.index].descriptor : nullptr;
  }
  // Address of buffer k (0 to buffers()-1) of the element; 0 on misuse.
  std::uint64_t buffer(Context& c, const Handle& h, unsigned k = 0) {
    assert(k < buffers());
    return k < buffers() && owned(c, h, "buffer") ? slots_[h.index].descriptor.sge[k].addr : 0;
  }
  // The handle of an element that is out, from its descriptor's wr_id (as a completion carries
  // it): ok, foreign (another pool's wr_id) or stale (the element is not out).
  Status handle_of(Context& c, std::uint64_t wr_id, Handle& h) {
    const Handle probe{static_cast<std::uint32_t>(wr_id >> 32), static_cast<std::uint32_t>(wr_id),
                       0};
    if (!ours(probe)) return report(Status::foreign, "handle_of", probe);
    const std::uint64_t ctl =
        platform_.load(c, slots_[probe.index].control, std::memory_order_relaxed);
    if (!(ctl & kOwned)) return report(Status::stale, "handle_of", probe);
    h = Handle{id_, probe.index, generation_of(ctl)};
    return Status::ok;
  }

  void set_free_observer(FreeObserver observer) { observer_ = std::move(observer); }

  // ---- observation (no modelled access, no lock: may be momentarily stale) -------------------
  std::uint32_t id() const { return id_; }
  std::uint32_t elements() const { return elements_; }
  std::uint32_t buffers() const { return static_cast<std::uint32_t>(config_.buffer_bytes.size()); }
  const PoolConfig& config() const { return config_; }
  std::uint32_t key() const { return key_; }    // the one registration's key
  std::uint64_t base() const { return base_; }  // the registered block
  std::uint64_t bytes() const { return bytes_; }
  std::uint32_t free_count() const { return free_of(platform_.peek(hot_.state)); }
  std::uint32_t in_use() const { return in_use_of(platform_.peek(hot_.state)); }
  std::uint32_t queued() const { return queued_of(platform_.peek(hot_.state)); }
  bool destroyed() const { return platform_.peek(hot_.state) & kDestroyed; }
  PoolStats stats() const { return hot_.counters.snapshot(); }
  // The line every get and put takes (lock and state), for a simulated platform's line figures.
  const void* hot_line() const { return &hot_; }

 private:
  // design decision: every modelled word starts at 0 (the concept's Word has no initial value,
  // and creation needs no caller context), so the encodings make 0 the fresh pool: the state
  // word counts elements out (not free ones), the free list starts at element 0, and each
  // element's link is stored relative to the element after it.
  //   state:   bits 0-31 elements out, 32-62 queued requests, 63 destroyed
  //   control: bits 0-30 link (next free = index + 1 + link, mod 2^31; `elements` = none),
  //            bit 31 owned by a user, bits 32-63 generation
  static constexpr std::uint64_t kInUseUnit = 1;
  static constexpr std::uint64_t kQueuedUnit = std::uint64_t{1} << 32;
  static constexpr std::uint64_t kDestroyed = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kLinkMask = (std::uint64_t{1} << 31) - 1;
  static constexpr std::uint64_t kOwned = std::uint64_t{1} << 31;
  // design decision: the non-memory work of a critical section (decode, compare, branch) is a
  // few cycles per call plus a couple per element moved; the platform charges the accesses.
  static constexpr std::uint64_t kBookkeepingCycles = 4;
  static constexpr std::uint64_t kPerElementCycles = 2;

  struct alignas(sync::kCacheLine) Slot {
    typename P::Word control;  // guarded by the pool's lock; see above
    Descriptor descriptor;     // written once at creation; status reset by put
  };

  static std::uint64_t round_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) & ~(a - 1); }
  std::uint32_t in_use_of(std::uint64_t s) const { return static_cast<std::uint32_t>(s); }
  std::uint32_t free_of(std::uint64_t s) const { return elements_ - in_use_of(s); }
  static std::uint32_t queued_of(std::uint64_t s) {
    return static_cast<std::uint32_t>((s >> 32) & 0x7fffffff);
  }
  static std::uint32_t generation_of(std::uint64_t ctl) {
    return static_cast<std::uint32_t>(ctl >> 32);
  }
  static std::uint64_t control(std::uint32_t generation, bool owned, std::uint64_t link) {
    return (std::uint64_t{generation} << 32) | (owned ? kOwned : 0) | link;
  }
  static std::uint64_t link_to(std::uint32_t index, std::uint32_t next) {
    return (std::uint64_t{next} - index - 1) & kLinkMask;
  }
  static std::uint32_t next_of(std::uint32_t index, std::uint64_t ctl) {
    return static_cast<std::uint32_t>((index + 1 + (ctl & kLinkMask)) & kLinkMask);
  }
  bool valid_count(std::uint32_t n) const { return n != 0 && n <= elements_; }
  bool ours(const Handle& h) const { return h.pool == id_ && h.index < elements_; }

  Status get_async(Context& c, Request& r, bool partial) {
    const char* op = partial ? "get_async_partial" : "get_async";
    if (!valid_count(r.count) || r.out == nullptr || r.done == nullptr)
      return report_invalid(op, r.count);
    P& p = platform_;
    p.lock(c, hot_.lock);
    std::uint64_t s = p.load(c, hot_.state, std::memory_order_relaxed);
    p.cost(c, kBookkeepingCycles);
    if (r.queued_) {  // still queued: under the lock, since a put may be serving it right now
      p.unlock(c, hot_.lock);
      return report_invalid(op, r.count);
    }
    r.given = r.given_now = 0;
    if (s & kDestroyed) {
      p.unlock(c, hot_.lock);
      return Status::destroyed;
    }
    if (queued_of(s) == 0) {
      const std::uint32_t free = free_of(s);
      if (free >= r.count) {
        s = take_locked(c, s, r.count, r.out);
        r.given = r.given_now = r.count;
        PoolCounters::add_locked(hot_.counters.async_immediate);
        publish_locked(c, s);
        p.unlock(c, hot_.lock);
        return Status::ok;
      }
      if (partial && free != 0) {
        s = take_locked(c, s, free, r.out);
        r.given = r.given_now = free;
        PoolCounters::add_locked(hot_.counters.partial_gets);
      }
    }
    // design decision: requests are served strictly oldest first (head-of-line): a large
    // request at the head holds back smaller ones behind it even when they would fit. That is
    // the seed's FIFO, and it keeps a large request from starving; the price is idle elements
    // while the head waits (docs/msg_pool.md).
    r.next_ = nullptr;
    r.queued_ = true;
    if (hot_.queue_tail)
      hot_.queue_tail->next_ = &r;
    else
      hot_.queue_head = &r;
    hot_.queue_tail = &r;
    s += kQueuedUnit;
    PoolCounters::add_locked(hot_.counters.async_queued);
    publish_locked(c, s);
    p.unlock(c, hot_.lock);
    return Status::pending;
  }

  // Pops n elements off the free list into out; returns the state word with them out. The
  // caller holds the lock and has checked that n are free.
  std::uint64_t take_locked(Context& c, std::uint64_t s, std::uint32_t n, Handle* out) {
    P& p = platform_;
    std::uint32_t head =
        static_cast<std::uint32_t>(p.load(c, hot_.free_head, std::memory_order_relaxed));
    for (std::uint32_t k = 0; k < n; ++k) {
      assert(head < elements_);
      Slot& slot = slots_[head];
      const std::uint64_t ctl = p.load(c, slot.control, std::memory_order_relaxed);
      const std::uint32_t generation = generation_of(ctl);
      p.store(c, slot.control, control(generation, true, 0), std::memory_order_relaxed);
      out[k] = Handle{id_, head, generation};
      head = next_of(head, ctl);
    }
    p.store(c, hot_.free_head, head, std::memory_order_relaxed);
    p.cost(c, kPerElementCycles * n);
    s += kInUseUnit * n;
    PoolCounters::add_locked(hot_.counters.elements_out, n);
    if (in_use_of(s) > hot_.counters.peak_in_use.load(std::memory_order_relaxed))
      hot_.counters.peak_in_use.store(in_use_of(s), std::memory_order_relaxed);
    return s;
  }

  // Serves queued requests, oldest first, while the head one can be satisfied; chains the
  // served ones (through their links) for run_callbacks, in order. Returns the new state.
  std::uint64_t serve_locked(Context& c, std::uint64_t s, Request*& served) {
    Request** tail = &served;
    while (Request* r = hot_.queue_head) {
      const std::uint32_t missing = r->count - r->given;
      if (free_of(s) < missing) break;
      s = take_locked(c, s, missing, r->out + r->given);
      r->given = r->count;
      hot_.queue_head = r->next_;
      if (!hot_.queue_head) hot_.queue_tail = nullptr;
      r->queued_ = false;
      r->next_ = nullptr;
      *tail = r;
      tail = &r->next_;
      s -= kQueuedUnit;
      PoolCounters::add_locked(hot_.counters.async_served);
    }
    return s;
  }

  // Outside the lock. The link is read before the callback, which may reuse its request.
  void run_callbacks(Context& c, Request* r) {
    while (r) {
      Request* next = r->next_;
      r->next_ = nullptr;
      r->done(c, *r);
      r = next;
    }
  }

  // Stores the new state and tells the observer. Under the lock.
  void publish_locked(Context& c, std::uint64_t s) {
    platform_.store(c, hot_.state, s, std::memory_order_relaxed);
    if (observer_) observer_(free_of(s), queued_of(s));
  }

  // Whether h names an element its holder still owns (a modelled load of the element's control
  // word, no lock: a stale handle stays stale whatever runs meanwhile).
  bool owned(Context& c, const Handle& h, const char* op) {
    if (!ours(h)) {
      report(Status::foreign, op, h);
      return false;
    }
    const std::uint64_t ctl = platform_.load(c, slots_[h.index].control, std::memory_order_relaxed);
    if ((ctl & kOwned) && generation_of(ctl) == h.generation) return true;
    report(Status::stale, op, h);
    return false;
  }

  Status report(Status kind, const char* op, const Handle& h, std::uint32_t count = 0) {
    PoolCounters& k = hot_.counters;
    PoolCounters::add_shared(kind == Status::double_put ? k.double_puts
                             : kind == Status::foreign  ? k.foreign
                             : kind == Status::stale    ? k.stale
                                                        : k.invalid);
    if (reporter_) reporter_(MisuseReport{kind, op, h, count, config_.name});
    return kind;
  }
  Status report_invalid(const char* op, std::uint32_t n) {
    return report(Status::invalid, op, Handle{}, n);
  }

  void release_memory() {
    memory_.deregister(key_);
    memory_.release(base_, bytes_);
    PoolCounters::add_shared(hot_.counters.deregistrations);
  }

  // Read-only after construction (read-shared lines, no transfers).
  P& platform_;
  Memory& memory_;
  const PoolConfig config_;
  MisuseReporter reporter_;
  FreeObserver observer_;
  const std::uint32_t id_;
  const std::uint32_t elements_;
  const std::uint64_t stride_;
  const std::uint64_t bytes_;
  const std::uint64_t base_;
  const std::uint32_t key_;
  const std::unique_ptr<Slot[]> slots_;  // one element per line pair: no false sharing
  // Taken by every get and put: the lock and the words it guards share one line. The
  // counters (observation, not modelled) follow on the next lines.
  struct alignas(sync::kCacheLine) Hot {
    typename P::SpinLock lock;
    typename P::Word state;         // guarded by lock; see above
    typename P::Word free_head;     // guarded by lock: first free element, `elements` when none
    Request* queue_head = nullptr;  // guarded by lock: oldest queued request
    Request* queue_tail = nullptr;
    PoolCounters counters;
  } hot_;
};

}  // namespace hcasim::msg_pool
