#!/usr/bin/env bash
# bench.sh: the benchmarks (make bench), figures not verdicts. Builds the
# series and the unpatched base with one non-debug config (configs/vm.config
# + configs/bench.config), boots each in the same VM (q35, intel-iommu, one
# edu, TCG) and runs vfio_bench there, built from the series (on the base it
# finds no device nodes and skips the node path). The series' KUnit suite
# prints the grace periods of 1000 RCU-deferred frees at boot.
# scripts/bench.py then writes logs/bench/bench.csv, prints the table with
# the ratios and the targets (logs/bench/bench.txt) and plots
# logs/bench/bench-*.png with gnuplot.
#
# The base's mtty has a fixed limit of 24 ports (the series made it the
# max_ports parameter): the base tree built here raises MAX_MTTYS to the
# largest size, its only change, so that the base scales as far.
#
# BENCH_ITERATIONS (1000), BENCH_SIZES (16,64,256,1024,4096) and
# BENCH_TRACE (0; N: one run of each path traced N functions deep, for a
# profile, in logs/bench/KERNEL/trace-*.txt) reach the guest;
# BENCH_PROFILE (0; 1: the last 64 creates of each size under ftrace's
# function profiler, compared between the smallest and the largest size in
# logs/bench/profile.txt; the guest gets one vCPU, as text patching under
# TCG with two crashed guests) also reach it;
# BENCH_KERNELS="series base" picks the kernels to run.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
export CACHE=${CACHE:-$HOME/.cache/vfio-series}
export TREE=${TREE:-$CACHE/linux}
BASE_TREE=$CACHE/bench-base
OUT=${LOGS:-$TOP/logs}/bench
export BENCH_ITERATIONS=${BENCH_ITERATIONS:-1000}
export BENCH_SIZES=${BENCH_SIZES:-16,64,256,1024,4096}
# The depth of one traced run of each path (vfio_bench -t), 0 for none:
# enabling the tracer patches kernel text, which crashed a TCG guest once.
export BENCH_TRACE=${BENCH_TRACE:-0}
export BENCH_PROFILE=${BENCH_PROFILE:-0}
[ "$BENCH_PROFILE" = 1 ] && export QEMU_EXTRA="${QEMU_EXTRA:-} -smp 1"
KERNELS=${BENCH_KERNELS:-series base}
# One port more than the largest size: the latency device stays apart.
export MTTY_PORTS=$(($(tr , '\n' <<< "$BENCH_SIZES" | sort -n | tail -n 1) + 1))
FRAGS="$TOP/configs/vm.config $TOP/configs/bench.config"
mkdir -p "$OUT"

# The series' build also gives vfio_bench, which both guests run.
echo "=== bench: build the series"
FRAGS="$FRAGS $TREE/tools/testing/selftests/vfio/config" NAME=bench \
	"$TOP/scripts/build.sh"
bench_bin=$CACHE/build/bench/staging/kselftest/vfio/vfio_bench
[ -x "$bench_bin" ] || { echo "bench: $bench_bin was not built"; exit 1; }

if [[ " $KERNELS " = *" base "* ]]; then
	echo "=== bench: build the base (mtty: MAX_MTTYS $MTTY_PORTS)"
	[ -e "$BASE_TREE/.git" ] ||
		git -C "$TREE" worktree add -q --detach "$BASE_TREE" base
	git -C "$BASE_TREE" checkout -q -f --detach base
	mtty=$BASE_TREE/samples/vfio-mdev/mtty.c
	sed -i "s/^#define MAX_MTTYS\t24$/#define MAX_MTTYS\t$MTTY_PORTS/" "$mtty"
	grep -q "^#define MAX_MTTYS.$MTTY_PORTS$" "$mtty" ||
		{ echo "bench: could not raise MAX_MTTYS in $mtty"; exit 1; }
	TREE=$BASE_TREE FRAGS=$FRAGS NAME=bench-base "$TOP/scripts/build.sh"
	mkdir -p "$CACHE/build/bench-base/staging/kselftest/vfio"
	cp "$bench_bin" "$CACHE/build/bench-base/staging/kselftest/vfio/"
fi

rc=0
for k in $KERNELS; do
	case "$k" in
	series) name=bench tree=$TREE ;;
	base) name=bench-base tree=$BASE_TREE ;;
	*) echo "bench: unknown kernel $k (series, base)"; exit 2 ;;
	esac
	echo "=== bench: boot the $k kernel"
	rm -f "$OUT/$k/latest.tests"
	TREE=$tree NAME=$name LOGS=$OUT/$k QUIET=1 "$TOP/scripts/vm.sh" bench ||
		{ echo "bench: the $k VM failed"; rc=1; }
	grep -q '^=== BENCH END rc=0' "$OUT/$k/latest.tests" 2>/dev/null ||
		{ echo "bench: vfio_bench failed on the $k kernel (see $OUT/$k/latest.tests)"; rc=1; }
done
python3 "$TOP/scripts/bench.py" "$OUT" $KERNELS | tee "$OUT/bench.txt"
exit "$rc"
