#pragma once
// WQ fetcher: brings work-queue elements from a ring in host memory into the adapter, in
// batches by DMA read (up to wqe_fetch_batch WQEs, never across the ring's end), one batch in
// flight per queue, and decodes them into the queue's slots. The same engine serves the send
// and the receive rings; what differs is the ring's `Client`:
//
//   using Work = ...;                                     // SendWork or RecvWork
//   WorkQueue<Work>& queue(QpContext&);                   // the ring the fetcher walks
//   std::uint32_t stride() const;                         // bytes per WQE in host memory
//   Picos issued(std::uint32_t n, Picos landed);          // a batch was read: when it is decoded
//   bool refetch_after_reset(const QpContext&) const;     // a stale batch returned: go on?
//   void decode(QpContext&, std::uint32_t index, const std::uint8_t* bytes);
//   void fetched(QpContext&);                             // a batch is usable
#include <algorithm>
#include <cstdint>

#include "models/hca/adapter_core.hpp"

namespace hcasim {

template <class Client>
class WqFetcher {
 public:
  WqFetcher(AdapterCore& core, Client& client) : core_(core), client_(client) {}

  // Fetches the next batch of posted WQEs, unless one is in flight or all are fetched.
  void start(QpContext& qp) {
    auto& q = client_.queue(qp);
    if (q.fetching || q.fetched == q.producer) return;
    const std::uint32_t stride = client_.stride();
    const std::uint32_t slot = q.fetched % q.entries;
    const std::uint32_t n =
        std::min({q.producer - q.fetched, core_.params.wqe_fetch_batch, q.entries - slot});
    q.fetching = true;
    q.fetch_epoch = qp.epoch;
    const Picos landed = core_.dma.read(q.addr + std::uint64_t(slot) * stride, q.fetch_buf.data(),
                                        n * stride, core_.edge(now_ps()));
    core_.actions.template at<&WqFetcher::on_fetched>(client_.issued(n, landed), this,
                                                      Batch{qp.qpn, n});
  }

  // The DMA target one batch needs.
  std::size_t batch_bytes() const {
    return std::size_t(core_.params.wqe_fetch_batch) * client_.stride();
  }

 private:
  struct Batch {
    std::uint32_t qpn;
    std::uint32_t count;  // WQEs
  };

  void on_fetched(Batch batch) {
    QpContext& qp = core_.qps[batch.qpn];
    const std::uint32_t n = batch.count;
    auto& q = client_.queue(qp);
    q.fetching = false;
    if (q.fetch_epoch != qp.epoch) {  // fetched before a RESET: the WQEs are gone
      if (client_.refetch_after_reset(qp)) start(qp);
      return;
    }
    if (qp.state == QpState::kError) return;  // flushed meanwhile: these WQEs are gone
    const std::uint32_t stride = client_.stride();
    for (std::uint32_t i = 0; i < n; ++i)
      client_.decode(qp, q.fetched + i, q.fetch_buf.data() + std::size_t(i) * stride);
    q.fetched += n;
    start(qp);  // keep fetching ahead while software posts
    client_.fetched(qp);
  }

  AdapterCore& core_;
  Client& client_;
};

}  // namespace hcasim
