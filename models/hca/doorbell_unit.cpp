#include "models/hca/doorbell_unit.hpp"

#include <cstring>

namespace hcasim {

void DoorbellUnit::attach_trace(const std::string& adapter) {
  unit_.attach<DoorbellOp>(core_.trace, adapter + ".doorbell");
}

void DoorbellUnit::mmio(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  // Never waits: records the doorbell and acts on it when it has been decoded.
  const std::uint64_t offset = gp.get_address();
  const Picos decode = core_.cycles(core_.params.doorbell_cycles);
  if (gp.is_read()) {
    // Register reads (firmware version, counters) answer after one doorbell-unit decode.
    std::memset(gp.get_data_ptr(), 0, gp.get_data_length());
    const Picos at = now_ps() + delay.value();
    delay = ps(core_.edge(at) + decode - now_ps());
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  const auto kind = static_cast<DoorbellKind>(offset & ((1u << kDoorbellQpShift) - 1));
  const auto qpn = static_cast<std::uint32_t>(offset >> kDoorbellQpShift);
  QpContext* qp = core_.qps.find(qpn);
  const bool valid = kind == DoorbellKind::kCqArm ? qpn < s_.completions.cq_count() : qp != nullptr;
  if (!valid || gp.get_data_length() < 4) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  std::uint32_t producer = 0;
  std::memcpy(&producer, gp.get_data_ptr(), 4);
  const Picos arrive = now_ps() + delay.value();
  const Picos decoded = unit_.reserve(core_.edge(arrive), decode, doorbell_op(kind)) + decode;
  ++core_.counters.doorbells;
  if (kind != DoorbellKind::kCqArm) ++qp->doorbells_in_flight;
  const Doorbell doorbell{qpn, producer};
  if (kind == DoorbellKind::kSend) {
    const unsigned len = gp.get_data_length();
    if (blueflame_wqe(gp.get_data_ptr(), len)) {
      // BlueFlame: the WQE came with the doorbell. Its slot is free (software posts only into
      // free slots), so decoding it now is invisible until the doorbell takes effect.
      s_.send_ring.decode(*qp, producer - 1, gp.get_data_ptr() + kBlueFlameHeader);
      core_.actions.at<&DoorbellUnit::on_blueflame_doorbell>(decoded, this, doorbell);
    } else {
      core_.actions.at<&DoorbellUnit::on_sq_doorbell>(decoded, this, doorbell);
    }
  } else if (kind == DoorbellKind::kRecv) {
    core_.actions.at<&DoorbellUnit::on_rq_doorbell>(decoded, this, doorbell);
  } else if (kind == DoorbellKind::kCqArm) {
    std::uint32_t flags = 0;
    if (gp.get_data_length() >= 8) std::memcpy(&flags, gp.get_data_ptr() + 4, 4);
    // the "qpn" field names the CQ, the "producer" field carries software's consumer index
    s_.completions.arm(decoded, qpn, producer, (flags & kArmSolicited) != 0);
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool DoorbellUnit::blueflame_wqe(const std::uint8_t* data, unsigned len) const {
  // A whole WQE, as large as its header says and no larger than a send-queue slot; anything
  // else is a plain doorbell (the adapter fetches the WQE).
  if (len < kBlueFlameHeader + sizeof(SendWqeHeader) ||
      len - kBlueFlameHeader > core_.params.sq_stride)
    return false;
  SendWqeHeader h;
  std::memcpy(&h, data + kBlueFlameHeader, sizeof h);
  return send_wqe_bytes(h) <= len - kBlueFlameHeader;
}

bool DoorbellUnit::stale(QpContext& qp) {
  --qp.doorbells_in_flight;
  if (qp.stale_doorbells == 0) return false;
  --qp.stale_doorbells;  // rung before a RESET: the work it announced was discarded
  return true;
}

void DoorbellUnit::sq_doorbell(Doorbell d, bool blueflame) {
  QpContext& qp = core_.qps[d.qpn];
  if (stale(qp)) return;
  const std::uint32_t producer = d.producer;
  if (seq_le(producer, qp.sq.producer)) return;  // stale or repeated doorbell
  qp.sq.producer = producer;
  qp.trace_sq_depth();
  if (qp.state == QpState::kError) {
    s_.lifecycle.error(qp, now_ps(), false);  // flushes the new work too
    return;
  }
  if (qp.state == QpState::kSqe) {  // a UD send queue in error flushes what is posted to it
    s_.lifecycle.send_queue_error(qp, now_ps());
    return;
  }
  if (!qp.sending()) return;  // recorded; software posts no sends before RTS
  if (blueflame && !qp.sq.fetching && qp.sq.fetched == producer - 1) {
    ++core_.counters.blueflame_wqes;
    qp.sq.fetched = producer;
    s_.scheduler.enqueue(qp);
    s_.scheduler.pump();
    return;
  }
  s_.send_fetcher.start(qp);
}

void DoorbellUnit::on_rq_doorbell(Doorbell d) {
  QpContext& qp = core_.qps[d.qpn];
  if (stale(qp)) return;
  const std::uint32_t producer = d.producer;
  if (seq_le(producer, qp.rq.producer)) return;
  qp.rq.producer = producer;
  qp.trace_rq_depth();
  if (qp.state == QpState::kError) {
    s_.lifecycle.error(qp, now_ps(),
                       false);  // receives posted to a queue pair in error are flushed
    return;
  }
  if (qp.state == QpState::kReset) return;
  s_.recv_fetcher.start(qp);
}

}  // namespace hcasim
