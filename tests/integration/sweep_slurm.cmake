# `hcasim sweep --backend slurm` against a one-node Slurm cluster the test starts itself.
find_package(PNG REQUIRED)
hcasim_add_gtest(integration_sweep_slurm
  SOURCES sweep_slurm_test.cpp
  LIBS hcasim_cli nlohmann_json::nlohmann_json PNG::PNG
  LABELS integration
  TIMEOUT 300)
target_compile_definitions(integration_sweep_slurm PRIVATE HCASIM_EXE="$<TARGET_FILE:hcasim>")
add_dependencies(integration_sweep_slurm hcasim)
target_link_options(integration_sweep_slurm PRIVATE -Wl,--undefined=sc_main)
