# SPDX-License-Identifier: BSD-3-Clause
# A thin wrapper over scripts/ and meson. The two quick-start commands:
#   make run    bring the gateway up on a TAP in namespace sb0
#   make test   build and run the whole test suite
.PHONY: all build run stop status test unit bench clean

all: build

build:
	@scripts/install-deps.sh
	@scripts/build.sh

run: build
	@scripts/hugepages.sh
	@scripts/sb-up.sh --no-setup
	@echo
	@echo "  reach it:   ip netns exec sb0 ping -c 3 198.18.0.2"
	@echo "  status:     build/control/sbctl status"
	@echo "  telemetry:  echo /sb/counters | dpdk-telemetry.py -f sb"
	@echo "  stop it:    make stop"

stop:
	@scripts/sb-down.sh

status:
	@build/control/sbctl status

test: build
	@scripts/hugepages.sh
	@scripts/run-tests.sh

unit: build
	@meson test -C build --suite unit --print-errorlogs

bench: build
	@scripts/hugepages.sh
	@meson test -C build --benchmark --print-errorlogs --verbose

clean:
	rm -rf build build-*
