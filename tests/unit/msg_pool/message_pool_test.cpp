// The message pool on the native platform, one thread: creation (one registration, descriptors
// pre-filled), the get modes and their ordering (sync never ahead of queued async, FIFO with
// head-of-line blocking, partial ok), put, destroy, cancel, and every misuse it must catch.
#include "host_os/msg_pool/message_pool.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "host_os/sync/native_platform.hpp"
#include "tests/unit/msg_pool/recording_memory.hpp"

namespace hcasim::msg_pool {
namespace {

using sync::NativePlatform;
using Pool = MessagePool<NativePlatform, RecordingMemory>;
using Ctx = NativePlatform::Context;

PoolConfig config(std::uint32_t elements, std::vector<std::uint32_t> buffers = {256}) {
  PoolConfig c;
  c.name = "test";
  c.elements = elements;
  c.buffer_bytes = std::move(buffers);
  return c;
}

struct Fixture {
  NativePlatform platform;
  RecordingMemory memory;
  Ctx c;
  std::vector<std::string> reports;
  Pool::MisuseReporter reporter() {
    return [this](const MisuseReport& r) { reports.push_back(describe(r)); };
  }
};

// An asynchronous request and what its callback saw.
struct Waiter {
  Pool::Request req;
  Handle out[8];
  int calls = 0;
  int id = 0;
  std::vector<int>* order = nullptr;
  Waiter(int id_, std::uint32_t count, std::vector<int>* order_ = nullptr)
      : id(id_), order(order_) {
    req.count = count;
    req.out = out;
    req.user = this;
    req.done = [](Ctx&, Pool::Request& r) {
      Waiter& w = *static_cast<Waiter*>(r.user);
      ++w.calls;
      if (w.order) w.order->push_back(w.id);
    };
  }
};

TEST(MessagePool, CreationRegistersOnceAndPrefillsEveryDescriptor) {
  Fixture f;
  PoolConfig cfg = config(8, {64, 1000});
  cfg.access = 5;
  Pool pool(f.platform, f.memory, cfg);
  ASSERT_EQ(f.memory.table.size(), 1u);  // one registration for the whole pool
  const auto& reg = f.memory.table[0];
  EXPECT_EQ(reg.addr, pool.base());
  EXPECT_EQ(reg.len, 8u * (64 + 1024));  // buffers rounded up to 64 bytes
  EXPECT_EQ(reg.access, 5u);
  EXPECT_EQ(pool.key(), reg.key);
  EXPECT_EQ(pool.stats().registrations, 1u);
  EXPECT_EQ(pool.free_count(), 8u);

  Handle h[8];
  ASSERT_EQ(pool.get_sync(f.c, 8, h), Status::ok);
  for (std::uint32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(h[i].index, i);  // a fresh pool hands elements out in index order
    const Descriptor* d = pool.descriptor(f.c, h[i]);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->wr_id, (std::uint64_t{pool.id()} << 32) | i);
    ASSERT_EQ(d->num_sge, 2u);
    EXPECT_EQ(d->sge[0].addr, pool.base() + i * 1088u);
    EXPECT_EQ(d->sge[0].len, 64u);
    EXPECT_EQ(d->sge[1].addr, pool.base() + i * 1088u + 64);
    EXPECT_EQ(d->sge[1].len, 1000u);
    for (unsigned k = 0; k < 2; ++k) {
      EXPECT_EQ(d->sge[k].lkey, pool.key());
      EXPECT_TRUE(f.memory.covers(d->sge[k].lkey, d->sge[k].addr, d->sge[k].len));
      EXPECT_EQ(pool.buffer(f.c, h[i], k), d->sge[k].addr);
    }
  }
  // Gets and puts never register again.
  for (const Handle& x : h) ASSERT_EQ(pool.put(f.c, x), Status::ok);
  ASSERT_EQ(pool.get_sync(f.c, 8, h), Status::ok);
  EXPECT_EQ(f.memory.table.size(), 1u);
  EXPECT_EQ(pool.stats().registrations, 1u);
}

TEST(MessagePool, BadSizesAreRejectedNamingTheField) {
  Fixture f;
  auto message = [&](PoolConfig c) -> std::string {
    try {
      Pool pool(f.platform, f.memory, c);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(message(config(0)), "msg pool 'test': elements = 0, allowed 1 to 2147483646");
  EXPECT_EQ(message(config(4, {})), "msg pool 'test': buffers per element = 0, allowed 1 to 3");
  EXPECT_EQ(message(config(4, {1, 2, 3, 4})),
            "msg pool 'test': buffers per element = 4, allowed 1 to 3");
  EXPECT_EQ(message(config(4, {8, 0})),
            "msg pool 'test': buffer_bytes[1] = 0, allowed 1 to 4294967295");
  PoolConfig odd = config(4);
  odd.buffer_align = 48;
  EXPECT_EQ(message(odd), "msg pool 'test': buffer_align = 48, allowed a power of two");
  EXPECT_TRUE(f.memory.table.empty());  // nothing registered for a rejected pool
}

TEST(MessagePool, SyncGetIsAllOrNothingAndCountsExhaustion) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(4));
  Handle h[4];
  ASSERT_EQ(pool.get_sync(f.c, 3, h), Status::ok);
  EXPECT_EQ(pool.get_sync(f.c, 2, h + 3), Status::no_resources);
  EXPECT_EQ(pool.free_count(), 1u);  // nothing taken by the failed get
  ASSERT_EQ(pool.get_sync(f.c, 1, h + 3), Status::ok);
  EXPECT_EQ(pool.get_sync(f.c, 1, h), Status::no_resources);
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.sync_gets, 2u);
  EXPECT_EQ(s.failed_gets, 2u);
  EXPECT_EQ(s.elements_out, 4u);
  EXPECT_EQ(s.peak_in_use, 4u);
  EXPECT_EQ(pool.in_use(), 4u);
}

