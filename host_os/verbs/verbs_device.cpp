// The verbs layer (see verbs_device.hpp and docs/verbs.md).
#include "host_os/verbs/verbs_device.hpp"

#include <algorithm>

#include "models/core/config_error.hpp"

namespace hcasim::verbs {

VerbsDevice::VerbsDevice(std::string name, AdapterContext& adapter, SimPlatform& platform,
                         sync::SyncKind kind, const HostParams& params, TraceSink* trace)
    : name_(std::move(name)),
      adapter_(adapter),
      params_(params),
      driver_(name_ + ".driver", adapter, platform, kind, params, trace) {}

std::uint32_t VerbsDevice::max_inline() const { return adapter_.hca().max_inline(); }

// ---- control path ------------------------------------------------------------------------------

Cq& VerbsDevice::create_cq(std::uint32_t entries, std::uint32_t max_wqs) {
  cqs_.push_back(std::unique_ptr<Cq>(new Cq(driver_.create_cq(entries, max_wqs))));
  return *cqs_.back();
}

Qp& VerbsDevice::create_qp(Cq& send_cq, Cq& recv_cq, const QpCaps& asked, QpType type) {
  QpCaps caps = asked;
  const std::uint32_t stride = adapter_.hca().params().sq_stride;
  const std::uint32_t max_send_sge = (stride - sizeof(SendWqeHeader)) / sizeof(Sge);
  if (caps.max_inline_data == 0) caps.max_inline_data = max_inline();
  auto refuse = [&](const std::string& what, std::uint32_t limit) {
    throw ConfigError(name_ + ": a queue pair with " + what + " beyond the adapter's limit of " +
                      std::to_string(limit) + " (hca.sq_stride sets the send-side limits)");
  };
  if (caps.max_send_sge > max_send_sge)
    refuse("max_send_sge " + std::to_string(caps.max_send_sge), max_send_sge);
  if (caps.max_recv_sge > kMaxRecvSge)
    refuse("max_recv_sge " + std::to_string(caps.max_recv_sge), kMaxRecvSge);
  if (caps.max_inline_data > max_inline())
    refuse("max_inline_data " + std::to_string(caps.max_inline_data), max_inline());
  if (caps.max_send_wr == 0 || caps.max_recv_wr == 0) refuse("an empty send or receive queue", 1);
  AdapterDriver::Wq& wq =
      driver_.create_wq(send_cq.driver_cq(), recv_cq.driver_cq(), caps.max_send_wr,
                        caps.max_recv_wr, QpState::kReset, type);
  qps_.push_back(std::unique_ptr<Qp>(new Qp(wq, send_cq, recv_cq, caps)));
  Qp& qp = *qps_.back();
  qp.scratch_.sges.reserve(caps.max_send_sge);
  return qp;
}

const Ah& VerbsDevice::create_ah(const AhAttr& attr) {
  ahs_.push_back(std::make_unique<Ah>(Ah{attr.dlid}));
  return *ahs_.back();
}

Endpoint VerbsDevice::endpoint(const Qp& qp) const {
  return Endpoint{adapter_.hca().port_address(), qp.qp_num(), qp.sq_psn_};
}

namespace {
int to_errno(VerbStatus s) {
  switch (s) {
    case VerbStatus::kOk:
      return 0;
    case VerbStatus::kQueueFull:
      return ENOMEM;
    default:
      return EINVAL;
  }
}
}  // namespace

// The part of ibv_modify_qp that does not depend on who calls: the kernel's check
// (ib_modify_qp_is_ok), then the adapter's firmware command, which moves its QP context
// (ERR flushes, RESET discards, SQD stops starting sends).
int VerbsDevice::apply(Qp& qp, const QpAttr& attr) {
  if (qp.wq_->destroyed || !qp_transition_allowed(qp.state(), attr.state)) return EINVAL;
  if (qp.type() == QpType::kRc && qp.state() == QpState::kInit && attr.state == QpState::kRtr &&
      attr.remote.port == 0)
    return EINVAL;  // a reliable connection needs its remote end; a datagram QP has none
  QpModify m;
  m.state = attr.state;
  m.remote_port = attr.remote.port;
  m.remote_qpn = attr.remote.qpn;
  m.rq_psn = attr.remote.psn;
  m.sq_psn = attr.sq_psn;
  m.qkey = attr.qkey;
  const int err = to_errno(adapter_.modify_qp(*qp.wq_->qp, m));
  if (err == 0 && attr.state == QpState::kRts) qp.sq_psn_ = attr.sq_psn;
  return err;
}

int VerbsDevice::modify_qp(Qp& qp, const QpAttr& attr) {
  const int err = apply(qp, attr);
  return err ? fail(err) : 0;
}

int VerbsDevice::modify_qp(SimContext& c, Qp& qp, const QpAttr& attr) {
  int err = EINVAL;
  if (!driver_.update(c, params_.control_cycles, [&] { err = apply(qp, attr); })) err = EINVAL;
  return err ? fail(err) : 0;
}

int VerbsDevice::connect(Qp& qp, const Endpoint& remote) {
  QpAttr a;
  a.state = QpState::kInit;
  if (int e = modify_qp(qp, a)) return e;
  a.state = QpState::kRtr;
  a.remote = remote;
  if (int e = modify_qp(qp, a)) return e;
  a.state = QpState::kRts;
  a.sq_psn = qp.sq_psn_;
  return modify_qp(qp, a);
}

int VerbsDevice::activate_ud(Qp& qp, std::uint32_t qkey) {
  if (qp.type() != QpType::kUd) return fail(EINVAL);
  QpAttr a;
  a.qkey = qkey;
  for (const QpState s : {QpState::kInit, QpState::kRtr, QpState::kRts}) {
    a.state = s;
    if (int e = modify_qp(qp, a)) return e;
  }
  return 0;
}

Mr VerbsDevice::reg_mr(std::uint64_t addr, std::uint64_t length, std::uint32_t access) {
  ++stats_.registrations;
  const std::uint32_t key = adapter_.register_memory(addr, length, access);
  return Mr{addr, length, key, key};
}

void VerbsDevice::dereg_mr(const Mr& mr) { adapter_.hca().regions().deregister(mr.lkey); }

int VerbsDevice::resize_cq(SimContext& c, Cq& cq, std::uint32_t entries) {
  // The adapter's resize waits for the entries in flight to land (a thread, not a DPC).
  if (c.in_kernel()) return fail(EINVAL);
  int err = EINVAL;
  driver_.update(c, params_.control_cycles, [&] {
    if (entries == 0 || entries < cq.pending()) return;
    err = to_errno(adapter_.resize_cq(*cq.drv_->cq, entries));
    if (err == 0) cq.drv_->entries = entries;
  });
  return err ? fail(err) : 0;
}

int VerbsDevice::modify_cq(SimContext& c, Cq& cq, std::uint32_t count, Picos period) {
  if (count == 0) return fail(EINVAL);
  return driver_.set_moderation(c, cq.driver_cq(), count, period, params_.control_cycles)
             ? 0
             : fail(EINVAL);
}

int VerbsDevice::destroy_qp(SimContext& c, Qp& qp) {
  if (qp.wq_->destroyed) return fail(EINVAL);
  if (!driver_.destroy_wq(c, *qp.wq_, params_.control_cycles)) return fail(EINVAL);
  return adapter_.destroy_qp(*qp.wq_->qp) == VerbStatus::kOk ? 0 : fail(EINVAL);
}

// ---- data path ---------------------------------------------------------------------------------

int VerbsDevice::check_send(const Qp& qp, const SendWr& wr) const {
  if (!qp_accepts_sends(qp.state()) || qp.wq_->destroyed) return EINVAL;
  // A datagram QP sends only SENDs, each to an address handle.
  if (qp.type() == QpType::kUd &&
      ((wr.opcode != WrOpcode::kSend && wr.opcode != WrOpcode::kSendImm) || !wr.ud.ah))
    return EINVAL;
  switch (wr.opcode) {
    case WrOpcode::kSend:
    case WrOpcode::kSendImm:
    case WrOpcode::kRdmaWrite:
    case WrOpcode::kRdmaWriteImm:
    case WrOpcode::kRdmaRead:
      break;
    default:
      return EINVAL;
  }
  if (wr.num_sge > 0 && wr.sg_list == nullptr) return EINVAL;
  if (wr.send_flags & kSendInline) {
    if (wr.opcode == WrOpcode::kRdmaRead) return EINVAL;
    std::uint64_t len = 0;
    for (std::uint32_t i = 0; i < wr.num_sge; ++i) len += wr.sg_list[i].len;
    if (len > qp.caps_.max_inline_data) return EINVAL;
  } else if (wr.num_sge > qp.caps_.max_send_sge) {
    return EINVAL;
  }
  if (qp.sends_outstanding() >= qp.caps_.max_send_wr) return ENOMEM;
  return 0;
}

int VerbsDevice::post_send(SimContext& c, Qp& qp, const SendWr* wrs, std::size_t n,
                           std::size_t* bad) {
  ++stats_.post_send_calls;
  int err = 0;
  std::size_t i = 0;
  const bool entered = driver_.work(c, [&] {
    for (; i < n; ++i) {
      const SendWr& wr = wrs[i];
      if ((err = check_send(qp, wr)) != 0) break;  // the WRs before it still go
      SendRequest& r = qp.scratch_;
      r.wr_id = wr.wr_id;
      r.opcode = wr.opcode;
      r.signaled = wr.send_flags & kSendSignaled;
      r.inline_data = wr.send_flags & kSendInline;
      r.remote_addr = wr.remote_addr;
      r.rkey = wr.rkey;
      r.imm = wr.imm;
      if (wr.ud.ah) r.ud = UdAddress{wr.ud.ah->dlid, wr.ud.remote_qpn, wr.ud.remote_qkey};
      r.sges.assign(wr.sg_list, wr.sg_list + wr.num_sge);
      // A list rings one doorbell after its last WQE (as libmlx5 does); one WR goes with its
      // doorbell (BlueFlame when the adapter has it).
      if (!driver_.post_send(c, *qp.wq_, r, n == 1)) {
        err = EINVAL;  // destroyed meanwhile (the room was checked above)
        break;
      }
      ++stats_.sends_posted;
    }
    if (n > 1 && i > 0) driver_.ring_send(c, *qp.wq_);
  });
  if (!entered) err = EINVAL;
  if (err) {
    if (bad) *bad = i;
    return fail(err);
  }
  return 0;
}

int VerbsDevice::post_recv(SimContext& c, Qp& qp, const RecvWr* wrs, std::size_t n,
                           std::size_t* bad) {
  ++stats_.post_recv_calls;
  int err = 0;
  std::size_t i = 0;
  const bool entered = driver_.work(c, [&] {
    for (; i < n; ++i) {
      const RecvWr& wr = wrs[i];
      if (!qp_accepts_receives(qp.state()) || qp.wq_->destroyed) {
        err = EINVAL;
        return;
      }
      if (wr.num_sge > qp.caps_.max_recv_sge || (wr.num_sge > 0 && !wr.sg_list)) {
        err = EINVAL;
        return;
      }
      if (qp.recvs_outstanding() >= qp.caps_.max_recv_wr) {
        err = ENOMEM;
        return;
      }
      if (!driver_.post_recv(c, *qp.wq_, wr.wr_id, wr.sg_list, wr.num_sge)) {
        err = EINVAL;
        return;
      }
      ++stats_.recvs_posted;
    }
  });
  if (!entered) err = EINVAL;
  if (err) {
    if (bad) *bad = i;
    return fail(err);
  }
  return 0;
}

int VerbsDevice::poll_cq(SimContext& c, Cq& cq, WorkCompletion* wc, int n) {
  if (n <= 0) return 0;
  ++stats_.poll_calls;
  unsigned got = 0;
  driver_.work(c, [&] { got = driver_.poll(c, cq.driver_cq(), wc, static_cast<unsigned>(n)); });
  if (got == 0) ++stats_.empty_polls;
  stats_.completions += got;
  return static_cast<int>(got);
}

int VerbsDevice::reap_after_spin(SimContext& c, Cq& cq, WorkCompletion* wc, int n,
                                 std::uint64_t misses) {
  stats_.poll_calls += misses + 1;
  stats_.empty_polls += misses;
  unsigned got = 0;
  driver_.work(c, [&] {
    got = driver_.poll(c, cq.driver_cq(), wc, static_cast<unsigned>(n), /*charge_poll=*/false);
  });
  stats_.completions += got;
  if (got == 0) ++stats_.empty_polls;  // another poller took them, or their WQ was detached
  return static_cast<int>(got);
}

int VerbsDevice::spin_poll_cq(SimContext& c, Cq& cq, WorkCompletion* wc, int n) {
  if (n <= 0) return 0;
  // Another poller may take the entries the loop saw (or their WQ was detached): spin again.
  for (;;)
    if (const int got = spin_poll_cq_until(c, cq, wc, n, cq.landed_event(), [] { return false; }))
      return got;
}

int VerbsDevice::req_notify_cq(SimContext& c, Cq& cq) {
  const bool entered = driver_.work(c, [&] {
    c.run(params_.arm_cq_cycles);
    adapter_.arm_cq(*cq.drv_->cq);
  });
  return entered ? 0 : fail(EINVAL);
}

unsigned VerbsDevice::service_poll(SimContext& c, Cq& cq, WorkCompletion* wc, unsigned n) {
  ++stats_.poll_calls;
  c.run(params_.poll_cycles);
  const unsigned got = cq.drv_->cq->poll(wc, n);
  for (unsigned i = 0; i < got; ++i) {
    adapter_.retire(wc[i]);
    c.run(params_.completion_cycles);
  }
  if (got == 0) ++stats_.empty_polls;
  stats_.completions += got;
  return got;
}

void VerbsDevice::service_arm(SimContext& c, Cq& cq) {
  c.run(params_.arm_cq_cycles);
  adapter_.arm_cq(*cq.drv_->cq);
}

void VerbsDevice::set_async_handler(AsyncHandler h) {
  async_handler_ = std::move(h);
  if (!events_ && open_events_) open_events_();
}

void VerbsDevice::open_async_events(std::uint32_t vector) {
  events_ = &adapter_.open_event_queue(vector);
}

void VerbsDevice::async_dpc(void* self, std::uint64_t, SimContext& kernel) {
  auto& d = *static_cast<VerbsDevice*>(self);
  if (!d.events_) return;
  AsyncEvent e[8];
  for (;;) {
    kernel.run(d.params_.poll_cycles);
    const unsigned n = d.events_->poll(e, 8);
    for (unsigned i = 0; i < n; ++i) {
      ++d.stats_.async_events;
      if (d.async_handler_) d.async_handler_(kernel, e[i]);
    }
    if (n < 8) return;
  }
}

std::uint64_t VerbsDevice::completions_lost(const Cq& cq) const {
  return adapter_.hca().cq_completions_lost(cq.cqn());
}

}  // namespace hcasim::verbs
