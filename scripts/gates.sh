#!/usr/bin/env bash
# gates.sh: the series gates, in a worktree of the kernel tree ($CACHE/gate)
# so the main tree's files keep their mtimes.
#  checkpatch: every patch, --strict (and codespell), no finding.
#  bisect:     every step base, patch 1, ..., patch N builds the objects the
#              series touches, for x86_64, arm64 and s390 (gate configs).
#  static:     W=1, sparse (C=2) and kernel-doc on the files the series
#              touches, at the tip against the base: no new finding.
#  stubs:      the tip builds the vfio objects for x86_64 with
#              CONFIG_VFIO_DEVICE_CDEV=n, i.e. with the header stubs.
# Writes logs/gates/*.log and prints one line per gate and a total.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$HOME/.cache/vfio-series}
TREE=${TREE:-$CACHE/linux}
GATE=$CACHE/gate
LOGS=${LOGS:-$TOP/logs}/gates
JOBS=${JOBS:-$(nproc)}
WHAT=${1:-all}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
export KBUILD_BUILD_USER=vfio KBUILD_BUILD_HOST=series KBUILD_BUILD_TIMESTAMP="2024-08-01"
# checkpatch's licence check runs "python": Debian's, with ply and git.
export PATH=/usr/bin:/bin:$PATH
mkdir -p "$LOGS"
pass=0 fail=0
ok() { echo "gate: PASS: $*"; pass=$((pass + 1)); }
ko() { echo "gate: FAIL: $*"; fail=$((fail + 1)); }

declare -A CROSS=([x86_64]="" [arm64]=aarch64-linux-gnu- [s390]=s390x-linux-gnu-)
declare -A OBJS=(
	[x86_64]="drivers/vfio/ samples/vfio-mdev/ arch/x86/kvm/ drivers/gpu/drm/i915/gvt/kvmgt.o drivers/base/"
	[arm64]="drivers/vfio/ drivers/bus/fsl-mc/"
	[s390]="drivers/vfio/ drivers/s390/cio/ drivers/s390/crypto/")
ARCHES=${ARCHES:-"x86_64 arm64 s390"}

kmake() { # kmake ARCH ARGS...
	local a=$1; shift
	make -s -C "$GATE" O="$CACHE/build/gate-$a" ARCH="$a" CROSS_COMPILE="${CROSS[$a]}" \
		CC="ccache ${CROSS[$a]}gcc" -j"$JOBS" "$@"
}

configure() { # configure ARCH: tinyconfig + configs/gate-ARCH.config, checked
	local a=$1 o=$CACHE/build/gate-$1 frag=$TOP/configs/gate-$1.config stamp
	stamp=$(sha256sum "$frag" | cut -c1-16)
	[ "$(cat "$o/.config.stamp" 2>/dev/null)" = "$stamp" ] && return 0
	mkdir -p "$o"
	kmake "$a" tinyconfig >/dev/null
	(cd "$GATE" && ARCH=$a scripts/kconfig/merge_config.sh -m -O "$o" "$o/.config" "$frag" >/dev/null)
	kmake "$a" olddefconfig >/dev/null
	"$TOP/scripts/check-config.sh" "$o/.config" "$frag" > "$LOGS/config-$a.log" ||
		{ cat "$LOGS/config-$a.log"; return 1; }
	echo "$stamp" > "$o/.config.stamp"
}

[ -d "$GATE/.git" ] || [ -f "$GATE/.git" ] || git -C "$TREE" worktree add -q --detach "$GATE" base
tip=$(git -C "$TREE" rev-parse HEAD)
mapfile -t commits < <(git -C "$TREE" rev-list --reverse base.."$tip")
echo "gates: ${#commits[@]} patches on base, tip ${tip:0:12}"

