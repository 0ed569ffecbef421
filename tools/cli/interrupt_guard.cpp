#include "tools/cli/interrupt_guard.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <utility>

namespace hcasim::cli {

InterruptGuard* InterruptGuard::instance_ = nullptr;

namespace {
// write(2) only: the handler may interrupt stdio or the allocator.
void say(const char* text) {
  const ssize_t n = ::write(2, text, std::strlen(text));
  (void)n;  // nothing to do if stderr is gone
}
}  // namespace

InterruptGuard::InterruptGuard(std::string trace_temp, std::string trace_partial, bool tracing)
    : trace_temp_(std::move(trace_temp)),
      trace_partial_(std::move(trace_partial)),
      tracing_(tracing) {
  instance_ = this;  // the paths are ready before the handler can run
  struct sigaction sa {};
  sa.sa_handler = &InterruptGuard::on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // a second signal ends the process at once
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
  if (old_int_.sa_handler == SIG_IGN) sigaction(SIGINT, &old_int_, nullptr);
  if (old_term_.sa_handler == SIG_IGN) sigaction(SIGTERM, &old_term_, nullptr);
}

InterruptGuard::~InterruptGuard() {
  commit_ends();
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  instance_ = nullptr;
}

void InterruptGuard::commit_begins() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &blocked_before_);
  // Blocked first, then the previous actions restored: no signal can slip in between.
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  committing_ = true;
}

void InterruptGuard::commit_ends() {
  if (!committing_) return;
  committing_ = false;
  pthread_sigmask(SIG_SETMASK, &blocked_before_, nullptr);
}

// Only async-signal-safe calls (write, rename, unlink, raise) and an atomic load.
void InterruptGuard::on_signal(int sig) {
  const InterruptGuard* g = instance_;
  say(sig == SIGINT ? "\nhcasim run: interrupted by SIGINT"
                    : "\nhcasim run: interrupted by SIGTERM");
  say("; the run is incomplete: no summary.json or latency.csv was written");
  if (g && g->tracing_) {
    const TraceWriter* w = g->writer_.load();
    if (w && w->cut_file_is_readable()) {
      if (std::rename(g->trace_temp_.c_str(), g->trace_partial_.c_str()) == 0) {
        say("; partial output: ");
        say(g->trace_partial_.c_str());
        say(" (the trace up to the interruption)");
      }
    } else if (::unlink(g->trace_temp_.c_str()) == 0) {
      say("; no trace kept: the interruption came before its first block was written");
    }
  }
  say("\n");
  raise(sig);  // the handler was reset (SA_RESETHAND): this ends the process once we return
}

}  // namespace hcasim::cli
