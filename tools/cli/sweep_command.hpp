#pragma once
// `hcasim sweep SWEEP.ini [--backend local|slurm] ...`, `hcasim sweep collect DIR`,
// `hcasim sweep resume DIR`, and `hcasim sweep point DIR INDEX` (what a Slurm array task runs).
namespace hcasim::cli {

int sweep_command(int argc, char* argv[]);

}  // namespace hcasim::cli
