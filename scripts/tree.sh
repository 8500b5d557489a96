#!/usr/bin/env bash
# (Re)create the kernel tree: the pinned base as its first commit (tag "base"),
# then each patch of patches/series as one commit (git am). Commits get a
# fixed committer and committer date = author date, so the same series always
# gives the same commit ids. A tree that already carries exactly the series
# is left alone (its files keep their mtimes: incremental builds stay fast).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$HOME/.cache/vfio-series}
TREE=${TREE:-$CACHE/linux}
TAR=$CACHE/linux-source-5.10.tar.xz
export GIT_COMMITTER_NAME="vfio-series tree" GIT_COMMITTER_EMAIL="tree@vfio-series.invalid"
say() { echo "tree: $*"; }

"$TOP/scripts/fetch-base.sh"

if ! git -C "$TREE" rev-parse -q --verify base >/dev/null 2>&1; then
	say "importing the base into $TREE"
	rm -rf "$TREE" "$TREE.tmp"
	mkdir -p "$TREE.tmp"
	tar -xJf "$TAR" -C "$TREE.tmp" --strip-components=1
	(
		cd "$TREE.tmp"
		git init -q -b main
		# Commits made by hand in the tree are the series' patches.
		git config user.name "vfio-series developers"
		git config user.email "dev@vfio-series.invalid"
		git config core.autocrlf false
		# Debian's tree ignores almost everything: add it all by force.
		git add -f -A
		GIT_AUTHOR_DATE="2024-08-01T00:00:00Z" GIT_COMMITTER_DATE="2024-08-01T00:00:00Z" \
			GIT_AUTHOR_NAME="Debian linux-source-5.10" GIT_AUTHOR_EMAIL="debian-kernel@lists.debian.org" \
			git commit -q -m "Linux 5.10.223 (Debian linux-source-5.10 5.10.223-1)"
		git tag base
	)
	mv "$TREE.tmp" "$TREE"
	say "base is $(git -C "$TREE" rev-parse base)"
fi

cd "$TREE"
# A dirty working copy (say, a mutation that make prove-tests left when it
# was killed) is not the series, even when the commits are.
if [ -z "$(git status --porcelain --untracked-files=no)" ] &&
   "$TOP/scripts/export.sh" --check >/dev/null 2>&1; then
	say "$TREE already carries patches/series ($(git rev-list --count base..HEAD) patches)"
	exit 0
fi
if [ -n "$(git status --porcelain --untracked-files=no)" ] && [ "${FORCE:-0}" != 1 ]; then
	say "$TREE has uncommitted changes; commit and 'make export' them, or FORCE=1 to discard"
	exit 1
fi
if [ "$(git rev-parse HEAD)" != "$(git rev-parse base)" ] &&
   [ "$(git rev-parse HEAD)" != "$(git rev-parse -q --verify applied || true)" ]; then
	# The tree has commits that are not in patches/.
	if [ "${FORCE:-0}" != 1 ] && [ "${CI:-}" != true ]; then
		say "$TREE has commits that are not in patches/: 'make export' them first,"
		say "or FORCE=1 to set the tree back to patches/ (they are kept on a branch)"
		exit 1
	fi
	git branch -f "lost-$(date +%Y%m%d-%H%M%S)" HEAD
	say "the tree had commits not in patches/: kept on branch lost-*"
fi
git am --abort >/dev/null 2>&1 || true
git checkout -q -f -B main base
n=0
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	git am -q --committer-date-is-author-date "$TOP/patches/$p" ||
		{ say "patch $p does not apply"; git am --abort; exit 1; }
	n=$((n + 1))
done < "$TOP/patches/series"
git tag -f applied >/dev/null
say "applied $n patches on base: HEAD $(git rev-parse --short HEAD)"
