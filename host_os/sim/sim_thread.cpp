// A simulated host thread: its trace signal and its turns on its CPU (see sim_thread.hpp).
#include "host_os/sim/sim_thread.hpp"
#include "models/core/lookahead.hpp"

#include <utility>

namespace hcasim {

SimThread::SimThread(std::string name, SimCpu& cpu, TraceSink* trace)
    : name_(std::move(name)), cpu_(cpu), context_(cpu, this, false) {
  state_.attach_enum(trace, name_ + ".state", {"idle", "running", "ready", "blocked", "spinning"});
}

void SimThread::start() { cpu_.acquire(*this); }

void SimThread::finish() {
  set_state(ThreadState::kIdle);
  cpu_.release(*this);
}

void SimThread::sleep_for(Picos d) {
  context_.begin_block();
  Lookahead::wait_for(d);
  context_.end_block(0);
}

}  // namespace hcasim
