# cloudbroker. `make run` starts the demo broker; `make test` installs/starts what the tests
# need (redis-server, govc, libvirtd, chromium) and runs every test with the race detector.
GO       ?= go
GOBIN    := $(shell $(GO) env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)
PKGS     := ./...
FUZZTIME ?= 60s

.PHONY: run test deps vet test-go fuzz-short fuzz bench load lint

run:
	$(GO) run ./cmd/broker $(ARGS)

test: deps vet test-go

deps:
	bash test/scripts/ensure-redis.sh
	bash test/scripts/ensure-govc.sh
	bash test/scripts/libvirtd.sh
	bash test/scripts/ensure-chromium.sh

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)

# The tests' simulators run in a program of their own (test/harness/simproc.go), built once here.
VCSIMD   ?= $(CURDIR)/.cache/vcsimd

test-go:
	$(GO) build -o $(VCSIMD) ./test/vcsimd
	CB_VCSIMD=$(VCSIMD) $(GO) test -race -count=1 -timeout 30m $(PKGS)
	@# Issue 13's RSS bound measured as deployed: under -race the detector's shadow memory
	@# inflates RSS, so there the same test bounds the Go heap instead.
	$(GO) test -count=1 -run '^TestConcurrentMaximalPatternsMemory$$' ./adapters/zstack/

# `make test` runs every fuzz target's seed corpus as an ordinary test; `make fuzz` fuzzes each
# for FUZZTIME (60s), `make fuzz-short` for 5s.
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5s

fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
	  d=$$(dirname $$f); \
	  for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | cut -c6-); do \
	    echo "fuzz $$d $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$d; \
	  done; \
	done

# Issue 17: one table, every project figure beside its floor from the same run. Every package
# with a Benchmark<Name>Floor runs (BENCHARGS passes -pkgs, -bench, -benchtime, -count, -all to
# bench/table); the raw go test output goes to stderr, the table to stdout.
bench:
	$(GO) run ./bench/table $(BENCHARGS)

# The load and fault program in full: rates per dialect, tasks/s, faults (RESULTS.md); the soak, long.
load:
	LOADFAULT_FULL=1 LOADFAULT_SECONDS=$${LOADFAULT_SECONDS:-3} LOADFAULT_REPORT=$${LOADFAULT_REPORT:-/tmp/loadfault.md} \
	  $(GO) test -count=1 -timeout 30m -run TestLoadAndFaults -v ./bench/
	@# Issue 19: the simulator's own floor for a direct change, then the soak, long (test/stress,
	@# SOAK_REPORT has the table).
	WATCHFLOOR_VMS=$${WATCHFLOOR_VMS:-1000} WATCHFLOOR_CHANGES=$${WATCHFLOOR_CHANGES:-4} WATCHFLOOR_WATCH_MAX_WAIT_SECONDS=$${WATCHFLOOR_WATCH_MAX_WAIT_SECONDS:-60} \
	  $(GO) test -count=1 -timeout 30m -run TestWatchChangeLatencyAgainstFloor -v ./drivers/vcenter/
	@# 5,000 VMs: the simulator needs about a minute to compute one change there (the floor
	@# above), so the watch's poll bound and the per-change bound are raised to match.
	SOAK_VMS=$${SOAK_VMS:-5000} SOAK_SECONDS=$${SOAK_SECONDS:-240} SOAK_REPORT=$${SOAK_REPORT:-/tmp/soak.md} \
	  SOAK_WATCH_MAX_WAIT_SECONDS=$${SOAK_WATCH_MAX_WAIT_SECONDS:-120} SOAK_CHANGE_BOUND_SECONDS=$${SOAK_CHANGE_BOUND_SECONDS:-300} \
	  $(GO) test -count=1 -timeout 30m -run TestSoak -v ./test/stress/

lint: vet
