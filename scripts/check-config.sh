#!/usr/bin/env bash
# check-config.sh CONFIG FRAGMENT...: fail if an option a fragment asks for
# is not in the final .config with that value (olddefconfig drops options
# whose dependencies are missing, silently).
set -euo pipefail
cfg=$1; shift
bad=0
for frag in "$@"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$cfg" || { echo "config: $frag asks for $line, final .config has: $(grep -E "^(# )?${line%%=*}[= ]" "$cfg" || echo nothing)"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			! grep -q "^$opt=" "$cfg" || { echo "config: $frag wants $opt unset, final .config sets it"; bad=1; } ;;
		esac
	done < "$frag"
done
[ $bad = 0 ] || { echo "config: requested options missing from the final .config (see above)"; exit 1; }
echo "config: every requested option is in the final .config"
