// The adapter driver on a real system: posting and polling go through the guard and reach the
// adapter; completions of a detached work queue are dropped and slots still freed; a destroyed
// work queue refuses posts; moderation reaches the adapter; the resource trace and statistics
// follow (workers inside, updates, updater latency). And the interrupt path end to end: an
// armed CQ's event (MSI over PCIe) reaches the interrupt controller, whose ISR queues a DPC
// that reaps the completion through the guard's non-blocking entry.
#include <gtest/gtest.h>

#include <sysc/kernel/sc_dynamic_processes.h>
#include <systemc>

#include <memory>
#include <string>

#include "host_os/driver/adapter_driver.hpp"
#include "host_os/sim/interrupt_controller.hpp"
#include "host_os/sim/sim_thread.hpp"
#include "models/core/lookahead.hpp"
#include "models/iounit/perftest_peer.hpp"
#include "workloads/system.hpp"

namespace hcasim {
namespace {

constexpr Picos kUs = 1'000'000;

struct Rig {
  ParamRegistry registry;
  ParamValues values{registry};
  std::unique_ptr<System> system;
  std::unique_ptr<SimPlatform> platform;
  std::unique_ptr<AdapterDriver> driver;
  std::unique_ptr<PerftestPeer> sink;
  AdapterDriver::Cq* cq = nullptr;
  AdapterDriver::Wq* wq = nullptr;
  SendRequest wr;

  explicit Rig(sync::SyncKind kind) {
    declare_all_params(registry);
    values.set("host.cpus", "2", ValueOrigin{"test"});
    system = std::make_unique<System>(values, nullptr);
    std::vector<SimCpu*> cpus{system->cpus[0].get(), system->cpus[1].get()};
    platform = std::make_unique<SimPlatform>(cpus, SimPlatformParams::from(system->host_params));
    driver = std::make_unique<AdapterDriver>("host0.driver", *system->host.adapter, *platform, kind,
                                             system->host_params, nullptr);
    cq = &driver->create_cq(256, 4);
    wq = &driver->create_wq(*cq, *cq, 16, 1);
    AdapterContext& iou = *system->iou.adapter;
    CompletionQueue& icq = iou.create_cq(256);
    QueuePair& iqp = iou.create_qp(icq, icq, 16, 64);
    system->host.hca->connect(wq->qp->qpn, system->iou.hca->port_address(), iqp.qpn);
    system->iou.hca->connect(iqp.qpn, system->host.hca->port_address(), wq->qp->qpn);
    sink = std::make_unique<PerftestPeer>("sink", system->iou_params, iou, *system->iou.pcie, iqp,
                                          icq, PeerMode::kSink, 8, false);
    HostMemory& mem = system->host.adapter->memory();
    const std::uint64_t buf = mem.allocate(8, 64);
    const std::uint32_t key = system->host.adapter->register_memory(buf, 8, kLocalWrite);
    wr.signaled = true;
    wr.inline_data = true;
    wr.sges.push_back(Sge{buf, 8, key});
  }

