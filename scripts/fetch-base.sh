#!/usr/bin/env bash
# Fetch the pinned base: Debian's linux-source-5.10 5.10.223-1 (bullseye).
# apt downloads it with this machine's own Debian mirror configuration, the
# bullseye suite added in a private apt state directory. The .deb and the
# tarball inside it are checked against pinned sha256 sums and cached in
# $CACHE, so later runs work offline. If apt cannot deliver the package, the
# copy in ../shared/base/ is used instead (same sha256), and we say so.
set -euo pipefail

CACHE=${CACHE:-$HOME/.cache/vfio-series}
PKG=linux-source-5.10
VER=5.10.223-1
DEB=${PKG}_${VER}_all.deb
DEB_SHA=f733d27d239d65598d96d7a72f71ac50f49f2380192a1b3b4ca2f5ad5144dd63
TAR_SHA=4aa4fbb62e2d957ed78841347492e736cc88f00689b57dac09959bda6d2b6f0e
TOP=$(cd "$(dirname "$0")/.." && pwd)
FALLBACK=${FALLBACK:-$TOP/../shared/base/$DEB}
TAR=$CACHE/linux-source-5.10.tar.xz

say() { echo "fetch-base: $*"; }
sha_ok() { [ -f "$1" ] && echo "$2  $1" | sha256sum -c --status; }

mkdir -p "$CACHE"
if sha_ok "$TAR" "$TAR_SHA"; then
	say "cached $TAR (sha256 ok)"
	exit 0
fi

# The first Debian archive URI this machine uses for its main suite, from
# one-line or deb822 sources. No host name is written here.
mirror_uri() {
	{
		cat /etc/apt/sources.list 2>/dev/null | awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ { print $2 }'
		cat /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
	} | grep -E '/debian/?$' | grep -v -- '-security' | head -n 1
}

fetch_apt() {
	local uri state
	uri=$(mirror_uri) || true
	if [ -z "$uri" ]; then
		say "no Debian archive URI found in /etc/apt/sources.list*"
		return 1
	fi
	state=$CACHE/apt
	mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/etc/preferences.d" "$state/etc/apt.conf.d"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri bullseye main" > "$state/etc/sources.list"
	: > "$state/status"
	local opts=(-o "Dir::State=$state" -o "Dir::State::Lists=$state/lists"
		-o "Dir::State::status=$state/status" -o "Dir::Cache=$state"
		-o "Dir::Cache::archives=$state/archives"
		-o "Dir::Etc::SourceList=$state/etc/sources.list"
		-o "Dir::Etc::SourceParts=$state/etc/empty.d"
		-o "Dir::Etc::Preferences=$state/etc/preferences"
		-o "Dir::Etc::PreferencesParts=$state/etc/preferences.d"
		-o "APT::Architecture=amd64" -o "Debug::NoLocking=1")
	mkdir -p "$state/etc/empty.d"
	say "apt: bullseye from the machine's mirror ($uri), private state in $state"
	apt-get "${opts[@]}" -q update >"$state/update.log" 2>&1 || { say "apt-get update failed, see $state/update.log"; return 1; }
	(cd "$CACHE" && apt-get "${opts[@]}" -q download "$PKG=$VER") >"$state/download.log" 2>&1 ||
		{ say "apt could not download $PKG=$VER, see $state/download.log"; return 1; }
}

if ! sha_ok "$CACHE/$DEB" "$DEB_SHA"; then
	rm -f "$CACHE/$DEB"
	if fetch_apt && sha_ok "$CACHE/$DEB" "$DEB_SHA"; then
		say "downloaded $DEB with apt (sha256 ok)"
	elif sha_ok "$FALLBACK" "$DEB_SHA"; then
		say "apt could not deliver $DEB: FALLING BACK to the copy in $FALLBACK"
		cp "$FALLBACK" "$CACHE/$DEB"
	else
		say "cannot get $DEB with a good sha256 (apt failed, no fallback at $FALLBACK)."
		say "Fix apt (apt-get update must reach a Debian mirror), or put the .deb there."
		exit 1
	fi
fi

say "extracting usr/src/linux-source-5.10.tar.xz from $DEB"
tmp=$(mktemp -d "$CACHE/deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --fsys-tarfile "$CACHE/$DEB" | tar -x -C "$tmp" ./usr/src/linux-source-5.10.tar.xz
if ! sha_ok "$tmp/usr/src/linux-source-5.10.tar.xz" "$TAR_SHA"; then
	say "tarball sha256 mismatch inside $DEB"
	exit 1
fi
mv "$tmp/usr/src/linux-source-5.10.tar.xz" "$TAR"
say "cached $TAR (sha256 ok)"
