# kubexm: build, test, lint, end-to-end tests and benchmarks.
#
#   make build   both programs into bin/
#   make rootfs  the base initramfs (u-root and the installer) that kubexm-builder embeds
#   make test    unit and integration tests (real sshd on loopback); minutes
#   make lint    gofmt, go vet, staticcheck
#   make e2e     QEMU virtual machines and the upstream mirror; slow (TCG)
#   make bench   benchmarks against the tools users would otherwise use
#   make demo    a bundle of the example config, from the local upstream mirror

GO          ?= go
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
COMMIT      ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -X github.com/kubexm/kubexm/internal/version.Version=$(VERSION) \
               -X github.com/kubexm/kubexm/internal/version.Commit=$(COMMIT)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build rootfs test lint e2e bench demo clean

all: build

build: rootfs
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/kubexm ./cmd/kubexm
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/kubexm-builder ./cmd/kubexm-builder

# The base initramfs: u-root's core commands in one busybox binary and the
# installer (cmd/kubexm-installer) as uinit. Rebuilt
# only when go.mod or Go code the installer may use changes.
ROOTFS_BASE := rootfs/dist/base.cpio.xz
ROOTFS_SRCS := go.mod go.sum $(shell find cmd/kubexm-installer installer internal profiles \
                 rootfs/cmd rootfs/internal -name '*.go' ! -name '*_test.go' 2>/dev/null)

rootfs: $(ROOTFS_BASE)

$(ROOTFS_BASE): $(ROOTFS_SRCS)
	$(GO) run ./rootfs/cmd/mkbase -o $@

# The tests start real OpenSSH servers (Debian package openssh-server) and,
# as root, a non-root sudo user; .ci/run installs what they need.
test:
	$(GO) test -count=1 -timeout 12m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags e2e ./...

# QEMU hosts run under TCG by default (KUBEXM_QEMU_KVM=1 opts in to KVM).
# The OS-package tests resolve against the Debian mirror of the apt sources.
e2e: rootfs
	sh qemu-tests/vm/install-deps.sh
	$(GO) test -count=1 -tags e2e -timeout 180m -v ./qemu-tests/... ./builder/ospkg/ \
		./builder/isofs/ ./rootfs/

# Each benchmark runs beside the tool a user would otherwise use, on the
# same input, and reports the ratio.
bench:
	.ci/install-packages openssh-server sudo tar pigz zstd docker-registry skopeo xorriso \
		isolinux
	$(GO) test -run '^$$' -bench . -benchtime 3x -timeout 60m ./internal/engine/ \
		./internal/bundle/ ./builder/images/ ./builder/ospkg/ ./builder/isofs/

# The mirror serves programs built from source; its cache must be warm
# (go run ./qemu-tests/upstream build), or the demo stops and says so.
demo: build
	$(GO) run ./qemu-tests/demo -builder bin/kubexm-builder -dir bin/demo

clean:
	rm -rf bin
