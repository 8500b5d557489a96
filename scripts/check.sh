#!/usr/bin/env bash
# check.sh [TESTS]: the whole suite, stage by stage, each with a time budget
# (seconds) and its time printed. Ends with one "N passed, N failed" line
# that counts every test case and every gate; exits non-zero on any failure.
# With TESTS (comma-separated selftest binaries), only build, boot and run
# those (no gates, no s390 stage).
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
export CACHE=${CACHE:-$HOME/.cache/vfio-series}
export LOGS=${LOGS:-$TOP/logs}
TESTS=${1:-}
mkdir -p "$LOGS"
rm -f "$LOGS"/*.result
total=$SECONDS
pass=0 fail=0

stage() { # stage NAME BUDGET CMD...
	local name=$1 budget=$2 t0=$SECONDS rc
	shift 2
	echo "=== stage $name (budget ${budget}s)"
	timeout -k 10 "$budget" "$@"
	rc=$?
	[ $rc = 124 ] && echo "=== stage $name: OVER BUDGET (${budget}s)"
	echo "=== stage $name: $([ $rc = 0 ] && echo ok || echo "FAILED (rc $rc)") in $((SECONDS - t0))s"
	return $rc
}
count() { # count RESULTFILE or STAGE-RC: add "P F" from a result file, else one per stage
	local p f
	if [ -s "$1" ] && read -r p f < "$1" && [ -n "$p" ] && [ -n "$f" ]; then
		pass=$((pass + p)) fail=$((fail + f))
	elif [ -e "$1" ]; then
		fail=$((fail + 1))	# a result file with no counts: its stage broke
	elif [ "$2" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}

stage deps 900 "$TOP/scripts/deps.sh"; count none $?
stage tree 900 "$TOP/scripts/tree.sh"; rc=$?; count none $rc
if [ $rc = 0 ]; then
	stage export-check 120 "$TOP/scripts/export.sh" --check; count none $?
	if [ -z "$TESTS" ]; then
		stage gates 2400 "$TOP/scripts/gates.sh" all; rc=$?
		count "$LOGS/gates.result" $rc
	fi
	stage build 1800 "$TOP/scripts/build.sh"; rc=$?; count none $rc
	if [ $rc = 0 ]; then
		QUIET=1 stage vm $((2700 + ${STRESS_SECONDS:-0})) "$TOP/scripts/vm.sh" check "$TESTS"; count none $?
		stage results 120 python3 "$TOP/scripts/results.py" "$LOGS/latest.log" \
			"${TREE:-$CACHE/linux}" "$TOP/configs/expected" "$TESTS" | tee "$LOGS/results.txt"
		grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOGS/results.txt" | tail -n 1 |
			awk '{ print $1, $3 }' | tr -d , > "$LOGS/vm.result"
		count "$LOGS/vm.result" 1
		# The second boot: no IOMMU, vfio's noiommu mode, the regression
		# test's noiommu case (and the rest of that binary).
		if [ -z "$TESTS" ] || [[ ",$TESTS," = *,vfio_regression_test,* ]]; then
			NOIOMMU=1 QUIET=1 stage noiommu 900 "$TOP/scripts/vm.sh" check vfio_regression_test
			count none $?
			BOOT=noiommu stage noiommu-results 120 python3 "$TOP/scripts/results.py" \
				"$LOGS/noiommu-latest.log" "${TREE:-$CACHE/linux}" "$TOP/configs/expected" \
				vfio_regression_test | tee "$LOGS/noiommu-results.txt"
			grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOGS/noiommu-results.txt" | tail -n 1 |
				awk '{ print $1, $3 }' | tr -d , > "$LOGS/noiommu.result"
			count "$LOGS/noiommu.result" 1
		fi
	fi
	if [ -z "$TESTS" ]; then
		stage s390 1800 "$TOP/scripts/s390.sh"; rc=$?
		count "$LOGS/s390.result" $rc
	fi
fi
echo "=== total $((SECONDS - total))s; logs in $LOGS (serial log: $LOGS/latest.log)"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
