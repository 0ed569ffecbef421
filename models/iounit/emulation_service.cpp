// The I/O unit's emulation service (see emulation_service.hpp).
#include "models/iounit/emulation_service.hpp"

#include <algorithm>
#include <stdexcept>

#include "models/core/config_error.hpp"
#include "models/core/lookahead.hpp"

namespace hcasim {

namespace {
constexpr std::uint32_t kReplyBytes = i2o::kReplyWords * 4;
// Receive completions carry their connection and buffer slot in the WR id.
std::uint64_t recv_id(std::uint32_t conn, std::uint32_t slot) {
  return (std::uint64_t{conn} << 32) | slot;
}
}  // namespace

EmulationService::EmulationService(sc_core::sc_module_name name, const IouParams& unit,
                                   const EmulationParams& params, AdapterContext& adapter,
                                   IoController& controller, StorageDevice& device,
                                   TraceSink* trace)
    : sc_module(name),
      unit_(unit),
      params_(params),
      adapter_(adapter),
      memory_(adapter.memory()),
      controller_(controller),
      device_(device),
      max_transfer_(std::uint64_t{params.max_transfer_kb} << 10) {
  stat_group_.declare(stats_);
  stat_group_.distribution(service_ns_, "service_ns", "ns",
                           "frame landed to reply posted, at the I/O unit");
  // One CQ for every connection: each connection's receives, plus every operation and reply
  // the unit can have outstanding.
  const std::uint64_t cq_entries =
      std::uint64_t{kMaxConnections} * unit_.recv_depth + params_.max_ops + params_.max_requests;
  cq_ = &adapter_.create_cq(pow2_at_least(cq_entries));
  // Staging and reply buffers, one of each per request slot, registered once.
  const std::uint64_t first = memory_.allocate(max_transfer_ * params_.max_requests, 4096);
  requests_.resize(params_.max_requests);
  for (std::uint32_t i = 0; i < params_.max_requests; ++i) {
    requests_[i].staging = first + i * max_transfer_;
    free_requests_.push_back(params_.max_requests - 1 - i);  // slot 0 is taken first
  }
  const std::uint64_t replies =
      memory_.allocate(std::uint64_t{kReplyBytes} * params_.max_requests, 64);
  for (std::uint32_t i = 0; i < params_.max_requests; ++i)
    requests_[i].reply_buf = replies + std::uint64_t{i} * kReplyBytes;
  key_ = adapter_.register_memory(
      first, replies + std::uint64_t{kReplyBytes} * params_.max_requests - first, kLocalWrite);
  ops_.resize(std::size_t{params_.max_ops} + params_.max_requests);
  for (std::size_t i = ops_.size(); i-- > 0;) free_ops_.push_back(static_cast<std::uint32_t>(i));
  std::vector<Item> heap;
  heap.reserve(ops_.size() + 2 * requests_.size() + kMaxConnections);
  items_ = decltype(items_)(std::greater<Item>(), std::move(heap));
  wr_.sges.reserve(1);
  const std::string base = this->name();
  active_.attach(trace, base + ".requests_active", 16);
  ops_out_trace_.attach(trace, base + ".ops_outstanding", 16);
  SC_THREAD(serve);
}

QueuePair& EmulationService::add_connection() {
  if (conns_.size() >= kMaxConnections)
    throw ConfigError("the storage service of an I/O unit takes at most " +
                      std::to_string(kMaxConnections) + " connections");
  Connection c;
  const std::uint32_t sq = pow2_at_least(std::uint64_t{params_.max_ops} + params_.max_requests);
  c.qp = &adapter_.create_qp(*cq_, *cq_, sq, unit_.recv_depth);
  const std::uint64_t bytes = std::uint64_t{unit_.recv_depth} * i2o::kMaxFrameBytes;
  c.recv_base = memory_.allocate(bytes, 4096);
  c.recv_key = adapter_.register_memory(c.recv_base, bytes, kLocalWrite);
  c.slot_free.assign(unit_.recv_depth, true);
  conns_.push_back(std::move(c));
  return *conns_.back().qp;
}

void EmulationService::start_connections() {
  for (std::uint32_t i = 0; i < conns_.size(); ++i)
    for (std::uint32_t s = 0; s < unit_.recv_depth; ++s) repost_recv(i, s);
}

void EmulationService::repost_recv(std::uint32_t conn, std::uint32_t slot) {
  Connection& c = conns_[conn];
  c.slot_free[slot] = true;
  if (c.recovering) return;  // the recovery posts every free slot
  const Sge sge{c.recv_base + std::uint64_t{slot} * i2o::kMaxFrameBytes,
                static_cast<std::uint32_t>(i2o::kMaxFrameBytes), c.recv_key};
  if (!adapter_.post_recv(*c.qp, recv_id(conn, slot), sge))
    throw std::logic_error(std::string(name()) + ": receive queue refused a repost");
  c.slot_free[slot] = false;
  ++c.recvs_out;
}

void EmulationService::serve() {
  start_connections();
  WorkCompletion wc[32];
  for (;;) {
    bool progress = false;
    while (const unsigned n = cq_->poll(wc, 32)) {
      progress = true;
      for (unsigned i = 0; i < n; ++i) {
        adapter_.retire(wc[i]);
        on_completion(wc[i]);
      }
    }
    while (!items_.empty() && items_.top().at <= now_ps()) {
      const Item item = items_.top();
      items_.pop();
      run_item(item);
      progress = true;
    }
    admit();
    if (progress) continue;
    if (!items_.empty()) Lookahead::notify_at(wake_, items_.top().at);
    Lookahead::wait_on(cq_->landed_event() | wake_);
  }
}

void EmulationService::schedule(Picos at, ItemKind kind, std::uint32_t index) {
  items_.push(Item{std::max(at, now_ps()), item_seq_++, kind, index});
}

void EmulationService::run_item(const Item& item) {
  switch (item.kind) {
    case ItemKind::kParsed:
      dispatch(item.index);
      break;
    case ItemKind::kPostOp:
      post_op(item.index);
      break;
    case ItemKind::kDeviceSubmit:
      device_submit(item.index);
      break;
    case ItemKind::kDeviceDone:
      device_done(item.index);
      break;
    case ItemKind::kRecover:
      recover(item.index);
      break;
  }
}

void EmulationService::on_completion(const WorkCompletion& wc) {
  if (wc.is_recv) {
    on_recv(wc);
  } else {
    on_op_done(static_cast<std::uint32_t>(wc.wr_id), wc);
  }
}

void EmulationService::on_recv(const WorkCompletion& wc) {
  const auto conn = static_cast<std::uint32_t>(wc.wr_id >> 32);
  const auto slot = static_cast<std::uint32_t>(wc.wr_id);
  Connection& c = conns_[conn];
  --c.recvs_out;
  if (wc.status != WcStatus::kSuccess) {  // flushed by a QP error: reposted by the recovery
    c.slot_free[slot] = true;
    maybe_book_recovery(conn);
    return;
  }
  frames_.push_back(Frame{conn, slot, wc.byte_len, wc.landed_ps});
  ++stats_.frames;
}

void EmulationService::admit() {
  while (!frames_.empty()) {
    if (free_requests_.empty()) {
      if (!frames_.front().waited) {
        frames_.front().waited = true;
        ++stats_.slot_waits;
      }
      return;
    }
    const Frame f = frames_.front();
    frames_.pop_front();
    const std::uint32_t r = free_requests_.back();
    free_requests_.pop_back();
    Request& q = requests_[r];
    const std::uint64_t staging = q.staging, reply_buf = q.reply_buf;
    q = Request{};
    q.staging = staging;
    q.reply_buf = reply_buf;
    q.conn = f.conn;
    q.landed = f.landed;
    // The frame is copied out of its receive buffer (parsing) and the buffer goes back.
    const std::uint8_t* bytes =
        memory_.at(conns_[f.conn].recv_base + std::uint64_t{f.slot} * i2o::kMaxFrameBytes,
                   i2o::kMaxFrameBytes);
    const i2o::RequestResult parsed = i2o::decode_request(bytes, f.length);
    if (const auto* error = std::get_if<i2o::ParseError>(&parsed)) {
      q.reject = true;
      q.reply = i2o::make_reject_reply(bytes, f.length, *error);
    } else {
      q.frame = std::get<i2o::Request>(parsed);
    }
    repost_recv(f.conn, f.slot);
    q.phase = Phase::kParsing;
    active_.set(requests_.size() - free_requests_.size());
    schedule(controller_.run(now_ps(), params_.frame_ps(), ControllerWork::kFrame),
             ItemKind::kParsed, r);
  }
}

void EmulationService::dispatch(std::uint32_t r) {
  Request& q = requests_[r];
  if (q.reject) {
    ++stats_.rejects;
    post_reply(r);
    return;
  }
  const i2o::Request& f = q.frame;
  if (!f.is_block()) {
    ++stats_.unknown_functions;
    finish(r, i2o::ReqStatus::kErrorNoDataTransfer, i2o::dsc::kUnknownFunction);
    return;
  }
  if (f.byte_count > max_transfer_) {
    ++stats_.too_large;
    finish(r, i2o::ReqStatus::kErrorNoDataTransfer, i2o::dsc::kMessageTooLarge);
    return;
  }
  const std::uint64_t block = device_.params().block_bytes;
  if (f.address % block != 0 || f.byte_count % block != 0 || f.address > device_.capacity() ||
      f.byte_count > device_.capacity() - f.address) {
    ++stats_.out_of_range;
    finish(r, i2o::ReqStatus::kErrorNoDataTransfer, i2o::dsc::kInvalidOffset);
    return;
  }
  q.is_write = static_cast<i2o::Function>(f.header.function) == i2o::Function::kBlockWrite;
  if (q.is_write) {
    q.phase = Phase::kFromHost;
    q.rdma_begin = now_ps();
    op_waiters_.push_back(r);
    pump_ops();
  } else {
    start_device(r);
  }
}

void EmulationService::start_device(std::uint32_t r) {
  Request& q = requests_[r];
  q.phase = Phase::kDevice;
  schedule(controller_.run(now_ps(), params_.op_ps(), ControllerWork::kDeviceOp),
           ItemKind::kDeviceSubmit, r);
}

void EmulationService::pump_ops() {
  for (std::size_t i = 0; i < op_waiters_.size();) {
    const std::uint32_t r = op_waiters_[i];
    Request& q = requests_[r];
    if (conns_[q.conn].recovering) {  // keeps its place until the connection is back
      ++i;
      continue;
    }
    bool more = !q.failed && q.sgl_index < q.frame.sgl_count;
    while (more && q.ops_out < params_.ops_per_request && unit_ops_out_ < params_.max_ops)
      more = book_piece(r);
    if (!more) {
      op_waiters_.erase(op_waiters_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    if (unit_ops_out_ >= params_.max_ops) {
      ++stats_.op_limit_waits;
      return;
    }
    ++i;
  }
}

bool EmulationService::book_piece(std::uint32_t r) {
  Request& q = requests_[r];
  const i2o::SglEntry& e = q.frame.sgl[q.sgl_index];
  const std::uint32_t len = std::min(e.length - q.sgl_offset, params_.max_rdma_bytes);
  const std::uint32_t o = take_op();
  Op& op = ops_[o];
  op.kind = q.is_write ? OpKind::kRdmaRead : OpKind::kRdmaWrite;
  op.request = r;
  op.length = len;
  op.local = q.staging + q.staged;
  op.remote = e.address + q.sgl_offset;
  op.rkey = e.key;
  q.staged += len;
  q.sgl_offset += len;
  if (q.sgl_offset == e.length) {
    ++q.sgl_index;
    q.sgl_offset = 0;
  }
  ++q.ops_out;
  ++q.pieces_booked;
  ++unit_ops_out_;
  ops_out_trace_.set(unit_ops_out_);
  schedule(controller_.run(now_ps(), params_.op_ps(), ControllerWork::kRdmaOp), ItemKind::kPostOp,
           o);
  return q.sgl_index < q.frame.sgl_count;
}

std::uint32_t EmulationService::take_op() {
  if (free_ops_.empty()) throw std::logic_error(std::string(name()) + ": out of operation slots");
  const std::uint32_t o = free_ops_.back();
  free_ops_.pop_back();
  ops_[o] = Op{};
  return o;
}

void EmulationService::free_op(std::uint32_t o) { free_ops_.push_back(o); }

void EmulationService::drop_data_op(std::uint32_t o) {
  // A data operation of a failed request that will not be (re)posted.
  Request& q = requests_[ops_[o].request];
  --q.ops_out;
  --unit_ops_out_;
  ops_out_trace_.set(unit_ops_out_);
  free_op(o);
}

void EmulationService::post_op(std::uint32_t o) {
  Op& op = ops_[o];
  const std::uint32_t r = op.request;
  Request& q = requests_[r];
  Connection& c = conns_[q.conn];
  if (op.kind != OpKind::kReply && q.failed) {
    drop_data_op(o);
    reply_if_failed_done(r);
    pump_ops();
    return;
  }
  if (c.recovering) {
    c.redo.push_back(o);
    return;
  }
  wr_.wr_id = o;
  wr_.opcode = op.kind == OpKind::kRdmaRead    ? WrOpcode::kRdmaRead
               : op.kind == OpKind::kRdmaWrite ? WrOpcode::kRdmaWrite
                                               : WrOpcode::kSend;
  wr_.signaled = true;
  wr_.sges.assign(1, Sge{op.local, op.length, key_});
  wr_.remote_addr = op.remote;
  wr_.rkey = op.rkey;
  wr_.inline_data = op.kind == OpKind::kReply && op.length <= adapter_.hca().max_inline();
  if (!adapter_.post_send(*c.qp, wr_))
    throw std::logic_error(std::string(name()) + ": send queue refused a post");
  ++c.sends_out;
  if (op.kind == OpKind::kRdmaWrite && !op.posted_before) {
    op.posted_before = true;
    ++q.pieces_posted;
    // A read's reply follows its last WRITE on the connection: RC delivers them in order.
    if (q.sgl_index == q.frame.sgl_count && q.pieces_posted == q.pieces_booked) {
      q.rdma_ps = now_ps() - q.rdma_begin;
      finish(r, i2o::ReqStatus::kSuccess, i2o::dsc::kSuccess);
    }
  }
}

void EmulationService::on_op_done(std::uint32_t o, const WorkCompletion& wc) {
  Op& op = ops_[o];
  const std::uint32_t r = op.request;
  Request& q = requests_[r];
  const std::uint32_t conn = q.conn;
  Connection& c = conns_[conn];
  --c.sends_out;
  if (wc.status == WcStatus::kFlushed) {  // posted again (or dropped) by the recovery
    c.redo.push_back(o);
    maybe_book_recovery(conn);
    return;
  }
  if (op.kind == OpKind::kReply) {
    if (wc.status != WcStatus::kSuccess) {
      ++stats_.replies_lost;
      begin_recovery(conn);
    }
    free_op(o);
    release(r);
    maybe_book_recovery(conn);
    return;
  }
  if (wc.status != WcStatus::kSuccess) {
    // The host refused the operation (bad key) or could not be reached: the request fails,
    // and the error has put the connection's QP in ERR.
    if (!q.failed) {
      q.failed = true;
      const bool bad_key = wc.status == WcStatus::kRemoteAccess;
      stats_.bad_keys += bad_key;
      set_reply(r,
                q.bytes_moved ? i2o::ReqStatus::kErrorPartialTransfer
                              : i2o::ReqStatus::kErrorNoDataTransfer,
                bad_key ? i2o::dsc::kBadKey : i2o::dsc::kTimeout);
    }
    drop_data_op(o);
    begin_recovery(conn);
    maybe_book_recovery(conn);
    return;
  }
  if (op.kind == OpKind::kRdmaRead) {
    ++stats_.rdma_reads;
  } else {
    ++stats_.rdma_writes;
  }
  q.bytes_moved += op.length;
  --q.ops_out;
  --unit_ops_out_;
  ops_out_trace_.set(unit_ops_out_);
  free_op(o);
  if (q.failed) {
    reply_if_failed_done(r);
  } else if (q.is_write && q.phase == Phase::kFromHost && q.ops_out == 0 &&
             q.sgl_index == q.frame.sgl_count) {
    q.rdma_ps = now_ps() - q.rdma_begin;  // every byte is in the staging buffer
    start_device(r);
  }
  pump_ops();
}

void EmulationService::device_submit(std::uint32_t r) {
  Request& q = requests_[r];
  if (!q.device_begin) q.device_begin = now_ps();  // waiting for a device slot is device time
  if (device_out_ >= device_.params().queue_depth) {
    device_waiters_.push_back(r);
    return;
  }
  StorageOp op;
  op.kind = q.is_write ? StorageOpKind::kWrite : StorageOpKind::kRead;
  op.offset = q.frame.address;
  op.length = q.frame.byte_count;
  op.data = memory_.at(q.staging, q.frame.byte_count);
  const StorageResult res = device_.submit(op, now_ps());
  if (res.submit != StorageSubmit::kAccepted) {  // the range was checked: a device refusal
    finish(
        r, i2o::ReqStatus::kErrorNoDataTransfer,
        res.submit == StorageSubmit::kQueueFull ? i2o::dsc::kDeviceBusy : i2o::dsc::kInvalidOffset);
    return;
  }
  ++device_out_;
  q.device_error = res.status == StorageStatus::kDeviceError;
  schedule(res.complete_at, ItemKind::kDeviceDone, r);
}

void EmulationService::device_done(std::uint32_t r) {
  --device_out_;
  if (!device_waiters_.empty()) {
    const std::uint32_t next = device_waiters_.front();
    device_waiters_.pop_front();
    device_submit(next);
  }
  Request& q = requests_[r];
  q.device_ps = now_ps() - q.device_begin;
  if (q.device_error) {
    ++stats_.device_errors;
    finish(r, i2o::ReqStatus::kErrorNoDataTransfer, i2o::dsc::kMediaError);
    return;
  }
  if (q.is_write) {
    stats_.bytes_written += q.frame.byte_count;
    finish(r, i2o::ReqStatus::kSuccess, i2o::dsc::kSuccess);
    return;
  }
  stats_.bytes_read += q.frame.byte_count;
  q.phase = Phase::kToHost;
  q.rdma_begin = now_ps();
  op_waiters_.push_back(r);
  pump_ops();
}

void EmulationService::set_reply(std::uint32_t r, i2o::ReqStatus status, std::uint16_t detailed) {
  Request& q = requests_[r];
  q.reply.header = q.frame.header;
  q.reply.header.flags = i2o::flag::kReply;
  q.reply.status = status;
  q.reply.detailed_status = detailed;
  q.reply.bytes_transferred = status == i2o::ReqStatus::kSuccess ? q.frame.byte_count : 0;
}

void EmulationService::finish(std::uint32_t r, i2o::ReqStatus status, std::uint16_t detailed) {
  set_reply(r, status, detailed);
  post_reply(r);
}

void EmulationService::reply_if_failed_done(std::uint32_t r) {
  Request& q = requests_[r];
  if (q.failed && q.ops_out == 0 && q.phase != Phase::kReplying && !conns_[q.conn].recovering)
    post_reply(r);
}

void EmulationService::post_reply(std::uint32_t r) {
  Request& q = requests_[r];
  q.phase = Phase::kReplying;
  ++stats_.replies;
  if (q.reply.status != i2o::ReqStatus::kSuccess) ++stats_.error_replies;
  const std::uint32_t o = take_op();
  Op& op = ops_[o];
  op.kind = OpKind::kReply;
  op.request = r;
  op.local = q.reply_buf;
  op.length = static_cast<std::uint32_t>(
      i2o::encode(q.reply, memory_.at(q.reply_buf, kReplyBytes), kReplyBytes));
  const Picos now = now_ps();
  service_ns_.record((now - q.landed + 500) / 1000);
  if (observer_) {
    Phases p;
    p.qpn = conns_[q.conn].qp->qpn;
    p.transaction_context = q.reply.header.transaction_context;
    p.landed = q.landed;
    p.replied = now;
    p.device = q.device_ps;
    p.rdma = q.rdma_ps;
    const Picos total = now - q.landed;
    p.controller = total - std::min(total, p.device + p.rdma);
    observer_(p);
  }
  post_op(o);
}

void EmulationService::release(std::uint32_t r) {
  requests_[r].phase = Phase::kFree;
  free_requests_.push_back(r);
  active_.set(requests_.size() - free_requests_.size());
}

void EmulationService::begin_recovery(std::uint32_t conn) {
  Connection& c = conns_[conn];
  if (c.recovering) return;
  c.recovering = true;
  c.recovery_booked = false;
}

void EmulationService::maybe_book_recovery(std::uint32_t conn) {
  // The QP can be reset once the adapter has handed back every WR it held.
  Connection& c = conns_[conn];
  if (!c.recovering || c.recovery_booked || c.sends_out != 0 || c.recvs_out != 0) return;
  c.recovery_booked = true;
  schedule(controller_.run(now_ps(), us_to_ps(params_.recovery_us), ControllerWork::kRecovery),
           ItemKind::kRecover, conn);
}

void EmulationService::recover(std::uint32_t conn) {
  Connection& c = conns_[conn];
  const Hca::QpResume resume = adapter_.hca().qp_resume(c.qp->qpn);
  QpModify m;
  m.state = QpState::kReset;
  VerbStatus st = adapter_.modify_qp(*c.qp, m);
  m.state = QpState::kInit;
  if (st == VerbStatus::kOk) st = adapter_.modify_qp(*c.qp, m);
  m.state = QpState::kRtr;
  m.remote_port = resume.port;
  m.remote_qpn = resume.qpn;
  m.rq_psn = resume.rq_psn;
  if (st == VerbStatus::kOk) st = adapter_.modify_qp(*c.qp, m);
  m.state = QpState::kRts;
  m.sq_psn = resume.sq_psn;
  if (st == VerbStatus::kOk) st = adapter_.modify_qp(*c.qp, m);
  if (st != VerbStatus::kOk)
    throw std::logic_error(std::string(name()) + ": QP recovery refused by the adapter");
  ++stats_.recoveries;
  c.recovering = false;
  c.recovery_booked = false;
  for (std::uint32_t s = 0; s < unit_.recv_depth; ++s)
    if (c.slot_free[s]) repost_recv(conn, s);
  // The flushed work goes again in its order; a failed request's data operations do not.
  std::deque<std::uint32_t> redo;
  redo.swap(c.redo);
  for (const std::uint32_t o : redo) {
    const Op& op = ops_[o];
    if (op.kind != OpKind::kReply && requests_[op.request].failed) {
      drop_data_op(o);
      continue;
    }
    ++stats_.reissued_ops;
    post_op(o);
  }
  for (std::uint32_t r = 0; r < requests_.size(); ++r)
    if (requests_[r].phase != Phase::kFree && requests_[r].conn == conn) reply_if_failed_done(r);
  pump_ops();
}

}  // namespace hcasim
