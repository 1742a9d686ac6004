# SPDX-License-Identifier: GPL-2.0
#
# iommufd PASID stack for Linux 6.12 LTS.
#
#   make              build the modules against KDIR (default: the installed
#                     Debian 6.12 headers; KDIR=<debug build> for the debug
#                     kernel, see "make debug-kdir")
#   make deps         install and cache everything the targets below need
#   make check        lint + the VM test matrix; ends "N passed, N failed"
#   make run          boot the demo VM with the modules loaded
#   make lint         checkpatch --strict, sparse, W=1, coccicheck
#   make bench        benchmarks in the VM: table, build/bench/bench.json
#   make clean

VM := tools/testing/vm
KDIR ?= $(shell $(VM)/lib.sh stock_kdir 2>/dev/null)

all: modules

modules:
	@if [ -z "$(KDIR)" ] || [ ! -d "$(KDIR)" ]; then \
		echo "No kernel build at '$(KDIR)': run make deps"; exit 1; fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

deps:
	$(VM)/deps.sh

debug-kdir: deps
	@$(VM)/lib.sh debug_kdir

check:
	$(VM)/check.sh

run: deps
	$(VM)/run.sh

lint:
	$(VM)/deps.sh --no-kernel
	tools/lint.sh

bench: deps
	tools/bench/bench.sh

selftests:
	$(MAKE) -C tools/testing/selftests/iommufd_pasid OUTPUT=$(CURDIR)/build/selftests

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build

.PHONY: all modules deps debug-kdir check run lint bench selftests clean