  // Posts `n` sends in one section, waits, polls them back in another; returns kept entries.
  unsigned round(SimContext& c, unsigned n) {
    bool posted = true;
    EXPECT_TRUE(driver->work(c, [&] {
      for (unsigned i = 0; i < n; ++i) posted = posted && driver->post_send(c, *wq, wr);
    }));
    EXPECT_TRUE(posted);
    hcasim::Lookahead::wait(ps(20 * kUs));  // all acknowledged meanwhile
    WorkCompletion wc[16];
    unsigned kept = 0;
    EXPECT_TRUE(driver->work(c, [&] { kept = driver->poll(c, *cq, wc, 16); }));
    return kept;
  }
};

TEST(AdapterDriver, PostsPollsAndUpdatesThroughTheGuard) {
  Rig rig(sync::SyncKind::algorithm);
  SimThread worker("w", *rig.system->cpus[0], nullptr);
  SimThread updater("u", *rig.system->cpus[1], nullptr);
  unsigned kept_attached = 0, kept_detached = 0, kept_again = 0;
  bool post_after_destroy = true;
  hcasim::Lookahead::spawn_thread([&] {
    worker.start();
    SimContext& c = worker.context();
    hcasim::Lookahead::wait(ps(10 * kUs));  // the sink's receives are posted
    kept_attached = rig.round(c, 4);
    hcasim::Lookahead::wait(ps(20 * kUs));  // the updater detaches the WQ
    kept_detached = rig.round(c, 3);
    hcasim::Lookahead::wait(ps(20 * kUs));  // ... and attaches it again
    kept_again = rig.round(c, 2);
    hcasim::Lookahead::wait(ps(20 * kUs));  // ... and destroys it
    rig.driver->work(c, [&] { post_after_destroy = rig.driver->post_send(c, *rig.wq, rig.wr); });
    worker.finish();
  });
  hcasim::Lookahead::spawn_thread([&] {
    updater.start();
    SimContext& c = updater.context();
    updater.sleep_for(40 * kUs);
    EXPECT_TRUE(rig.driver->detach_wq(c, *rig.cq, *rig.wq, 1000));
    EXPECT_TRUE(rig.driver->set_moderation(c, *rig.cq, 8, 5 * kUs, 1000));
    EXPECT_TRUE(rig.driver->resize_cq(c, *rig.cq, 128, 1000));
    updater.sleep_for(40 * kUs);
    EXPECT_TRUE(rig.driver->attach_wq(c, *rig.cq, *rig.wq, 1000));
    updater.sleep_for(40 * kUs);
    EXPECT_TRUE(rig.driver->destroy_wq(c, *rig.wq, 1000));
    updater.finish();
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(kept_attached, 4u);
  EXPECT_EQ(kept_detached, 0u);  // not monitored: dropped
  EXPECT_EQ(rig.cq->dropped, 3u);
  EXPECT_EQ(kept_again, 2u);
  EXPECT_FALSE(post_after_destroy);
  EXPECT_EQ(rig.wq->qp->sq_in_flight(), 0u);  // dropped entries still freed their slots
  EXPECT_EQ(rig.cq->entries, 128u);
  EXPECT_EQ(rig.cq->mod_count, 8u);
  const AdapterDriver::Stats& st = rig.driver->stats();
  EXPECT_EQ(st.updates, 5u);
  EXPECT_EQ(st.violations, 0u);
  EXPECT_EQ(st.sections, 7u);
  EXPECT_EQ(st.updater_latency_ns.count(), 5u);
  EXPECT_EQ(rig.driver->workers_inside(), 0u);
  EXPECT_EQ(rig.driver->guard().stats().updates, 5u);
  EXPECT_GT(rig.driver->guard_lines().accesses, 0u);
  EXPECT_GT(rig.driver->table_lines().transfers, 0u);  // updates moved the table line
}

// The properties every guard must give the driver, for each host.sync.
class AdapterDriverUnder : public ::testing::TestWithParam<sync::SyncKind> {};

TEST_P(AdapterDriverUnder, AnUpdateWaitsForTheWorkersInside) {
  Rig rig(GetParam());
  SimThread w0("w0", *rig.system->cpus[0], nullptr);
  SimThread u("u", *rig.system->cpus[1], nullptr);
  Picos left = 0, update_started = 0;
  hcasim::Lookahead::spawn_thread([&] {
    w0.start();
    rig.driver->work(w0.context(), [&] { w0.context().run(26'000); });  // 10 us inside
    left = now_ps();
    w0.finish();
  });
  hcasim::Lookahead::spawn_thread([&] {
    u.start();
    u.sleep_for(2 * kUs);
    EXPECT_EQ(rig.driver->workers_inside(), 1u);
    rig.driver->update(u.context(), 0, [&] { update_started = now_ps(); });
    u.finish();
  });
  hcasim::Lookahead::run();
  EXPECT_GE(update_started, left);
  EXPECT_EQ(rig.driver->stats().violations, 0u);
  ASSERT_EQ(rig.driver->stats().updater_latency_ns.count(), 1u);
  EXPECT_GE(rig.driver->stats().updater_latency_ns.min(), 8000u);  // waited for the drain
}

// The DPC of the CQ's interrupt vector: reaps the CQ from DPC context (never blocks).
struct CompletionDpc {
  Rig* rig = nullptr;
  unsigned reaped = 0;
  Picos ran_at = 0;
  static void run(void* self, std::uint64_t, SimContext& kernel) {
    auto* d = static_cast<CompletionDpc*>(self);
    d->ran_at = now_ps();
    WorkCompletion wc[16];
    d->rig->driver->try_work(
        kernel, [&] { d->reaped += d->rig->driver->poll(kernel, *d->rig->cq, wc, 16); });
  }
};

TEST_P(AdapterDriverUnder, AnArmedCqInterruptsItsCpuAndTheDpcReapsIt) {
  Rig rig(GetParam());
  std::vector<SimCpu*> cpus{rig.system->cpus[0].get(), rig.system->cpus[1].get()};
  InterruptController irq(cpus, rig.system->host_params, 1);
  rig.system->host.pcie->set_interrupt_sink(&irq);
  CompletionDpc dpc;
  dpc.rig = &rig;
  // The adapter signals a CQ's events on the vector named like the CQ (its default).
  irq.route(rig.cq->cq->cqn(), 1, Dpc{&CompletionDpc::run, &dpc, 0});
  SimThread worker("w", *rig.system->cpus[0], nullptr);
  Picos armed_at = 0;
  hcasim::Lookahead::spawn_thread([&] {
    worker.start();
    SimContext& c = worker.context();
    hcasim::Lookahead::wait(ps(10 * kUs));
    rig.system->host.adapter->arm_cq(*rig.cq->cq);
    armed_at = now_ps();
    rig.driver->work(c, [&] { rig.driver->post_send(c, *rig.wq, rig.wr); });
    worker.finish();
  });
  hcasim::Lookahead::run();
  SimCpu& cpu1 = *rig.system->cpus[1];
  EXPECT_EQ(irq.raised(), 1u);
  EXPECT_EQ(cpu1.interrupts(), 1u);
  EXPECT_EQ(cpu1.dpcs(), 1u);
  EXPECT_EQ(dpc.reaped, 1u);
  EXPECT_EQ(rig.system->cpus[0]->interrupts(), 0u);
  // The DPC ran after the ISR (host.interrupt_ns) and the DPC dispatch (host.dpc_cycles).
  const Picos isr = static_cast<Picos>(rig.system->host_params.interrupt_ns * 1000);
  EXPECT_GT(dpc.ran_at, armed_at + isr);
  EXPECT_EQ(cpu1.interrupt_ps(), isr);
  EXPECT_GT(cpu1.dpc_ps(), 0u);
  EXPECT_EQ(rig.driver->stats().sections, 2u);  // the worker's post, the DPC's poll
}

INSTANTIATE_TEST_SUITE_P(Kinds, AdapterDriverUnder, ::testing::ValuesIn(sync::kAllSyncKinds),
                         [](const auto& info) { return std::string(sync::to_string(info.param)); });

}  // namespace
}  // namespace hcasim
