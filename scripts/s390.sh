#!/usr/bin/env bash
# s390.sh: the vfio-ccw functional test. Cross-builds the s390x test
# kernel (tinyconfig + configs/s390-vm.config: KASAN, kmemleak, lockdep),
# its modules and vfio_ccw_test with ccache, packs a busybox (s390x)
# initramfs with guest/init-s390, and boots it in qemu-system-s390x under
# TCG with a virtio-blk-ccw device. When the guest asks on the console,
# the device is hot-unplugged with device_del over a QMP socket. The
# console log goes to logs/s390-<time>.log (logs/s390-latest.log), and
# "PASSED FAILED" to logs/s390.result.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$HOME/.cache/vfio-series}
TREE=${TREE:-$CACHE/linux}
O=${O_S390:-$CACHE/build/s390}
LOGS=${LOGS:-$TOP/logs}
JOBS=${JOBS:-$(nproc)}
VM_TIMEOUT=${S390_TIMEOUT:-1200}
BUSYBOX=$CACHE/busybox-s390x/bin/busybox
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
export KBUILD_BUILD_USER=vfio KBUILD_BUILD_HOST=series KBUILD_BUILD_TIMESTAMP="2024-08-01"
CROSS=s390x-linux-gnu-
MAKE=(make -s -C "$TREE" O="$O" ARCH=s390 CROSS_COMPILE=$CROSS CC="ccache ${CROSS}gcc" -j"$JOBS")
FRAG=$TOP/configs/s390-vm.config

mkdir -p "$O" "$LOGS"
rm -f "$LOGS/s390.result"
[ -x "$BUSYBOX" ] || { echo "s390: $BUSYBOX is missing (scripts/deps.sh fetches it)"; exit 1; }
if [ ! -f "$TREE/tools/testing/selftests/vfio/vfio_ccw_test.c" ]; then
	echo "s390: the tree has no vfio_ccw_test; nothing to run"
	echo "0 0" > "$LOGS/s390.result"
	exit 0
fi

SECONDS=0
stamp=$(sha256sum < "$FRAG" | cut -c1-16)
if [ ! -f "$O/.config" ] || [ "$(cat "$O/.config.stamp" 2>/dev/null)" != "$stamp" ]; then
	"${MAKE[@]}" tinyconfig >/dev/null
	(cd "$TREE" && scripts/kconfig/merge_config.sh -m -O "$O" "$O/.config" "$FRAG" >/dev/null 2>&1)
	"${MAKE[@]}" olddefconfig >/dev/null
	"$TOP/scripts/check-config.sh" "$O/.config" "$FRAG"
	echo "$stamp" > "$O/.config.stamp"
else
	"${MAKE[@]}" olddefconfig >/dev/null
fi
# The base's arch/s390 has -Wstringop-overread noise with gcc 12: keep
# the log to errors, the gates check warnings.
"${MAKE[@]}" bzImage modules 2>&1 | grep -E 'error|Error' || true
[ "${PIPESTATUS[0]}" = 0 ] || { echo "s390: kernel build failed"; exit 1; }
rm -rf "$O/staging"
"${MAKE[@]}" INSTALL_MOD_PATH="$O/staging" modules_install >/dev/null
"${MAKE[@]}" INSTALL_HDR_PATH="$O/usr" headers_install >/dev/null
mkdir -p "$O/kselftest"
make -s -C "$TREE/tools/testing/selftests/vfio" ARCH=s390 CC="${CROSS}gcc" \
	CFLAGS="-Wall -O2 -I$O/usr/include" LDFLAGS=-static OUTPUT="$O/kselftest" \
	"$O/kselftest/vfio_ccw_test"
echo "s390: kernel, modules and vfio_ccw_test built in ${SECONDS}s"

root=$O/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,lib,kselftest/vfio}
cp "$BUSYBOX" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$TOP/guest/init-s390" "$root/init"
chmod +x "$root/init"
cp -a "$O/staging/lib/modules" "$root/lib/"
cp "$O/kselftest/vfio_ccw_test" "$root/kselftest/vfio/"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$O/initramfs.cpio"
# 1 MiB: 2048 sectors, which the test reads back from the virtio config
truncate -s 1M "$O/disk.img"

log=$LOGS/s390-$(date +%Y%m%d-%H%M%S).log
ln -sfn "$(basename "$log")" "$LOGS/s390-latest.log"
qmp=$O/qmp.sock
rm -f "$qmp"
qemu=(qemu-system-s390x -machine s390-ccw-virtio -accel tcg -smp 2 -m 2G
	-nographic -no-reboot -nic none
	-kernel "$O/arch/s390/boot/bzImage" -initrd "$O/initramfs.cpio"
	-append "console=ttysclp0 panic=-1 oops=panic loglevel=4"
	-drive if=none,id=d0,file="$O/disk.img",format=raw
	-device virtio-blk-ccw,drive=d0,id=vblk,devno=fe.0.0001
	-qmp unix:"$qmp",server=on,wait=off)

# device_del over QMP, for the guest's hot-unplug case
device_del() {
	python3 - "$qmp" <<-'EOF'
	import json, socket, sys
	s = socket.socket(socket.AF_UNIX)
	s.connect(sys.argv[1])
	f = s.makefile("rw")
	f.readline()
	for cmd in ({"execute": "qmp_capabilities"},
		    {"execute": "device_del", "arguments": {"id": "vblk"}}):
	    f.write(json.dumps(cmd) + "\n")
	    f.flush()
	    print("s390: qmp:", json.dumps(cmd), "->", f.readline().strip())
	EOF
}

echo "s390: booting (log $log)"
SECONDS=0
rc=0
{
	timeout --foreground -k 10 "$VM_TIMEOUT" "${qemu[@]}" < /dev/null 2>&1 |
		while IFS= read -r line; do
			line=${line%$'\r'}
			printf '%s\n' "$line" >> "$log"
			case "$line" in
			*"ready for device_del"*) device_del | tee -a "$log" ;;
			"=== s390: "* | "ok "* | "not ok "*) printf '%s\n' "$line" ;;
			esac
		done
	rc=${PIPESTATUS[0]}
} || true
echo "s390: QEMU exited with $rc after ${SECONDS}s"

# Every test case must run and pass here (a SKIP counts as a failure),
# and so must each of the guest's own checks.
pass=$(grep -cE '^ok [0-9]+ ' "$log" | tr -d ' ') || true
skip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log") || true
fail=$(grep -cE '^not ok [0-9]+ ' "$log") || true
gpass=$(grep -c '^=== s390: ok ' "$log") || true
gfail=$(grep -c '^=== s390: FAIL ' "$log") || true
grep -q '^=== s390: done' "$log" || { echo "s390: the guest did not finish"; gfail=$((gfail + 1)); }
[ "$((pass + fail))" -gt 0 ] || { echo "s390: no test result in the log"; gfail=$((gfail + 1)); }
p=$((pass - skip + gpass)) f=$((fail + skip + gfail))
echo "s390: $p passed, $f failed (log $log)"
echo "$p $f" > "$LOGS/s390.result"
[ "$f" = 0 ]
