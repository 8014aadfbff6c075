#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The house rules that a compiler does not check, by folder:
#   lib/        no rte_*.h, no printf-family output, no logging
#   control/    no dataplane/ header
#   dataplane/  no control/ header
#   meson.build no source file of another top-level folder compiled, by
#               path or through a files() variable (link its library)
#   fast path   (fast_path_files.txt) no malloc/free, mutexes, printf,
#               logging, gettimeofday or sleeping
#   processes   no thread-local statics (state travels in sb_worker/sb_shard)
#   everywhere  no strcpy, strcat, sprintf, gets
# Prints every violation as file:line: rule, and fails if there is one.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bad=0

# check RULE REGEX FILES...: report lines of FILES matching REGEX.
check() {
	local rule=$1 re=$2
	shift 2
	[ $# -gt 0 ] || return 0
	local hits
	hits=$(grep -nE "$re" "$@" 2>/dev/null | grep -vE '^[^:]+:[0-9]+:\s*(\*|//|/\*)')
	if [ -n "$hits" ]; then
		echo "$hits" | sed "s|\$|   <- $rule|"
		bad=1
	fi
}

mapfile -t lib_files < <(find lib -name '*.[ch]' | sort)
mapfile -t ctl_files < <(find control -name '*.[ch]' | sort)
mapfile -t dp_files < <(find dataplane -name '*.[ch]' | sort)
mapfile -t all_files < <(find lib dataplane control perf tests -name '*.[ch]' 2>/dev/null | sort)
fast_files=()
while read -r glob; do
	case "$glob" in '#'* | '') continue ;; esac
	for f in $glob; do [ -f "$f" ] && fast_files+=("$f"); done
done < tests/lint/fast_path_files.txt

check "lib/ must not include DPDK" '#\s*include\s*[<"]rte_' "${lib_files[@]}"
check "lib/ never prints or logs" '\b(printf|fprintf|puts|fputs|perror|syslog)\s*\(' "${lib_files[@]}"
check "control/ must not include dataplane/" '#\s*include\s*".*dataplane/' "${ctl_files[@]}"
grep -v "^\s*#" control/meson.build | grep -q "dataplane" && { echo "control/meson.build: refers to dataplane/"; bad=1; }
check "dataplane/ must not include control/" '#\s*include\s*".*control/' "${dp_files[@]}"
grep -v "^\s*#" dataplane/meson.build | grep -q "control" && { echo "dataplane/meson.build: refers to control/"; bad=1; }
check "fast path: no heap" '\b(malloc|calloc|realloc|free|rte_malloc|rte_zmalloc|rte_free)\s*\(' "${fast_files[@]}"
check "fast path: no locks" '\b(pthread_mutex_\w+|pthread_rwlock_\w+|rte_spinlock_lock|sem_wait)\s*\(' "${fast_files[@]}"
check "fast path: no output or logging" '\b(printf|fprintf|puts|SB_LOG|RTE_LOG|rte_log)\s*\(' "${fast_files[@]}"
check "fast path: no sleeping or wall clock" '\b(sleep|usleep|nanosleep|gettimeofday|clock_gettime|time)\s*\(' "${fast_files[@]}"
mapfile -t proc_files < <(find dataplane control -name '*.[ch]' | sort)
check "per-lcore/per-shard state is passed explicitly, not thread-local" '\bstatic\s+(__thread|_Thread_local)\b' "${proc_files[@]}"
check "unbounded string copy" '\b(strcpy|strcat|sprintf|vsprintf|gets)\s*\(' "${all_files[@]}"

# Code is shared by library, not by source path (docs/ARCHITECTURE.md):
# a quoted path in a meson.build that leads into another top-level folder
# and names a source file, or a files() variable of another top-level
# folder, is compiling borrowed code.
top_of() { local p=${1#./}; echo "${p%%/*}"; }
mapfile -t meson_files < <(find lib dataplane control perf tests -name meson.build | sort)
for mf in "${meson_files[@]}"; do
	dir=$(dirname "$mf")
	while read -r lit; do
		target=$(realpath -m --relative-to=. "$dir/$lit")
		if [ "$(top_of "$target")" != "$(top_of "$mf")" ]; then
			echo "$mf: compiles $lit from $(top_of "$target")/   <- link its library instead"
			bad=1
		fi
	done < <(grep -v '^\s*#' "$mf" | grep -oE "'[^']*\.\./[^']*\.(c|cc|cpp|S)'" | tr -d "'")
done
declare -A var_top
while read -r mf var; do
	var_top[$var]=$(top_of "$mf")
done < <(grep -HoE '^\s*[a-z_0-9]+\s*=\s*files\(' "${meson_files[@]}" |
	 sed -E 's/:\s*([a-z_0-9]+).*/ \1/')
for var in "${!var_top[@]}"; do
	while IFS=: read -r mf _; do
		if [ "$(top_of "$mf")" != "${var_top[$var]}" ]; then
			echo "$mf: compiles ${var_top[$var]}/'s $var   <- link its library instead"
			bad=1
		fi
	done < <(grep -lwE "$var" "${meson_files[@]}" | sed 's/$/:/')
done

if [ $bad -ne 0 ]; then
	echo "check-tree: violations found (see above)"
	exit 1
fi
echo "check-tree: ${#lib_files[@]} lib, ${#ctl_files[@]} control, ${#dp_files[@]} dataplane, ${#fast_files[@]} fast-path, ${#meson_files[@]} meson files clean"
