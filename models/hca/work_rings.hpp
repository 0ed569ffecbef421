#pragma once
// The two kinds of work-queue ring the WQ fetcher serves: what a WQE looks like in host memory,
// how it decodes, and what the adapter does once a batch is in.
//  - SendRing: send WQEs (sq_stride bytes: header, then SGEs or inline data), parsed by the
//    send engine's WQE parser (wqe_parse_cycles per WQE); a batch makes the QP eligible to
//    send. BlueFlame WQEs, which come with their doorbell, decode the same way.
//  - RecvRing: receive WQEs (kRecvStride bytes: header, then SGEs), usable once they land; a
//    batch lets the transport place messages that were waiting for one.
#include <cstdint>
#include <string>

#include "models/core/occupancy.hpp"
#include "models/hca/adapter_core.hpp"
#include "models/hca/send_scheduler.hpp"
#include "models/hca/wq_fetcher.hpp"

namespace hcasim {

class SendRing {
 public:
  using Work = SendWork;
  SendRing(AdapterCore& core, SendScheduler& scheduler) : core_(core), scheduler_(scheduler) {}
  void attach_trace(const std::string& adapter);

  WorkQueue<Work>& queue(QpContext& qp) { return qp.sq; }
  std::uint32_t stride() const { return core_.params.sq_stride; }
  Picos issued(std::uint32_t n, Picos landed);
  bool refetch_after_reset(const QpContext& qp) const { return qp.sending(); }
  void decode(QpContext& qp, std::uint32_t index, const std::uint8_t* bytes);
  void fetched(QpContext& qp);

 private:
  AdapterCore& core_;
  SendScheduler& scheduler_;
  TracedResource parser_;
};

class RecvRing {
 public:
  using Work = RecvWork;
  explicit RecvRing(AdapterCore& core) : core_(core) {}

  WorkQueue<Work>& queue(QpContext& qp) { return qp.rq; }
  std::uint32_t stride() const { return kRecvStride; }
  Picos issued(std::uint32_t, Picos landed) { return core_.edge(landed); }
  bool refetch_after_reset(const QpContext& qp) const {
    return qp.state != QpState::kReset && qp.state != QpState::kError;
  }
  void decode(QpContext& qp, std::uint32_t index, const std::uint8_t* bytes);
  void fetched(QpContext& qp);

 private:
  AdapterCore& core_;
};

using SendWqFetcher = WqFetcher<SendRing>;
using RecvWqFetcher = WqFetcher<RecvRing>;

}  // namespace hcasim
