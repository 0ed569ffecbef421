// The bundled explorations (workloads/sweeps/*.ini) stay valid as the model changes: every
// value, every point's model and every figure path, checked by `hcasim sweep FILE --check`.
// Labelled slow: a few hundred model builds, which the sanitizer builds skip.
#include <gtest/gtest.h>

#include "tests/support/sweep_test_support.hpp"

namespace {

using namespace sweep_test;

// Every bundled exploration is a valid sweep: its values, its points' models and its figures.
TEST(SweepBundled, EveryBundledSweepPassesItsCheck) {
  const fs::path dir = fresh_dir();
  const fs::path bundled = fs::path(HCASIM_SOURCE_DIR) / "workloads" / "sweeps";
  std::size_t checked = 0;
  for (const auto& e : fs::directory_iterator(bundled)) {
    if (e.path().extension() != ".ini") continue;
    const auto r = run_hcasim({"sweep", e.path().string(), "--check"}, dir);
    EXPECT_EQ(r.status, 0) << e.path() << "\n" << describe(r);
    EXPECT_NE(r.out.find("every point's model builds and reports every figure"), std::string::npos)
        << r.out;
    ++checked;
  }
  EXPECT_GE(checked, 4u);
  EXPECT_FALSE(fs::exists(dir / "out")) << "--check runs nothing and writes nothing";
}

}  // namespace
