#!/usr/bin/env bash
# at.sh N [TESTS]: build, boot and test the series as it is after patch N
# (0 = the base), in the gate worktree, with its own build directory, so the
# main tree and its build stay as they are. Ends with "N passed, N failed".
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
export CACHE=${CACHE:-$HOME/.cache/vfio-series}
TREE=${TREE:-$CACHE/linux}
GATE=$CACHE/gate
N=${1:?usage: at.sh N [TESTS]}
TESTS=${2:-}
export LOGS=${LOGS:-$TOP/logs}/at-$N

[ -e "$GATE/.git" ] || git -C "$TREE" worktree add -q --detach "$GATE" base
if [ "$N" = 0 ]; then
	rev=base
else
	rev=$(git -C "$TREE" rev-list --reverse base..HEAD | sed -n "${N}p")
	[ -n "$rev" ] || { echo "at: the series has fewer than $N patches"; exit 2; }
fi
git -C "$GATE" checkout -q --detach "$rev"
echo "at: patch $N: $(git -C "$GATE" log -1 --format='%h %s' "$rev")"
mkdir -p "$LOGS"
TREE=$GATE NAME=vm-at "$TOP/scripts/build.sh"
TREE=$GATE NAME=vm-at QUIET=1 "$TOP/scripts/vm.sh" check "$TESTS"
# The tests a tree has are the ones its selftests Makefile lists.
python3 "$TOP/scripts/results.py" "$LOGS/latest.log" "$GATE" "$TOP/configs/expected" "$TESTS"