if [ "$WHAT" = all ] || [ "$WHAT" = checkpatch ]; then
	SECONDS=0
	n=0 bad=0
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		n=$((n + 1))
		# An exception is justified in the commit message, as
		# "checkpatch --strict reports TYPE ...": only that type is ignored.
		ignore=$(sed -n '/^---$/q; s/.*checkpatch --strict reports \([A-Z_][A-Z_]*\).*/\1/p' \
			"$TOP/patches/$p" | sort -u | paste -sd, -)
		[ -z "$ignore" ] || echo "  checkpatch: $p: ignores $ignore, as its commit message explains"
		if ! (cd "$TREE" && scripts/checkpatch.pl --strict --codespell \
			--codespellfile=/usr/lib/python3/dist-packages/codespell_lib/data/dictionary.txt \
			${ignore:+--ignore "$ignore"} \
			"$TOP/patches/$p") > "$LOGS/checkpatch-$p.log" 2>&1 ||
			! grep -q 'total: 0 errors, 0 warnings, 0 checks' "$LOGS/checkpatch-$p.log"; then
			bad=$((bad + 1))
			echo "  checkpatch: $p: $(grep '^total:' "$LOGS/checkpatch-$p.log")"
			grep -E '^(ERROR|WARNING|CHECK):' "$LOGS/checkpatch-$p.log" | head -n 5 | sed 's/^/    /'
		fi
	done < "$TOP/patches/series"
	if [ $bad = 0 ]; then ok "checkpatch --strict: $n patches clean (${SECONDS}s)"; else ko "checkpatch --strict: $bad of $n patches have findings (${SECONDS}s)"; fi
fi

touched() { git -C "$TREE" diff -M --name-only --diff-filter=AMR base "$tip" -- "$@"; }
# Files the series renames, "OLD NEW": the base's findings in OLD count
# as NEW's, so that a rename brings no finding that was there before.
mapfile -t RENAMES < <(git -C "$TREE" diff -M --name-status --diff-filter=R base "$tip" |
	awk '{ print $2, $3 }')
at_base() { # at_base PATH: the name PATH had at the base
	local r
	for r in "${RENAMES[@]}"; do
		[ "${r#* }" = "$1" ] && { echo "${r% *}"; return; }
	done
	echo "$1"
}
renamed_sed=(-e "")
for r in "${RENAMES[@]}"; do renamed_sed+=(-e "s#^${r% *}:#${r#* }:#"); done

if [ "$WHAT" = all ] || [ "$WHAT" = bisect ]; then
	for a in $ARCHES; do
		SECONDS=0
		git -C "$GATE" checkout -q --detach base
		configure "$a"
		bad=""
		for c in base "${commits[@]}"; do
			git -C "$GATE" checkout -q --detach "$c"
			name=$(git -C "$GATE" log -1 --format=%s "$c" | cut -c1-60)
			# shellcheck disable=SC2086
			if ! kmake "$a" ${OBJS[$a]} > "$LOGS/bisect-$a-${c:0:12}.log" 2>&1; then
				bad+=" ${c:0:12}"
				echo "  bisect: $a: does not build at ${c:0:12} $name (logs/gates/bisect-$a-${c:0:12}.log)"
				grep -m 5 -E 'error|Error' "$LOGS/bisect-$a-${c:0:12}.log" | sed 's/^/    /'
			fi
		done
		if [ -z "$bad" ]; then ok "bisect $a: base and ${#commits[@]} patches build ${OBJS[$a]} (${SECONDS}s)"
		else ko "bisect $a: broken at$bad (${SECONDS}s)"; fi
	done
fi

