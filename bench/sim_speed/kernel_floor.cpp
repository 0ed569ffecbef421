// The floor of simulation speed on this machine: a bare SystemC program (no models) in which one
// SC_METHOD re-arms itself with a timed next_trigger N times. Its activations per wall second are
// the most any SystemC model could reach here, so the speed benchmark divides it by the work
// requests per wall second of hcasim: "kernel-activation equivalents per simulated work request",
// a figure that stays the same across machines of different speed.
//
//   kernel_floor [ACTIVATIONS]   prints "activations N wall_s S per_wall_s R"
#include <systemc>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

struct TimedMethod : sc_core::sc_module {
  SC_HAS_PROCESS(TimedMethod);
  TimedMethod(sc_core::sc_module_name name, std::uint64_t activations)
      : sc_module(name), left_(activations) {
    SC_METHOD(step);
  }
  void step() {
    if (left_ == 0) return;  // not re-armed: the simulation runs out of events and ends
    --left_;
    ++done_;
    next_trigger(1, sc_core::SC_NS);
  }
  std::uint64_t left_;
  std::uint64_t done_ = 0;
};

}  // namespace

int sc_main(int argc, char* argv[]) {
  const std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20000000;
  if (n == 0) {
    std::fprintf(stderr, "usage: kernel_floor [ACTIVATIONS > 0]\n");
    return 2;
  }
  sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
  TimedMethod top("top", n);
  const auto start = std::chrono::steady_clock::now();
  sc_core::sc_start();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("activations %llu wall_s %.6f per_wall_s %.0f\n",
              static_cast<unsigned long long>(top.done_), wall,
              static_cast<double>(top.done_) / wall);
  return top.done_ == n ? 0 : 1;
}