TEST(MessagePool, PutIsLifoBumpsTheGenerationAndResetsOnlyTheStatus) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(4));
  Handle h[2];
  ASSERT_EQ(pool.get_sync(f.c, 2, h), Status::ok);
  Descriptor* d = pool.descriptor(f.c, h[1]);
  const Descriptor before = *d;
  d->status = 42;  // what a completion would write
  ASSERT_EQ(pool.put(f.c, h[1]), Status::ok);
  Handle again;
  ASSERT_EQ(pool.get_sync(f.c, 1, &again), Status::ok);
  EXPECT_EQ(again.index, h[1].index);  // the element just put comes back first
  EXPECT_EQ(again.generation, h[1].generation + 1);
  d = pool.descriptor(f.c, again);
  EXPECT_EQ(d->status, kDescriptorIdle);
  EXPECT_EQ(d->wr_id, before.wr_id);
  EXPECT_EQ(d->sge[0].addr, before.sge[0].addr);
  EXPECT_EQ(d->sge[0].len, before.sge[0].len);
  EXPECT_EQ(d->sge[0].lkey, before.sge[0].lkey);
  EXPECT_EQ(pool.stats().elements_back, 1u);
}

TEST(MessagePool, AsyncGetServedAtOnceReturnsOkWithoutCallback) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(4));
  Waiter w(1, 3);
  EXPECT_EQ(pool.get_async(f.c, w.req), Status::ok);
  EXPECT_EQ(w.req.given_now, 3u);
  EXPECT_EQ(w.calls, 0);
  EXPECT_EQ(pool.stats().async_immediate, 1u);
  EXPECT_EQ(pool.free_count(), 1u);
}

