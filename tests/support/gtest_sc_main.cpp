// GoogleTest entry point for test executables linked with SystemC: Debian's libsystemc.so
// calls sc_main from its own main(), so the tests run from here.
#include <gtest/gtest.h>

#include <systemc>

int sc_main(int argc, char* argv[]) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
