#pragma once
// A GTKWave save file (.gtkw) next to the VCD turns the raw dump into a view a person can read at
// once: one group per component, integers in decimal, reals as analog steps, enumerations shown
// by name through translate filter files.
#include <string>

#include "traces/trace_writer.hpp"

namespace hcasim {

// Writes `gtkw_path` for the signals declared in `trace` (declarations are all it needs, so it
// may be called before or after trace.finish()). The save file names the dump as
// `vcd_file_name_relative` (default: the file name of trace.path()), so the folder holding both can
// be moved; it must not be an absolute path (std::invalid_argument).
//
// Signals are grouped by their first two scope levels ("host0.cpu0", "host0.hca0"; a signal with
// a single scope level is grouped under it; one with none is listed before the groups), groups
// and signals in declaration order. Each distinct enum label set gets one filter file
// "<gtkw stem>_enum_<n>.txt" (n from 0; lines "<value> <label>") in the same folder, referenced
// by relative name. All files are written via AtomicFile, deterministically (no dates, no
// absolute paths). Throws std::runtime_error if a file cannot be written.
// With `end_time_ps`, the view opens zoomed to show the whole run, or from `start_time_ps` on
// (a trace window) to its end. The dump may be the VCD or the FST of the same changes.
void write_gtkw(const TraceWriter& trace, const std::string& gtkw_path,
                const std::string& vcd_file_name_relative = "", std::uint64_t end_time_ps = 0,
                std::uint64_t start_time_ps = 0);

// The name GTKWave gives a VCD signal in save files: the dotted path, plus "[msb:0]" for
// integer and enum signals wider than one bit ("host0.hca0.sq0.depth[31:0]").
std::string gtkwave_signal_name(const TraceWriter::Signal& signal);

}  // namespace hcasim
