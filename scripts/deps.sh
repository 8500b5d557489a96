#!/usr/bin/env bash
# Install what the workbench needs from Debian's packages (once; a machine
# that has them all is left alone).
set -euo pipefail
pkgs=(build-essential bc bison flex libelf-dev libssl-dev rsync cpio kmod xz-utils
	dpkg-dev ccache git python3 python3-ply python3-git python-is-python3
	sparse codespell qemu-system-x86 qemu-system-misc busybox-static
	gcc-aarch64-linux-gnu gcc-s390x-linux-gnu libc6-dev-s390x-cross gnuplot-nox)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present"
else
	echo "deps: installing ${missing[*]}"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
	echo "deps: installed ${#missing[@]} packages"
fi

# The s390x guest's busybox: Debian's busybox-static for s390x, unpacked
# into the cache (not installed: it is another architecture's binary).
CACHE=${CACHE:-$HOME/.cache/vfio-series}
bb=$CACHE/busybox-s390x
if [ ! -x "$bb/bin/busybox" ]; then
	dpkg --print-foreign-architectures | grep -qx s390x || dpkg --add-architecture s390x
	apt-get update -q >/dev/null
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q busybox-static:s390x >/dev/null 2>&1)
	rm -rf "$bb"
	mkdir -p "$CACHE"	# a new machine has no cache yet
	dpkg-deb -x "$tmp"/busybox-static_*_s390x.deb "$bb"
	rm -rf "$tmp"
	echo "deps: busybox-static:s390x unpacked into $bb"
fi
