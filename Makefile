# elbo: make (build), make test, make demo, make bench. Each target first installs any
# missing Debian packages (scripts/install-deps.sh); nothing else is downloaded.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# 1: `make test` also installs the Python package into a fresh virtual environment and runs
# its tests (scripts/python-tests.sh); CI's sanitizer build sets 0.
PYTHON_TESTS ?= 1

.PHONY: all deps configure build test demo bench portable-vs-native clean

all: build

deps:
	@./scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) > $(BUILD).configure.log 2>&1 || (cat $(BUILD).configure.log; exit 1)

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@if [ "$(PYTHON_TESTS)" = 1 ]; then bash scripts/python-tests.sh $(BUILD); fi

demo: build
	@if [ -x $(BUILD)/bin/elbo ]; then $(BUILD)/bin/elbo demo; else $(BUILD)/examples/simple; fi

bench: build
	@for b in $(BUILD)/bench/*_bench; do echo "== $$b"; $$b --benchmark_min_time=0.2 || exit 1; done

# The default (portable) build against -DELBO_NATIVE=ON on docs/PERFORMANCE.md's benchmarks.
portable-vs-native: deps
	@bash bench/portable_vs_native.sh

clean:
	@rm -rf $(BUILD) $(BUILD).configure.log
