# perftest-style workloads (workloads/perftest.hpp) and open-loop load (workloads/open_loop.hpp):
# whole-system runs in-process, one process per TEST (gtest_discover_tests).
# Included from tests/integration/CMakeLists.txt.
foreach(t latency bandwidth sweep open_loop options ud bidirectional)
  hcasim_add_gtest(integration_perftest_${t}
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/perftest_${t}_test.cpp
    LIBS hcasim_workloads
    LABELS integration)
endforeach()
# Every bundled perftest scenario on every preset: no transport timeout on a fault-free fabric.
hcasim_add_gtest(integration_perftest_fault_free
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/perftest_fault_free_test.cpp
  LIBS hcasim_workloads
  LABELS integration
  TIMEOUT 60)