TEST(MessagePool, SyncGetNeverGoesAheadOfAQueuedAsyncRequest) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(4));
  Handle h[4];
  ASSERT_EQ(pool.get_sync(f.c, 4, h), Status::ok);
  Waiter w(1, 2);
  ASSERT_EQ(pool.get_async(f.c, w.req), Status::pending);
  ASSERT_EQ(pool.put(f.c, h[0]), Status::ok);  // one free, the request needs two
  EXPECT_EQ(w.calls, 0);
  Handle one;
  EXPECT_EQ(pool.get_sync(f.c, 1, &one), Status::no_resources);  // free, but not for it
  EXPECT_EQ(pool.free_count(), 1u);
  ASSERT_EQ(pool.put(f.c, h[1]), Status::ok);  // serves the request from this put
  EXPECT_EQ(w.calls, 1);
  EXPECT_EQ(w.req.given, 2u);
  EXPECT_EQ(w.out[0].index, h[1].index);  // LIFO: the last put first
  EXPECT_EQ(w.out[1].index, h[0].index);
  EXPECT_EQ(pool.free_count(), 0u);
  EXPECT_EQ(pool.queued(), 0u);
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.async_queued, 1u);
  EXPECT_EQ(s.async_served, 1u);
  EXPECT_EQ(s.failed_gets, 1u);
}

TEST(MessagePool, QueuedRequestsAreServedFirstInFirstOut) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(3));
  Handle h[3];
  ASSERT_EQ(pool.get_sync(f.c, 3, h), Status::ok);
  std::vector<int> order;
  Waiter a(1, 1, &order), b(2, 1, &order), c(3, 1, &order);
  for (Waiter* w : {&a, &b, &c}) ASSERT_EQ(pool.get_async(f.c, w->req), Status::pending);
  EXPECT_EQ(pool.queued(), 3u);
  ASSERT_EQ(pool.put(f.c, h[2]), Status::ok);
  EXPECT_EQ(order, (std::vector<int>{1}));
  ASSERT_EQ(pool.put(f.c, h[0]), Status::ok);
  ASSERT_EQ(pool.put(f.c, h[1]), Status::ok);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(a.out[0].index, 2u);
  EXPECT_EQ(b.out[0].index, 0u);
  EXPECT_EQ(c.out[0].index, 1u);
  EXPECT_EQ(a.calls + b.calls + c.calls, 3);
}

TEST(MessagePool, ALargeRequestAtTheHeadHoldsBackSmallerOnes) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(3));
  Handle h[3];
  ASSERT_EQ(pool.get_sync(f.c, 3, h), Status::ok);
  std::vector<int> order;
  Waiter big(1, 3, &order), small(2, 1, &order);
  ASSERT_EQ(pool.get_async(f.c, big.req), Status::pending);
  ASSERT_EQ(pool.get_async(f.c, small.req), Status::pending);
  ASSERT_EQ(pool.put(f.c, h[0]), Status::ok);
  ASSERT_EQ(pool.put(f.c, h[1]), Status::ok);
  EXPECT_TRUE(order.empty());  // two free, the small one would fit, but it is not the head
  EXPECT_EQ(pool.free_count(), 2u);
  ASSERT_EQ(pool.put(f.c, h[2]), Status::ok);
  EXPECT_EQ(order, (std::vector<int>{1}));
  ASSERT_EQ(pool.put(f.c, big.out[0]), Status::ok);  // one back is enough for the small one
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(MessagePool, PartialGetTakesWhatIsFreeAndQueuesTheRestAsOneRequest) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(4));
  Handle h[4];
  ASSERT_EQ(pool.get_sync(f.c, 2, h), Status::ok);
  Waiter w(1, 4);
  ASSERT_EQ(pool.get_async_partial(f.c, w.req), Status::pending);
  EXPECT_EQ(w.req.given_now, 2u);  // the two free ones, now
  EXPECT_EQ(pool.free_count(), 0u);
  ASSERT_EQ(pool.put(f.c, h[0]), Status::ok);
  EXPECT_EQ(w.calls, 0);  // the rest is served whole, not piecemeal
  ASSERT_EQ(pool.put(f.c, h[1]), Status::ok);
  EXPECT_EQ(w.calls, 1);
  EXPECT_EQ(w.req.given, 4u);
  EXPECT_EQ(w.out[2].index, h[1].index);
  EXPECT_EQ(w.out[3].index, h[0].index);
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.partial_gets, 1u);
  EXPECT_EQ(s.async_queued, 1u);
  EXPECT_EQ(s.async_served, 1u);
  EXPECT_EQ(s.elements_out, 6u);
}

