#!/usr/bin/env bash
# Build the x86_64 test kernel, its modules and the vfio selftests, with
# ccache, out of tree in $CACHE/build/$NAME. The .config is tinyconfig plus
# configs/vm.config, configs/debug.config and the tests' own fragment
# (FRAGS overrides the list: make bench does); the build fails if any
# requested option did not survive olddefconfig. Prints each stage's time.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$HOME/.cache/vfio-series}
TREE=${TREE:-$CACHE/linux}
NAME=${NAME:-vm}
O=${O:-$CACHE/build/$NAME}
JOBS=${JOBS:-$(nproc)}
FRAGS=${FRAGS:-"$TOP/configs/vm.config $TOP/configs/debug.config $TREE/tools/testing/selftests/vfio/config"}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
export KBUILD_BUILD_USER=vfio KBUILD_BUILD_HOST=series KBUILD_BUILD_TIMESTAMP="2024-08-01"
MAKE=(make -s -C "$TREE" O="$O" ARCH=x86_64 CC="ccache gcc" -j"$JOBS")

stage() { echo "build: $1"; SECONDS=0; }
done_stage() { echo "build: $1 done in ${SECONDS}s"; }
ccache -M 8G >/dev/null

frags=()
for f in $FRAGS; do [ -f "$f" ] && frags+=("$f"); done
stamp=$(cat "${frags[@]}" | sha256sum | cut -c1-16)
mkdir -p "$O"
if [ ! -f "$O/.config" ] || [ "$(cat "$O/.config.stamp" 2>/dev/null)" != "$stamp" ]; then
	stage "config: tinyconfig + ${frags[*]#$TOP/}"
	"${MAKE[@]}" tinyconfig >/dev/null
	(cd "$TREE" && scripts/kconfig/merge_config.sh -m -O "$O" "$O/.config" "${frags[@]}" >/dev/null)
	"${MAKE[@]}" olddefconfig >/dev/null
	"$TOP/scripts/check-config.sh" "$O/.config" "${frags[@]}"
	echo "$stamp" > "$O/.config.stamp"
	done_stage config
else
	# The tree may have new options (a patch added one): their defaults,
	# without a prompt.
	"${MAKE[@]}" olddefconfig >/dev/null
fi

stage "kernel and modules (-j$JOBS, ccache)"
"${MAKE[@]}" bzImage modules
done_stage kernel

stage "modules_install, headers_install, selftests"
rm -rf "$O/staging"
"${MAKE[@]}" INSTALL_MOD_PATH="$O/staging" modules_install >/dev/null
"${MAKE[@]}" INSTALL_HDR_PATH="$TREE/usr" headers_install >/dev/null
if [ -d "$TREE/tools/testing/selftests/vfio" ]; then
	LDFLAGS=-static make -s -C "$TREE/tools/testing/selftests" O="$O" TARGETS=vfio \
		INSTALL_PATH="$O/staging/kselftest" install >/dev/null
fi
done_stage install
echo "build: ccache: $(ccache -s | grep -E 'cache hit rate|Hits' | head -n 1 | tr -s ' ')"
