# The two commands of the README: `make run` and `make test`. Everything else is a convenience.
BUILD    ?= build
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
SCENARIO ?= workloads/scenarios/default.ini
CMAKE_FLAGS ?=

FUZZ_SECONDS ?= 20
FAST_BUILD ?= build-fast

.PHONY: all deps configure build run test bench fast asan-test tsan-test fuzz ci format clean

all: build

deps:
	@tools/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/tools/hcasim run $(SCENARIO)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE bench

# The fast build's hcasim joins the rate section when it is at least as new as the regular one.
bench: build
	@fast=$(FAST_BUILD)/tools/hcasim; \
	if [ -x $$fast ] && ! [ $(BUILD)/tools/hcasim -nt $$fast ]; then \
	  export HCASIM_BENCH_FAST=$$(realpath $$fast); \
	else echo "bench: no up-to-date $$fast (make fast): the regular build only"; fi; \
	ctest --test-dir $(BUILD) --output-on-failure -L bench -V

# hcasim with profile-guided and link-time optimization, for long runs and sweeps:
# $(FAST_BUILD)/tools/hcasim.
# Checked against the regular build's hcasim: the same outputs, byte for byte.
fast: configure
	@cmake --build $(BUILD) -j $(JOBS) --target hcasim
	@REFERENCE_HCASIM=$(BUILD)/tools/hcasim tools/build-fast.sh $(FAST_BUILD) $(JOBS)

# Address + undefined-behaviour sanitizers over the whole test suite.
asan-test: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHCASIM_WERROR=ON -DHCASIM_SANITIZE=address,undefined >/dev/null
	@cmake --build build-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j $(JOBS) -LE "bench|slow"

# ThreadSanitizer over the native synchronization library (no SystemC: its coroutines confuse TSan).
tsan-test: deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHCASIM_WERROR=ON -DHCASIM_SANITIZE=thread -DHCASIM_SYNC_ONLY=ON >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	ctest --test-dir build-tsan --output-on-failure -j $(JOBS)

# libFuzzer (clang) over the scenario-file and --set parsers and the I2O frame codec, under
# ASan + UBSan, FUZZ_SECONDS per target from the checked-in seeds (tests/fuzz/).
fuzz: deps
	@cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DHCASIM_WERROR=ON -DHCASIM_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(FAST_BUILD) build-asan build-tsan build-fuzz out