TEST(MessagePool, PartialGetDoesNotJumpTheQueueEither) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(4));
  Handle h[4];
  ASSERT_EQ(pool.get_sync(f.c, 3, h), Status::ok);
  Waiter first(1, 2), partial(2, 2);
  ASSERT_EQ(pool.get_async(f.c, first.req), Status::pending);
  ASSERT_EQ(pool.get_async_partial(f.c, partial.req), Status::pending);
  EXPECT_EQ(partial.req.given_now, 0u);  // one was free, but the first request waits for it
  EXPECT_EQ(pool.free_count(), 1u);
  EXPECT_EQ(pool.stats().partial_gets, 0u);
  ASSERT_EQ(pool.put(f.c, h[0]), Status::ok);
  EXPECT_EQ(first.calls, 1);
  EXPECT_EQ(partial.calls, 0);
}

TEST(MessagePool, PartialGetWithEnoughFreeIsServedAtOnce) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(4));
  Waiter w(1, 4);
  EXPECT_EQ(pool.get_async_partial(f.c, w.req), Status::ok);
  EXPECT_EQ(w.req.given_now, 4u);
  EXPECT_EQ(w.calls, 0);
  EXPECT_EQ(pool.stats().partial_gets, 0u);
}

TEST(MessagePool, ACallbackMayUseThePoolAndRunsInThePuttersCall) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(1));
  Handle h;
  ASSERT_EQ(pool.get_sync(f.c, 1, &h), Status::ok);
  struct Relay {
    Pool* pool;
    Handle got;
    int calls = 0;
  } relay{&pool, {}, 0};
  Pool::Request r;
  r.count = 1;
  r.out = &relay.got;
  r.user = &relay;
  r.done = [](Ctx& c, Pool::Request& req) {
    Relay& x = *static_cast<Relay*>(req.user);
    ++x.calls;
    EXPECT_EQ(x.pool->put(c, x.got), Status::ok);  // no lock held: it may put at once
  };
  ASSERT_EQ(pool.get_async(f.c, r), Status::pending);
  ASSERT_EQ(pool.put(f.c, h), Status::ok);
  EXPECT_EQ(relay.calls, 1);
  EXPECT_EQ(pool.free_count(), 1u);
  EXPECT_EQ(pool.stats().elements_back, 2u);
}

TEST(MessagePool, CancelWithdrawsARequestAndServesTheOnesBehindIt) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(3));
  Handle h[3];
  ASSERT_EQ(pool.get_sync(f.c, 2, h), Status::ok);
  Waiter big(1, 3), small(2, 1);
  ASSERT_EQ(pool.get_async_partial(f.c, big.req), Status::pending);
  EXPECT_EQ(big.req.given_now, 1u);
  ASSERT_EQ(pool.get_async(f.c, small.req), Status::pending);
  ASSERT_EQ(pool.put(f.c, h[0]), Status::ok);  // held back by the big one
  EXPECT_EQ(small.calls, 0);
  EXPECT_TRUE(pool.cancel(f.c, big.req));
  EXPECT_EQ(small.calls, 1);  // served by the cancel
  EXPECT_EQ(big.calls, 0);
  EXPECT_FALSE(pool.cancel(f.c, big.req));           // no longer queued
  EXPECT_FALSE(pool.cancel(f.c, small.req));         // served already
  ASSERT_EQ(pool.put(f.c, big.out[0]), Status::ok);  // the partial part stays the caller's
  EXPECT_EQ(pool.stats().cancelled, 1u);
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(MessagePool, DoublePutIsCaughtReportedAndCounted) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(2), f.reporter());
  Handle h;
  ASSERT_EQ(pool.get_sync(f.c, 1, &h), Status::ok);
  ASSERT_EQ(pool.put(f.c, h), Status::ok);
  EXPECT_EQ(pool.put(f.c, h), Status::double_put);
  EXPECT_EQ(pool.free_count(), 2u);  // unchanged by the second put
  EXPECT_EQ(pool.stats().double_puts, 1u);
  EXPECT_EQ(pool.stats().elements_back, 1u);
  ASSERT_EQ(f.reports.size(), 1u);
  EXPECT_EQ(f.reports[0], "msg pool 'test': put of element 0 (pool id " +
                              std::to_string(pool.id()) +
                              ", generation 0): double put (the element is already free)");
  // The element is handed out once, not twice.
  Handle a[2];
  ASSERT_EQ(pool.get_sync(f.c, 2, a), Status::ok);
  EXPECT_NE(a[0].index, a[1].index);
}

