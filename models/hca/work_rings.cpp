#include "models/hca/work_rings.hpp"

#include <algorithm>
#include <cstring>

#include "models/hca/transport.hpp"

namespace hcasim {

void SendRing::attach_trace(const std::string& adapter) {
  parser_.attach(core_.trace, adapter + ".wqe_parse");
}

Picos SendRing::issued(std::uint32_t n, Picos landed) {
  ++core_.counters.wqe_fetches;
  const Picos parse = core_.cycles(core_.params.wqe_parse_cycles * n);
  return parser_.reserve(core_.edge(landed), parse) + parse;
}

void SendRing::decode(QpContext& qp, std::uint32_t index, const std::uint8_t* bytes) {
  SendWork& w = qp.sq.at(index);
  std::memcpy(&w.hdr, bytes, sizeof w.hdr);
  w.index = index;
  w.length = 0;
  const std::uint32_t room = core_.params.sq_stride - sizeof(SendWqeHeader);
  const std::uint8_t* body = bytes + sizeof(SendWqeHeader);
  if (w.hdr.flags & kInline) {
    w.length = std::min(w.hdr.inline_len, room);
    std::memcpy(w.sge, body, w.length);  // as bytes (inline_data())
    w.hdr.num_sge = 0;
  } else {
    const std::uint32_t n = std::min<std::uint32_t>(w.hdr.num_sge, room / sizeof(Sge));
    w.hdr.num_sge = static_cast<std::uint8_t>(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      std::memcpy(&w.sge[i], body + i * sizeof(Sge), sizeof(Sge));
      w.length += w.sge[i].len;
    }
  }
}

void SendRing::fetched(QpContext& qp) {
  scheduler_.enqueue(qp);
  scheduler_.pump();
}

void RecvRing::decode(QpContext& qp, std::uint32_t index, const std::uint8_t* bytes) {
  RecvWork& r = qp.rq.at(index);
  RecvWqeHeader h;
  std::memcpy(&h, bytes, sizeof h);
  r.wr_id = h.wr_id;
  r.num_sge = std::min<std::uint32_t>(h.num_sge, kMaxRecvSge);
  for (std::uint32_t s = 0; s < r.num_sge; ++s)
    std::memcpy(&r.sge[s], bytes + sizeof h + s * sizeof(Sge), sizeof(Sge));
}

void RecvRing::fetched(QpContext& qp) { qp.transport->receives_fetched(qp); }

}  // namespace hcasim
