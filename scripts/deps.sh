#!/usr/bin/env bash
# Install what the workbench needs from Debian's packages (once; a machine
# that has them all is left alone).
set -euo pipefail
pkgs=(build-essential bc bison flex libelf-dev libssl-dev rsync cpio kmod xz-utils
	dpkg-dev ccache git python3 python3-ply python3-git python-is-python3
	sparse codespell qemu-system-x86 qemu-system-misc busybox-static
	gcc-aarch64-linux-gnu gcc-s390x-linux-gnu)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi
echo "deps: installing ${missing[*]}"
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} packages"