TEST(MessagePool, PutOfAForeignElementIsCaught) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(2), f.reporter());
  Pool other(f.platform, f.memory, config(2));
  Handle theirs;
  ASSERT_EQ(other.get_sync(f.c, 1, &theirs), Status::ok);
  EXPECT_EQ(pool.put(f.c, theirs), Status::foreign);
  EXPECT_EQ(pool.put(f.c, Handle{}), Status::foreign);
  EXPECT_EQ(pool.put(f.c, Handle{pool.id(), 2, 0}), Status::foreign);  // no such element
  EXPECT_EQ(pool.descriptor(f.c, theirs), nullptr);
  EXPECT_EQ(pool.stats().foreign, 4u);
  EXPECT_EQ(pool.free_count(), 2u);
  EXPECT_EQ(other.in_use(), 1u);  // the other pool's element is still out there
  ASSERT_EQ(f.reports.size(), 4u);
  EXPECT_NE(f.reports[0].find("foreign element"), std::string::npos);
}

TEST(MessagePool, UseAfterPutIsCaught) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(1), f.reporter());
  Handle old;
  ASSERT_EQ(pool.get_sync(f.c, 1, &old), Status::ok);
  ASSERT_EQ(pool.put(f.c, old), Status::ok);
  EXPECT_EQ(pool.descriptor(f.c, old), nullptr);  // free
  EXPECT_EQ(pool.buffer(f.c, old), 0u);
  Handle now;
  ASSERT_EQ(pool.get_sync(f.c, 1, &now), Status::ok);
  EXPECT_EQ(now.index, old.index);
  EXPECT_EQ(pool.descriptor(f.c, old), nullptr);  // someone else's now
  EXPECT_NE(pool.descriptor(f.c, now), nullptr);
  EXPECT_EQ(pool.put(f.c, old), Status::stale);  // must not return the new owner's element
  EXPECT_EQ(pool.in_use(), 1u);
  EXPECT_EQ(pool.stats().stale, 4u);
  ASSERT_EQ(f.reports.size(), 4u);
  EXPECT_EQ(f.reports[0], "msg pool 'test': descriptor of element 0 (pool id " +
                              std::to_string(pool.id()) +
                              ", generation 0): stale handle (the element was put since this "
                              "handle was issued (use after put))");
}

TEST(MessagePool, CountsThePoolCanNeverServeAreInvalid) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(2), f.reporter());
  Handle h[3];
  EXPECT_EQ(pool.get_sync(f.c, 0, h), Status::invalid);
  EXPECT_EQ(pool.get_sync(f.c, 3, h), Status::invalid);
  Waiter w(1, 3);
  EXPECT_EQ(pool.get_async(f.c, w.req), Status::invalid);  // would wait forever
  Pool::Request no_callback;
  no_callback.count = 1;
  no_callback.out = h;
  EXPECT_EQ(pool.get_async(f.c, no_callback), Status::invalid);
  Handle all[2];
  ASSERT_EQ(pool.get_sync(f.c, 2, all), Status::ok);
  Waiter queued(2, 1);
  ASSERT_EQ(pool.get_async(f.c, queued.req), Status::pending);
  EXPECT_EQ(pool.get_async(f.c, queued.req), Status::invalid);  // the same request again
  EXPECT_EQ(pool.stats().invalid, 5u);
  EXPECT_EQ(pool.queued(), 1u);
  ASSERT_EQ(f.reports.size(), 5u);
  EXPECT_EQ(f.reports[1],
            "msg pool 'test': get_sync of 3 elements: invalid request (the count must be "
            "between 1 and the pool's element count)");
}

