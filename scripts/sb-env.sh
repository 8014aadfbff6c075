# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the instance scripts: one place for names and defaults.
SB_NS=${SB_NS:-sb0}
SB_PREFIX=${SB_PREFIX:-sb}
SB_RUN=${SB_RUN:-/run/switchboard}
SB_TAP=${SB_TAP:-sbtap0}
SB_CONF=${SB_CONF:-$top/etc/switchboard.conf}
SB_BUILD=${SB_BUILD:-$top/build}
SB_HOST_IP=${SB_HOST_IP:-198.18.0.1}
SB_GW_IP=${SB_GW_IP:-198.18.0.2}
SB_DOMAIN=${SB_DOMAIN:-switchboard.test}

sb_bin() {
	case "$1" in
	sb-dataplane) echo "$SB_BUILD/dataplane/sb-dataplane" ;;
	sb-control | sbctl) echo "$SB_BUILD/control/$1" ;;
	*) echo "$SB_BUILD/$1" ;;
	esac
}

# sb_wait SECONDS COMMAND PIDFILE: retry COMMAND every 0.2 s until it
# succeeds; give up early if the process in PIDFILE has exited.
sb_wait() {
	local deadline=$((SECONDS + $1)) pid
	while [ $SECONDS -lt $deadline ]; do
		if eval "$2" >/dev/null 2>&1; then
			return 0
		fi
		pid=$(cat "$3" 2>/dev/null || true)
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.2
	done
	return 1
}
