# The update-storm scenario (workloads/update_storm.hpp): in-process runs (one per TEST, SystemC
# elaborates once per process) check the torture properties and the updater's latency bound;
# the comparison tests run the hcasim executable several times (one scenario per child
# process) to compare host.sync kinds and check that a seed replays a run exactly.
hcasim_add_gtest(integration_update_storm
  SOURCES update_storm_test.cpp
  LIBS hcasim_workloads
  LABELS integration)
hcasim_add_gtest(integration_update_storm_compare
  SOURCES update_storm_compare_test.cpp
  LIBS hcasim_workloads nlohmann_json::nlohmann_json
  LABELS integration
  TIMEOUT 300)
target_compile_definitions(integration_update_storm_compare PRIVATE
  HCASIM_EXE="$<TARGET_FILE:hcasim>")
add_dependencies(integration_update_storm_compare hcasim)
