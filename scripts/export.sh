#!/usr/bin/env bash
# Export the tree's commits (base..HEAD) to patches/ with git format-patch,
# and keep patches/series (its section comments stay where they are) and the
# cover letter's "0/N" and base-commit: in step. Output is stable: commit
# ids are zeroed and there is no signature, so an unchanged tree gives no
# diff. With --check, only compare: exit 1 when patches/ and the tree differ.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$HOME/.cache/vfio-series}
TREE=${TREE:-$CACHE/linux}
P=$TOP/patches
check=0
[ "${1:-}" = --check ] && check=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$TREE" -c core.abbrev=12 format-patch -q --zero-commit --no-signature --subject-prefix=PATCH \
	-o "$tmp" base..HEAD
n=$(find "$tmp" -name '*.patch' | wc -l)

listed() { [ -f "$P/series" ] && grep -v -e '^#' -e '^[[:space:]]*$' "$P/series" || true; }

if [ $check = 1 ]; then
	bad=0
	diff <(listed) <(cd "$tmp" && ls | sort) >/dev/null || { echo "export: patches/series and the tree list different patches"; bad=1; }
	for f in "$tmp"/*.patch; do
		[ -e "$f" ] || continue
		cmp -s "$f" "$P/$(basename "$f")" || { echo "export: $(basename "$f") differs from the tree"; bad=1; }
	done
	for f in "$P"/[0-9]*.patch; do
		[ -e "$f" ] || continue
		case $(basename "$f") in 0000-cover-letter.patch) continue ;; esac
		[ -e "$tmp/$(basename "$f")" ] || { echo "export: $(basename "$f") is not in the tree"; bad=1; }
	done
	[ $bad = 0 ] && echo "export: patches/ matches the tree ($n patches)"
	exit $bad
fi

mkdir -p "$P"
for f in "$P"/[0-9]*.patch; do
	[ -e "$f" ] || continue
	case $(basename "$f") in 0000-cover-letter.patch) ;; *) [ -e "$tmp/$(basename "$f")" ] || rm -f "$f" ;; esac
done
for f in "$tmp"/*.patch; do
	cmp -s "$f" "$P/$(basename "$f")" || cp "$f" "$P/"
done

# Rewrite series: a patch keeps the line of the old entry with the same
# subject slug (so section comments stay put); a new one goes right after
# the patch before it.
python3 - "$P/series" "$tmp" <<'PY'
import os, re, sys
series, tmp = sys.argv[1], sys.argv[2]
new = sorted(f for f in os.listdir(tmp) if f.endswith('.patch'))
slug = lambda f: re.sub(r'^\d{4}-', '', f)
old = open(series).read().splitlines() if os.path.exists(series) else []
byslug = {slug(f): f for f in new}
out, placed = [], set()
for line in old:
    if not line.strip() or line.startswith('#'):
        out.append(line)
    elif slug(line.strip()) in byslug:
        f = byslug[slug(line.strip())]
        out.append(f)
        placed.add(f)
for i, f in enumerate(new):
    if f in placed:
        continue
    at = len(out)
    if i > 0 and new[i - 1] in out:
        at = out.index(new[i - 1]) + 1
    out.insert(at, f)
    placed.add(f)
text = '\n'.join(out) + '\n'
if not os.path.exists(series) or open(series).read() != text:
    open(series, 'w').write(text)
PY

cover=$P/0000-cover-letter.patch
if [ -f "$cover" ]; then
	basec=$(git -C "$TREE" rev-parse base)
	sed -i -e "s|^\(Subject: \[PATCH\) 0*/[0-9]*\]|\1 0/$n]|" \
		-e "s|^base-commit: .*|base-commit: $basec|" "$cover"
	# The shortlog: from the first "Author (N):" line up to base-commit.
	git -C "$TREE" shortlog -w72,2,4 base..HEAD > "$tmp/shortlog"
	python3 - "$cover" "$tmp/shortlog" <<'PY'
import re, sys
cover, short = sys.argv[1], open(sys.argv[2]).read()
s = open(cover).read()
m = re.search(r'^\S.* \(\d+\):\n(?:.*\n)*?(?=base-commit:)', s, re.M)
if m:
    s = s[:m.start()] + short + s[m.end():]
    open(cover, 'w').write(s)
PY
fi
echo "export: $n patches in patches/"