# findings ARCH REV OBJ...: W=1 + sparse + kernel-doc output for the touched
# files (only: W=1 also rebuilds prerequisites such as arm64's vdso),
# file:line:col stripped, each repeat numbered (so counts compare too).
findings() {
	local a=$1 rev=$2 o=$CACHE/build/gate-$1 objs=() f
	shift 2
	git -C "$GATE" checkout -q --detach "$rev"
	for f in "$@"; do
		[ "$rev" = base ] && f=$(at_base "${f%.o}.c") && f=${f%.c}.o
		[ -f "$GATE/${f%.o}.c" ] && objs+=("$f")
	done
	{
		if [ ${#objs[@]} -gt 0 ]; then
			(cd "$o" && rm -f "${objs[@]}")
			kmake "$a" W=1 C=2 "${objs[@]}" 2>&1 || true
		fi
		for f in $(touched '*.c' '*.h' | grep -v '^tools/'); do
			[ "$rev" = base ] && f=$(at_base "$f")
			[ -f "$GATE/$f" ] && (cd "$GATE" && scripts/kernel-doc -none "$f" 2>&1) || true
		done
	} | { grep -E 'warning|error' || true; } | sed -E "s#^($GATE|$o)/##; s#:[0-9]+(:[0-9]+)?:#:#" |
		sed "${renamed_sed[@]}" |
		{ grep -F -f <(touched '*.c' '*.h' | sed 's/$/:/') || true; } |
		sort | awk '{ c[$0]++; print $0 " #" c[$0] }' | sort
}

if [ "$WHAT" = all ] || [ "$WHAT" = static ]; then
	for a in $ARCHES; do
		SECONDS=0
		configure "$a"
		# Build the tip first so findings() knows which objects this arch has.
		git -C "$GATE" checkout -q --detach "$tip"
		# shellcheck disable=SC2086
		kmake "$a" ${OBJS[$a]} >/dev/null 2>&1 || true
		# The touched files this arch's gate config builds.
		objs=()
		for f in $(touched '*.c'); do
			# kbuild leaves a .cmd file for every object it built.
			[ -f "$CACHE/build/gate-$a/$(dirname "$f")/.$(basename "${f%.c}").o.cmd" ] &&
				objs+=("${f%.c}.o")
		done
		findings "$a" "$tip" "${objs[@]}" > "$LOGS/static-$a-tip.txt"
		findings "$a" base "${objs[@]}" > "$LOGS/static-$a-base.txt"
		comm -13 "$LOGS/static-$a-base.txt" "$LOGS/static-$a-tip.txt" > "$LOGS/static-$a-new.txt"
		if [ -s "$LOGS/static-$a-new.txt" ]; then
			ko "W=1/sparse/kernel-doc $a: $(wc -l < "$LOGS/static-$a-new.txt") new findings (${SECONDS}s)"
			head -n 10 "$LOGS/static-$a-new.txt" | sed 's/^/    /'
		else
			ok "W=1/sparse/kernel-doc $a: no new findings in touched files (base $(wc -l < "$LOGS/static-$a-base.txt"), tip $(wc -l < "$LOGS/static-$a-tip.txt")) (${SECONDS}s)"
		fi
	done
	git -C "$GATE" checkout -q --detach "$tip"
fi

if { [ "$WHAT" = all ] || [ "$WHAT" = stubs ]; } &&
	grep -q '^config VFIO_DEVICE_CDEV$' "$TREE/drivers/vfio/Kconfig"; then
	SECONDS=0
	configure x86_64
	o=$CACHE/build/gate-stubs
	mkdir -p "$o"
	git -C "$GATE" checkout -q --detach "$tip"
	cp "$CACHE/build/gate-x86_64/.config" "$o/.config"
	"$GATE/scripts/config" --file "$o/.config" --disable VFIO_DEVICE_CDEV
	stubs=(drivers/vfio/ drivers/vfio/pci/vfio_pci.o drivers/vfio/mdev/vfio_mdev.o
		samples/vfio-mdev/)
	if make -s -C "$GATE" O="$o" CC="ccache gcc" olddefconfig > "$LOGS/stubs.log" 2>&1 &&
		grep -q '^# CONFIG_VFIO_DEVICE_CDEV is not set' "$o/.config" &&
		make -s -C "$GATE" O="$o" CC="ccache gcc" -j"$JOBS" "${stubs[@]}" >> "$LOGS/stubs.log" 2>&1; then
		ok "stubs: x86_64 builds ${stubs[*]} with CONFIG_VFIO_DEVICE_CDEV=n (${SECONDS}s)"
	else
		ko "stubs: x86_64 does not build with CONFIG_VFIO_DEVICE_CDEV=n (logs/gates/stubs.log) (${SECONDS}s)"
		grep -m 5 -E 'error|Error' "$LOGS/stubs.log" | sed 's/^/    /'
	fi
fi

echo "gates: $pass passed, $fail failed"
echo "$pass $fail" > "$LOGS/../gates.result"
[ $fail = 0 ]
