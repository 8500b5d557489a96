#!/usr/bin/env bash
# vm.sh MODE [TESTS]: pack an initramfs (busybox, modules, selftests, the
# demo) and boot the built kernel in QEMU q35 + intel-iommu under TCG, with
# QEMU's edu device. MODE is check (run the selftests), run (the demo) or
# shell. TESTS is a comma-separated list of selftest binaries. The serial
# log goes to logs/<mode>-<time>.log (logs/latest.log points at it).
# NOIOMMU=1 boots without the IOMMU and with vfio's noiommu mode on; its
# logs are logs/noiommu-<mode>-<time>.log (logs/noiommu-latest.log).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$HOME/.cache/vfio-series}
NAME=${NAME:-vm}
O=${O:-$CACHE/build/$NAME}
MODE=${1:-check}
TESTS=${2:-}
VM_TIMEOUT=${VM_TIMEOUT:-$((2400 + ${STRESS_SECONDS:-0}))}
LOGS=${LOGS:-$TOP/logs}

mkdir -p "$LOGS"
root=$O/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,lib,etc,root}
cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$TOP/guest/init" "$root/init"
chmod +x "$root/init"
# The 5.10 kselftest runner calls "/usr/bin/timeout --foreground": busybox's
# timeout has no --foreground, so drop it and keep the per-test limit.
printf '#!/bin/sh\n[ "$1" = --foreground ] && shift\nexec /bin/busybox timeout "$@"\n' > "$root/usr/bin/timeout"
chmod +x "$root/usr/bin/timeout"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/sh" >> "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
[ -d "$O/staging/lib/modules" ] && cp -a "$O/staging/lib/modules" "$root/lib/"
[ -d "$O/staging/kselftest" ] && cp -a "$O/staging/kselftest" "$root/kselftest"
[ -x "$O/staging/kselftest/vfio/vfio_mtty_demo" ] && ln -s /kselftest/vfio/vfio_mtty_demo "$root/usr/bin/vfio-demo"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$O/initramfs.cpio"

tag=
iommu=(-device intel-iommu,intremap=on)
append="console=ttyS0 panic=-1 oops=panic loglevel=7 vfio.mode=$MODE"
if [ "${NOIOMMU:-0}" = 1 ]; then
	tag=noiommu-
	iommu=()
	append+=" intel_iommu=off vfio.enable_unsafe_noiommu_mode=1"
else
	append+=" intel_iommu=on"
fi
log=$LOGS/$tag$MODE-$(date +%Y%m%d-%H%M%S).log
ln -sfn "$(basename "$log")" "$LOGS/${tag}latest.log"
# vfio-pci enables VFs of the PFs it has only when asked to.
append+=" vfio_pci.enable_sriov=1"
[ -n "$TESTS" ] && append+=" vfio.tests=$TESTS"
# The stress test's length (vfio_stress_test; its default is 120 s).
[ -n "${STRESS_SECONDS:-}" ] && append+=" vfio.stress_seconds=$STRESS_SECONDS"
# ... and each worker's cap on operations (its default is 1000000).
[ -n "${STRESS_MAX_OPS:-}" ] && append+=" vfio.stress_max_ops=$STRESS_MAX_OPS"
# The benchmark's iterations, sizes, trace depth and create profile, and
# mtty's ports.
[ -n "${BENCH_ITERATIONS:-}" ] && append+=" vfio.bench_iters=$BENCH_ITERATIONS"
[ -n "${BENCH_SIZES:-}" ] && append+=" vfio.bench_sizes=$BENCH_SIZES"
[ -n "${MTTY_PORTS:-}" ] && append+=" vfio.mtty_ports=$MTTY_PORTS"
[ -n "${BENCH_TRACE:-}" ] && append+=" vfio.bench_trace=$BENCH_TRACE"
[ "${BENCH_PROFILE:-0}" = 1 ] && append+=" vfio.bench_profile=1"
echo "vm: booting $O/arch/x86/boot/bzImage (mode $MODE${TESTS:+, tests $TESTS}${tag:+, no IOMMU, vfio noiommu mode}), log $log"
# A second IOMMU group with two members, for the series' shared-group
# test: edu and pci-serial behind a pcie-pci-bridge. Only for trees that
# have the test, so that the tests of earlier patches (make at) see one edu.
shared=()
[ "$MODE" != bench ] && [ -f "${TREE:-$CACHE/linux}/tools/testing/selftests/vfio/vfio_pci_shared_group_test.c" ] &&
	shared=(-device pcie-pci-bridge,id=pbr -device edu,bus=pbr,addr=1
		-device pci-serial,bus=pbr,addr=2)
# An SR-IOV PF, QEMU's nvme behind a root port, for the VF-token test.
sriov=()
[ "$MODE" != bench ] && [ -f "${TREE:-$CACHE/linux}/tools/testing/selftests/vfio/vfio_pci_vf_token_test.c" ] &&
	sriov=(-device pcie-root-port,id=rp1,chassis=1 -device nvme-subsys,id=s0
		-device nvme,bus=rp1,subsys=s0,serial=vfio-vf-token,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2)
qemu=(qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 -m 1G
	"${iommu[@]}"
	-device edu -nic none "${shared[@]}" "${sriov[@]}"
	-kernel "$O/arch/x86/boot/bzImage" -initrd "$O/initramfs.cpio"
	-append "$append" -nographic -no-reboot -serial mon:stdio
	-chardev file,id=tests,path="${log%.log}.tests" -serial chardev:tests
	${QEMU_EXTRA:-})
SECONDS=0
rc=0
if [ "$MODE" = shell ]; then
	"${qemu[@]}" 2>&1 | tee "$log"
else
	{
		timeout --foreground -k 10 "$VM_TIMEOUT" "${qemu[@]}" < /dev/null 2>&1 | tr -d '\r' | tee "$log" |
			if [ "${QUIET:-0}" = 1 ]; then grep -E '^(=== |demo: )' || true; else cat; fi
		rc=${PIPESTATUS[0]}
	} || true
fi
echo "vm: QEMU exited with $rc after ${SECONDS}s; test output in ${log%.log}.tests"
ln -sfn "$(basename "${log%.log}.tests")" "$LOGS/${tag}latest.tests"
[ "${QUIET:-0}" = 1 ] && grep -E '^(ok|not ok) ' "${log%.log}.tests" || true
[ "$rc" = 124 ] && echo "vm: HARD TIMEOUT after ${VM_TIMEOUT}s"
if [ "$MODE" = run ] && [ "$rc" = 0 ] && ! grep -q '^demo: .*all steps worked' "$log"; then
	echo "vm: the demo did not finish all its steps (see $log)"
	rc=1
fi
exit "$rc"
