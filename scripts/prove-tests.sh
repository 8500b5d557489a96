#!/usr/bin/env bash
# prove-tests.sh [NAME...]: show that the tests can fail. Each file in
# tests/mutations/ breaks one rule of the series (its "Rule:" line) with a
# small patch on top of the series. For each (or the NAMEs given, without
# .patch), apply it to $TREE's working copy, build, boot and run the tests
# its "Guarded-by:" line names (comma-separated; KUnit runs at every boot;
# a "Boot: noiommu" line boots without the IOMMU, in vfio's noiommu mode;
# "Boot: bench" builds and boots the benchmark kernel, without debugging;
# "Boot: s390" runs make s390's guest, whose checks are the verdict),
# and expect them to go red: a failed case of those tests, a failed KUnit
# case or a kernel report (a skip or a timeout alone does not count).
# There is no baseline run: run it on a series whose make check is green.
# Prints one line per mutation and ends with "N mutations, N caught";
# exits non-zero when one was missed or did not apply or build. The tree
# is restored after each mutation and on exit; logs in logs/prove/NAME/.
set -uo pipefail

# kbuild reads M (external modules) from the environment
unset M
TOP=$(cd "$(dirname "$0")/.." && pwd)
export CACHE=${CACHE:-$HOME/.cache/vfio-series}
export TREE=${TREE:-$CACHE/linux}
MUT=$TOP/tests/mutations
PROVE_LOGS=${LOGS:-$TOP/logs}/prove
mkdir -p "$PROVE_LOGS"

git -C "$TREE" diff --quiet ||
	{ echo "prove-tests: $TREE has uncommitted changes"; exit 2; }
restore() { git -C "$TREE" checkout -q -- .; }
trap restore EXIT

if [ $# -gt 0 ]; then
	muts=()
	for n in "$@"; do muts+=("$MUT/${n%.patch}.patch"); done
else
	muts=("$MUT"/*.patch)
fi

# verdict WHERE SUMMARY FIRST: count and print the mutation's verdict,
# caught when FIRST (the first failure seen) is not empty; restore the tree.
verdict() {
	if [ -n "$3" ]; then
		caught=$((caught + 1))
		echo "caught  $name ($1, $((SECONDS - t0)) s): $2; $3"
	else
		missed=$((missed + 1))
		echo "MISSED  $name ($1, $((SECONDS - t0)) s): $2"
	fi
	restore
}

n=0 caught=0 missed=0 broken=0
for m in "${muts[@]}"; do
	name=$(basename "$m" .patch)
	guards=$(sed -n 's/^Guarded-by: *//p' "$m" | tr -d ' ')
	boot=$(sed -n 's/^Boot: *//p' "$m" | tr -d ' ')
	logs=$PROVE_LOGS/$name
	mkdir -p "$logs"
	n=$((n + 1))
	noiommu=0 build=()
	case "$boot" in
	'') ;;
	noiommu) noiommu=1 ;;
	bench) build=(env NAME=prove-bench FRAGS="$TOP/configs/vm.config $TOP/configs/bench.config $TREE/tools/testing/selftests/vfio/config") ;;
	s390) ;;
	*) echo "BROKEN  $name: unknown Boot: $boot (noiommu, bench, s390)"; broken=$((broken + 1)); continue ;;
	esac
	t0=$SECONDS
	if [ -z "$guards" ] || ! git -C "$TREE" apply "$m"; then
		echo "BROKEN  $name: no Guarded-by: line, or it does not apply"
		broken=$((broken + 1))
		continue
	fi
	# The s390x guest runs vfio_ccw_test and checks kmemleak and dmesg
	# itself: caught when one of its checks failed.
	if [ "$boot" = s390 ]; then
		O_S390=$CACHE/build/prove-s390 LOGS=$logs "$TOP/scripts/s390.sh" > "$logs/s390.out" 2>&1
		read -r p f < "$logs/s390.result" 2>/dev/null || p=0 f=0
		first=$(grep -m 1 '=== s390: FAIL\|^not ok' "$logs/s390-latest.log" 2>/dev/null | cut -c1-150)
		[ "${f:-0}" -gt 0 ] && first=${first:-"$f checks failed"} || first=
		verdict s390 "$p passed, $f failed" "$first"
		continue
	fi
	if ! "${build[@]}" "$TOP/scripts/build.sh" > "$logs/build.log" 2>&1; then
		echo "BROKEN  $name: the mutated tree does not build ($logs/build.log)"
		broken=$((broken + 1))
		restore
		continue
	fi
	NOIOMMU=$noiommu LOGS=$logs QUIET=1 "${build[@]}" "$TOP/scripts/vm.sh" check "$guards" > "$logs/vm.out" 2>&1
	[ "$boot" = bench ] && boot=	# its logs and expectations are the main boot's
	BOOT=${boot:-main} python3 "$TOP/scripts/results.py" "$logs/${boot:+$boot-}latest.log" "$TREE" \
		"$TOP/configs/expected" "$guards" > "$logs/results.txt" 2>&1
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/results.txt" | tail -n 1)
	# Caught: a case of a guarding test failed, KUnit failed, or the
	# kernel reported (KASAN, kmemleak, lockdep...). Not: a skip, a
	# suite that did not run, a VM that timed out without a report.
	pattern="^  FAIL: (${guards//,/|}): |^  SPLAT: |Testing complete\. [0-9]+ tests run\. ([1-9][0-9]* failed|[0-9]+ failed\. [1-9])"
	first=$(grep -E "$pattern" "$logs/results.txt" | head -n 1 | sed 's/^ *//' | cut -c1-150)
	verdict "$guards" "${summary:-no verdict}" "$first"
done
echo "$n mutations, $caught caught, $missed missed, $broken broken; logs in $PROVE_LOGS"
[ "$caught" = "$n" ]
