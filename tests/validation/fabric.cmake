# Fabric validation: link arithmetic against the calibration table, credit-based flow control
# (no loss, throttling), cut-through switch latency. One process per TEST (gtest_discover_tests).
# Included from tests/validation/CMakeLists.txt.
foreach(t wire flow_control switch alloc)
  hcasim_add_gtest(validation_fabric_${t}
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/fabric_${t}_test.cpp
    LIBS hcasim_models
    LABELS validation)
endforeach()
