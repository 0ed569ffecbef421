// The host's block storage driver over the message-passing protocol (see block_driver.hpp).
#include "host_os/message_passing/block_driver.hpp"
#include "models/core/lookahead.hpp"

#include <cerrno>
#include <stdexcept>

namespace hcasim {

namespace {
constexpr std::uint32_t kReplyBytes = i2o::kReplyWords * 4;
}  // namespace

BlockDriver::BlockDriver(const BlockDriverConfig& config, verbs::VerbsDevice& device,
                         SimPlatform& platform, HostMemory& memory, HostCompletionManager& manager,
                         verbs::Qp& qp)
    : config_(config),
      device_(device),
      platform_(platform),
      memory_(memory),
      manager_(manager),
      qp_(qp),
      pool_memory_(std::make_unique<verbs::PoolMemory>(memory, device)) {
  msg_pool::PoolConfig frames;
  frames.name = config_.name + ".frames";
  frames.elements = config_.elements;
  frames.buffer_bytes = {static_cast<std::uint32_t>(i2o::kMaxFrameBytes)};
  frames.access = kLocalWrite;
  frames_ = std::make_unique<verbs::MessagePool>(platform_, *pool_memory_, frames);
  msg_pool::PoolConfig replies = frames;
  replies.name = config_.name + ".replies";
  replies.elements = config_.replies;
  replies.buffer_bytes = {kReplyBytes};
  replies_ = std::make_unique<verbs::MessagePool>(platform_, *pool_memory_, replies);
  slots_.resize(config_.elements);
}

BlockDriver::~BlockDriver() = default;

void BlockDriver::start(SimContext& c) {
  manager_.monitor(c, qp_, cq::Direction::outbound,
                   [this](SimContext& cc, const WorkCompletion& wc) { on_send_done(cc, wc); });
  manager_.monitor(c, qp_, cq::Direction::inbound,
                   [this](SimContext& cc, const WorkCompletion& wc) { on_reply(cc, wc); });
  std::vector<msg_pool::Handle> h(replies_->elements());
  if (replies_->get_sync(c, replies_->elements(), h.data()) != msg_pool::Status::ok)
    throw std::logic_error(config_.name + ": reply elements are not all free at start");
  for (const msg_pool::Handle& e : h) {
    const msg_pool::Descriptor* d = replies_->descriptor(c, e);
    const verbs::RecvWr wr{d->wr_id, reinterpret_cast<const Sge*>(d->sge), d->num_sge};
    if (device_.post_recv(c, qp_, &wr, 1) != 0)
      throw std::logic_error(config_.name + ": cannot post the reply receives");
  }
}

int BlockDriver::submit(SimContext& c, BlockIo& io) {
  io.driver = this;
  io.finished = false;
  io.transport_error = false;
  io.submitted = now_ps();
  if (!config_.async_pool) {
    if (frames_->get_sync(c, 1, &io.element) != msg_pool::Status::ok) {
      ++stats_.failed_gets;
      return EAGAIN;
    }
    send_frame(c, io, io.element);
    return 0;
  }
  io.pool_request = verbs::MessagePool::Request{};
  io.pool_request.count = 1;
  io.pool_request.out = &io.element;
  io.pool_request.done = &BlockDriver::on_element;
  io.pool_request.user = &io;
  const msg_pool::Status st = frames_->get_async(c, io.pool_request);
  if (st == msg_pool::Status::ok) {
    send_frame(c, io, io.element);
  } else if (st == msg_pool::Status::pending) {
    ++stats_.pool_waits;  // sent by the put that frees an element (on_element)
  } else {
    throw std::logic_error(config_.name + ": the frame pool refused a get");
  }
  return 0;
}

void BlockDriver::on_element(SimPlatform::Context& server, verbs::MessagePool::Request& r) {
  auto& io = *static_cast<BlockIo*>(r.user);
  io.driver->send_frame(server, io, io.element);
}

void BlockDriver::execute(SimContext& c, BlockIo& io, sc_core::sc_event& wake, Picos retry) {
  io.wake = &wake;
  io.done = nullptr;
  while (submit(c, io) == EAGAIN) {
    c.begin_block();
    Lookahead::wait_for(retry);
    c.end_block(platform_.params().wakeup_ps);
  }
  if (!io.finished) {
    c.begin_block();
    while (!io.finished) Lookahead::wait_on(wake);
    c.end_block(platform_.params().wakeup_ps);
  }
  io.completed = now_ps();
  io.wake = nullptr;
}

void BlockDriver::send_frame(SimContext& c, BlockIo& io, const msg_pool::Handle& h) {
  c.run(config_.frame_cycles);
  const msg_pool::Descriptor* d = frames_->descriptor(c, h);
  i2o::Request f;
  f.header.target_id = config_.target_id;
  f.header.initiator_id = i2o::kHostId;
  f.header.function =
      static_cast<std::uint8_t>(io.write ? i2o::Function::kBlockWrite : i2o::Function::kBlockRead);
  f.header.initiator_context = qp_.qp_num();
  f.header.transaction_context = h.index;  // how the reply finds this request
  f.byte_count = io.length;
  f.address = io.offset;
  f.sgl_count = static_cast<std::uint8_t>(io.segment_count);
  for (std::uint32_t i = 0; i < io.segment_count; ++i) {
    i2o::SglEntry& e = f.sgl[i];
    e.flags = i2o::sgl_flag::kSimpleAddress | (io.write ? i2o::sgl_flag::kDirectionOut : 0);
    if (i + 1 == io.segment_count)
      e.flags |= i2o::sgl_flag::kLastElement | i2o::sgl_flag::kEndOfBuffer;
    e.length = io.segments[i].len;
    e.address = io.segments[i].addr;
    e.key = io.rkey;
  }
  const std::size_t bytes =
      i2o::encode(f, memory_.at(d->sge[0].addr, d->sge[0].len), d->sge[0].len);
  Slot& s = slots_[h.index];
  s = Slot{&io, h, false, false};
  ++in_flight_;
  ++stats_.submitted;
  Sge sge{d->sge[0].addr, static_cast<std::uint32_t>(bytes), d->sge[0].lkey};
  verbs::SendWr wr;
  wr.wr_id = d->wr_id;
  wr.sg_list = &sge;
  wr.num_sge = 1;
  wr.send_flags = verbs::kSendSignaled;
  if (bytes <= device_.max_inline()) wr.send_flags |= verbs::kSendInline;
  if (bytes == 0 || device_.post_send(c, qp_, &wr, 1) != 0) {
    // Nothing went out: the I/O fails here (a frame that cannot be built or a dead QP).
    io.transport_error = true;
    io.status = i2o::ReqStatus::kTransactionError;
    s.sent = s.replied = true;
    complete(c, h.index);
    return;
  }
  io.posted = now_ps();
}

void BlockDriver::on_send_done(SimContext& c, const WorkCompletion& wc) {
  msg_pool::Handle h{};
  if (frames_->handle_of(c, wc.wr_id, h) != msg_pool::Status::ok) return;
  Slot& s = slots_[h.index];
  s.sent = true;
  if (wc.status != WcStatus::kSuccess && !s.replied) {
    // The frame never reached the unit: no reply will come.
    s.io->transport_error = true;
    s.io->status = i2o::ReqStatus::kTransactionError;
    s.replied = true;
  }
  if (s.replied) complete(c, h.index);
}

void BlockDriver::on_reply(SimContext& c, const WorkCompletion& wc) {
  msg_pool::Handle h{};
  if (replies_->handle_of(c, wc.wr_id, h) != msg_pool::Status::ok) return;
  const msg_pool::Descriptor* d = replies_->descriptor(c, h);
  if (wc.status == WcStatus::kSuccess) {
    c.run(config_.frame_cycles);
    const i2o::ReplyResult r =
        i2o::decode_reply(memory_.at(d->sge[0].addr, kReplyBytes), wc.byte_len);
    const auto* reply = std::get_if<i2o::Reply>(&r);
    const std::uint32_t ctx = reply ? reply->header.transaction_context : ~0u;
    if (!reply || ctx >= slots_.size() || slots_[ctx].io == nullptr || slots_[ctx].replied) {
      ++stats_.unmatched_replies;
    } else {
      Slot& s = slots_[ctx];
      BlockIo& io = *s.io;
      io.status = reply->status;
      io.detailed_status = reply->detailed_status;
      io.bytes_transferred = reply->bytes_transferred;
      io.reply_landed = wc.landed_ps;
      s.replied = true;
      if (s.sent) complete(c, ctx);
    }
    // The receive goes back at once (the reply was copied out).
    const verbs::RecvWr wr{d->wr_id, reinterpret_cast<const Sge*>(d->sge), d->num_sge};
    if (device_.post_recv(c, qp_, &wr, 1) != 0) ++stats_.errors;
  }
}

void BlockDriver::complete(SimContext& c, std::uint32_t element) {
  Slot& s = slots_[element];
  BlockIo& io = *s.io;
  s.io = nullptr;
  --in_flight_;
  ++stats_.completed;
  if (io.transport_error || io.status != i2o::ReqStatus::kSuccess) ++stats_.errors;
  frames_->put(c, s.handle);
  io.finished = true;
  io.completed = now_ps();
  if (io.wake) {
    Lookahead::notify_delta(*io.wake);
  } else if (io.done) {
    io.done(c, io);
  }
}

void BlockDriver::on_iou_phases(std::uint32_t transaction_context, Picos landed, Picos replied,
                                Picos controller, Picos rdma, Picos device) {
  if (transaction_context >= slots_.size() || !slots_[transaction_context].io) return;
  BlockIo& io = *slots_[transaction_context].io;
  io.iou_landed = landed;
  io.iou_replied = replied;
  io.iou_controller = controller;
  io.iou_rdma = rdma;
  io.iou_device = device;
}

}  // namespace hcasim
