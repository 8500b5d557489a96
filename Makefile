# The vfio device life cycle series: fetch the base, apply patches/, build,
# boot in QEMU and test. Trees, build output and caches live in $(CACHE).
CACHE ?= $(HOME)/.cache/vfio-series
TREE ?= $(CACHE)/linux
export CACHE TREE
comma := ,

.PHONY: help run check test s390 bench prove-tests deps tree export export-check build vm \
	shell gates checkpatch bisect static stubs at clean distclean

help:
	@echo "make run          build and boot the series, run the demo"
	@echo "make check        the whole suite: gates, build, boot, KUnit + kselftests"
	@echo "make test T=NAME  build, boot and run one selftest binary (comma-separated list ok)"
	@echo "make s390         build the s390x kernel and run vfio_ccw_test in qemu-system-s390x"
	@echo "make bench        build the series and the base without debugging, boot each, print the figures"
	@echo "make prove-tests  apply each tests/mutations/ patch, run its tests, expect red (MUT=name,...)"
	@echo "make tree         (re)create \$$TREE: base + patches/series"
	@echo "make export       write the tree's commits back to patches/"
	@echo "make shell        boot the test kernel to a shell (Ctrl-a x quits)"
	@echo "make gates|checkpatch|bisect|static|stubs   the series gates alone"
	@echo "make at N=8       build, boot and test the series after patch N (0: base)"

run: deps tree build
	QUIET=1 scripts/vm.sh run

check:
	scripts/check.sh

test:
	@test -n "$(T)" || { echo "usage: make test T=vfio_mtty_group_test"; exit 2; }
	scripts/check.sh $(T)

s390: deps tree
	scripts/s390.sh

bench: deps tree
	scripts/bench.sh

prove-tests: deps tree
	scripts/prove-tests.sh $(subst $(comma), ,$(MUT))

deps:
	scripts/deps.sh

tree: deps
	scripts/tree.sh

export:
	scripts/export.sh

export-check:
	scripts/export.sh --check

build:
	scripts/build.sh

vm:
	scripts/vm.sh check

shell: build
	scripts/vm.sh shell

gates:
	scripts/gates.sh all
checkpatch bisect static stubs:
	scripts/gates.sh $@

at:
	@test -n "$(N)" || { echo "usage: make at N=8 [T=test,...]"; exit 2; }
	scripts/at.sh $(N) $(T)

clean:
	rm -rf logs $(CACHE)/build

distclean: clean
	git -C $(TREE) worktree remove --force $(CACHE)/gate 2>/dev/null || true
	rm -rf $(TREE) $(CACHE)/gate
