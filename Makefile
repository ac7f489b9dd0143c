# Makefile - the two commands (make demo, make test) and the rest; CMake does the building.
.PHONY: all deps borders build demo demo-stop cluster cluster-stop test bench fuzz mutants clean

BUILD_RELEASE := build/release
BUILD_TEST    := build/asan
BUILD_FUZZ    := build/fuzz
JOBS          ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS  ?= 600
FUZZ_ALL      := $(shell sed -n 's/^set(DC_FUZZ_TARGETS \(.*\))$$/\1/p' CMakeLists.txt)

all: build

deps:
	@bash scripts/deps.sh

# Natural Earth borders (npm world-atlas) as zone scenarios in build/borders/: the countries' land
# (world-land.geojson, turkey.geojson, syria.geojson). Their airspace, land and territorial sea
# (world.geojson, what the monitor and replay read), is made of the land by the program once built
# (AIRSPACE below; about a minute of one core, kept until world-land.geojson or the method changes).
borders: deps
	@[ -d web/node_modules/world-atlas ] && [ -d web/node_modules/@apidevtools/swagger-parser ] || (cd web && npm ci --no-audit --no-fund --loglevel=error)
	@[ -f build/borders/world-land.geojson ] || node web/borders.mjs build/borders

# AIRSPACE: build/borders/world.geojson from world-land.geojson, unless it is there, newer than the
# land, and of this method ("generator"). Always by the release build's deconflict (built here if
# need be): GEOS allocates much, and under AddressSanitizer the same build takes over 4 times longer.
AIRSPACE = [ build/borders/world.geojson -nt build/borders/world-land.geojson ] && \
	head -c 400 build/borders/world.geojson | grep -q '"generator":"deconflict airspace 1"' || \
	{ cmake -S . -B $(BUILD_RELEASE) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null && \
	cmake --build $(BUILD_RELEASE) -j $(JOBS) --target deconflict_cli && \
	$(BUILD_RELEASE)/deconflict airspace build/borders/world-land.geojson build/borders/world.geojson; }

build: deps borders
	@cmake -S . -B $(BUILD_RELEASE) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
	@cmake --build $(BUILD_RELEASE) -j $(JOBS)
	@$(AIRSPACE)
	@node web/build.mjs $(BUILD_RELEASE)/deconflict

demo: build
	@bash scripts/demo.sh $(BUILD_RELEASE)
	@python3 scripts/demo.py $(BUILD_RELEASE)

demo-stop:
	@[ -f var/deconflictd.pid ] && kill $$(cat var/deconflictd.pid) 2>/dev/null; rm -f var/deconflictd.pid; echo "demo server stopped"

# The same as demo over PostgreSQL + PostGIS: three deconflictd on 127.0.0.1:8181-8183 behind HAProxy on
# 127.0.0.1:8080 (stats on 8404), everything in build/cluster (scripts/cluster.sh, README.md).
cluster: build
	@bash scripts/cluster.sh start $(BUILD_RELEASE)

cluster-stop:
	@bash scripts/cluster.sh stop

# Tests run under AddressSanitizer and UndefinedBehaviorSanitizer; a report fails the test.
test: deps borders
	@cmake -S . -B $(BUILD_TEST) -DCMAKE_BUILD_TYPE=Debug -DDC_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_TEST) -j $(JOBS)
	@$(AIRSPACE)
	@node web/build.mjs $(BUILD_TEST)/deconflict
	@cd $(BUILD_TEST) && ctest --output-on-failure -j $(JOBS)

bench: borders
	@bash scripts/deps.sh --bench
	@cmake -S . -B $(BUILD_RELEASE) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
	@cmake --build $(BUILD_RELEASE) -j $(JOBS)
	@$(AIRSPACE)
	@bash scripts/bench.sh $(BUILD_RELEASE)

# libFuzzer on every parser a party or a feed reaches (fuzz/, docs/RELIABILITY.md), FUZZ_SECONDS
# each (default 600), one after the other; new corpus entries stay in build/fuzz/corpus/<target>.
# FUZZ_TARGETS="time csv" runs only those.
fuzz: deps
	@CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=Debug -DDC_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS) --target $(addprefix fuzz_,$(or $(FUZZ_TARGETS),$(FUZZ_ALL)))
	@BUILD_FUZZ=$(BUILD_FUZZ) FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh $(FUZZ_TARGETS)

# Each bug of tests/mutants/catalogue.json planted in turn; the tests named for it must fail.
# Slow (a rebuild and a test run per mutant): not part of make test. Result in docs/RELIABILITY.md.
mutants: deps borders
	@python3 scripts/mutants.py

clean:
	-@bash scripts/cluster.sh stop >/dev/null 2>&1
	rm -rf build var