TEST(MessagePool, DestroyOnlyWhenEveryElementIsBack) {
  Fixture f;
  Handle h[3];
  {
    Pool pool(f.platform, f.memory, config(3));
    ASSERT_EQ(pool.get_sync(f.c, 2, h), Status::ok);
    DestroyResult r = pool.destroy(f.c);
    EXPECT_EQ(r.status, Status::busy);
    EXPECT_EQ(r.outstanding, 2u);
    EXPECT_TRUE(f.memory.table[0].valid);  // still registered
    ASSERT_EQ(pool.put(f.c, h[0]), Status::ok);
    EXPECT_EQ(pool.destroy(f.c).outstanding, 1u);
    ASSERT_EQ(pool.put(f.c, h[1]), Status::ok);
    r = pool.destroy(f.c);
    EXPECT_EQ(r.status, Status::ok);
    EXPECT_FALSE(f.memory.table[0].valid);  // deregistered
    EXPECT_EQ(f.memory.deregistrations, 1u);
    EXPECT_EQ(f.memory.released_bytes, pool.bytes());
    EXPECT_EQ(pool.stats().deregistrations, 1u);
    EXPECT_EQ(pool.destroy(f.c).status, Status::destroyed);
    EXPECT_EQ(pool.get_sync(f.c, 1, h), Status::destroyed);
    Waiter w(1, 1);
    EXPECT_EQ(pool.get_async(f.c, w.req), Status::destroyed);
    EXPECT_EQ(pool.put(f.c, h[0]), Status::double_put);  // nothing is out
  }
  EXPECT_EQ(f.memory.deregistrations, 1u);  // the destructor does not deregister again
}

TEST(MessagePool, APoolNotDestroyedGivesItsMemoryBackWhenDeleted) {
  Fixture f;
  { Pool pool(f.platform, f.memory, config(3)); }
  EXPECT_EQ(f.memory.deregistrations, 1u);
  EXPECT_FALSE(f.memory.table[0].valid);
}

TEST(MessagePool, HandleOfACompletionsWorkRequestId) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(2));
  Handle h;
  ASSERT_EQ(pool.get_sync(f.c, 1, &h), Status::ok);
  const std::uint64_t wr_id = pool.descriptor(f.c, h)->wr_id;
  Handle found;
  ASSERT_EQ(pool.handle_of(f.c, wr_id, found), Status::ok);
  EXPECT_EQ(found, h);
  ASSERT_EQ(pool.put(f.c, h), Status::ok);
  EXPECT_EQ(pool.handle_of(f.c, wr_id, found), Status::stale);  // not out any more
  EXPECT_EQ(pool.handle_of(f.c, 12345, found), Status::foreign);
}

TEST(MessagePool, TheObserverSeesEveryChangeOfTheFreeCountInOrder) {
  Fixture f;
  Pool pool(f.platform, f.memory, config(2));
  std::vector<std::pair<std::uint32_t, std::uint32_t>> seen;
  pool.set_free_observer(
      [&](std::uint32_t free, std::uint32_t queued) { seen.emplace_back(free, queued); });
  Handle h[2];
  ASSERT_EQ(pool.get_sync(f.c, 2, h), Status::ok);
  Waiter w(1, 1);
  ASSERT_EQ(pool.get_async(f.c, w.req), Status::pending);
  ASSERT_EQ(pool.put(f.c, h[0]), Status::ok);  // served at once: free stays 0
  ASSERT_EQ(pool.put(f.c, h[1]), Status::ok);
  using V = std::vector<std::pair<std::uint32_t, std::uint32_t>>;
  EXPECT_EQ(seen, (V{{0, 0}, {0, 1}, {0, 0}, {1, 0}}));
}

}  // namespace
}  // namespace hcasim::msg_pool
