// The hcasim command line: all logic lives in tools/cli (hcasim_cli); this only enters it.
#include <systemc>

#include <cstdlib>

#include "tools/cli/cli.hpp"

namespace {
// SystemC prints its banner before sc_main runs; this runs before that (static initialization).
const bool kQuietBanner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0) == 0;
}  // namespace

int sc_main(int argc, char* argv[]) {
  (void)kQuietBanner;
  // Quiet by default: no "simulation stopped" notice on stdout.
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  return hcasim::cli::main(argc, argv);
}
