# e2e.mk: the QEMU test bed's part of make e2e, for the top-level Makefile to
# include. e2e-vm-deps installs what the VM tests need (idempotent, as root);
# e2e-vm runs them. The first run builds the host image (minutes).
.PHONY: e2e-vm-deps e2e-vm

e2e-vm-deps:
	sh qemu-tests/vm/install-deps.sh

e2e-vm: e2e-vm-deps
	go test -tags e2e -timeout 60m -v ./qemu-tests/vm/
