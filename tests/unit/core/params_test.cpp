// ParamValues: validation and canonical text, where each value came from, and which of the
// values a user set were read (what `hcasim run` warns about when the model ignores a setting).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/core/params.hpp"
#include "models/core/scenario_file.hpp"

namespace hcasim {
namespace {

struct DemoParams {
  std::uint32_t count;
  double rate;
  bool fast;
  template <class V>
  void visit(V& v) {
    v.integer(count, "demo.count", "", 10, 1, 100, "how many");
    v.real(rate, "demo.rate", "Hz", 1.5, 0.5, 1000.0, "how often");
    v.boolean(fast, "demo.fast", false, "hurry");
  }
};

struct OtherParams {
  std::int64_t size;
  template <class V>
  void visit(V& v) {
    v.integer(size, "other.size", "B", 0, -100, 100, "how big");
  }
};

class Params : public ::testing::Test {
 protected:
  Params() {
    registry.declare<DemoParams>();
    registry.declare<OtherParams>();
  }
  ParamRegistry registry;
};

TEST_F(Params, UnreadKeysAreTheSetOnesNoLoadVisited) {
  ParamValues values(registry);
  values.set("demo.count", "7", ValueOrigin{"--set demo.count=7"});
  values.set("other.size", "-3", ValueOrigin{"mine.ini:4"});
  EXPECT_EQ(values.unread_keys(), (std::vector<std::string>{"demo.count", "other.size"}));

  const DemoParams demo = values.load<DemoParams>();
  EXPECT_EQ(demo.count, 7u);
  EXPECT_DOUBLE_EQ(demo.rate, 1.5);  // a default: never set, so never unread
  EXPECT_EQ(values.unread_keys(), std::vector<std::string>{"other.size"});
  EXPECT_EQ(values.origin("other.size"), "mine.ini:4");
  EXPECT_EQ(values.origin("demo.count"), "--set demo.count=7");
  EXPECT_EQ(values.origin("demo.rate"), "default");

  EXPECT_EQ(values.load<OtherParams>().size, -3);
  EXPECT_EQ(values.unread_keys(), std::vector<std::string>{});
}

TEST_F(Params, TheLastSettingNamesTheOrigin) {
  ParamValues values(registry);
  load_scenario_text("[demo]\n# first\nrate = 20\n", "a.ini", values);
  apply_set_option("demo.rate = 30", values);
  EXPECT_EQ(values.text("demo.rate"), "30");
  EXPECT_EQ(values.origin("demo.rate"), "--set demo.rate = 30");
  EXPECT_EQ(values.set_names(), std::vector<std::string>{"demo.rate"});
}

TEST_F(Params, ScenarioTextNamesItsLineInErrors) {
  ParamValues values(registry);
  try {
    load_scenario_text("[demo]\ncount = 5\nrate = 0.1\n", "text.ini", values);
    FAIL() << "rate 0.1 is below 0.5";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(
        e.what(),
        "text.ini:3: key 'demo.rate': value 0.1 is out of range; allowed: 0.5 .. 1000 (Hz)");
  }
}

TEST_F(Params, HexIntegersAreCanonicalDecimalAndNeedDigits) {
  ParamValues values(registry);
  values.set("demo.count", "0x1f", ValueOrigin{"t"});
  EXPECT_EQ(values.text("demo.count"), "31");
  for (const char* bad : {"0x", "0x-5", "-0x5", "0x1g", "+5", "5 "}) {
    EXPECT_THROW(values.set("other.size", bad, ValueOrigin{"t"}), ConfigError) << bad;
  }
  values.set("other.size", "-5", ValueOrigin{"t"});
  EXPECT_EQ(values.integer("other.size"), -5);
}

}  // namespace
}  // namespace hcasim
