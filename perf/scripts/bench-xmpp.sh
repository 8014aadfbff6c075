#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# XMPP benchmarks of the gateway with sb-loadgen over memif, both on this
# box: sb-dataplane (memif server, c2s on xmpp.c2s_port 5222, main lcore on
# core 0, worker on core 1) with sb-control attached (its store under the run
# folder), the accounts u0..uN-1 created through sbctl before the run (not
# timed), then sb-loadgen (memif client, core 0) speaking c2s XMPP. Every
# process is stopped by its PID; the prefixes' hugepage and runtime files and
# the store are removed, also on failure.
#
# usage: bench-xmpp.sh login|msg|overload [-s section.key=value]...
#   login  LG_CONNS [2000] connections at LG_RATE [500]/s, each logs in
#          (XMPP_MECH [SCRAM-SHA-1] or PLAIN), binds, sends initial presence,
#          is held LG_HOLD_S [5] s with a whitespace keepalive every
#          XMPP_KEEPALIVE_S [20] s and closed with </stream:stream>: logins/s
#          and login latency; with every session bound, the memory of both
#          gateway processes (hugepages mapped, VmRSS) and of the loadgen,
#          and bytes per session from those
#   msg    LG_CONNS [200] connections as LG_CONNS/2 pairs log in, then send
#          XMPP_MSG_RATE [2000] chat messages/s in all for LG_HOLD_S [10] s:
#          delivered/s, end-to-end latency percentiles, loss
#   overload  the sustainable rate R (XMPP_RATE_R, or measured: a 5 s msg
#          run offered XMPP_PROBE_RATE [300000]/s, R = what it delivered, at
#          most XMPP_RATE_R_MAX [100000], what one loadgen core can carry 3x),
#          then 3 x R offered for LG_HOLD_S [60] s and a drain of at most
#          XMPP_DRAIN_MS [60000] ms: offered and delivered rates, latency
#          while overloaded, then lost, bounced (by condition), out of
#          order, duplicated; ok only with none of those
#   flood  established sessions under a TLS handshake flood (issue 16 item
#          5): LG_CONNS [200] connections as pairs over XMPP_TLS [starttls]
#          send XMPP_MSG_RATE [2000] messages/s for LG_HOLD_S [10] s, once
#          per level of FLOOD_RATES ["0 500 1000 2000 max"]: 0 is the pairs
#          alone; N adds a flood of direct-TLS connections opened at N/s in
#          the same loadgen process, each doing one full handshake and reset
#          (loadgen.tls_flood), at most FLOOD_CONC [64] at once; max opens
#          as fast as FLOOD_CONC allows, up to FLOOD_MAX [200000] in all.
#          FLOOD_MODE [full]: full handshakes, or hello (one replayed
#          ClientHello each, answered by the server's whole flight: no
#          client crypto, so the flood can saturate the worker).
#          Per level: the pairs' latency p50/p99/max and loss, the flood's
#          handshakes/s, and the gateway's worker busy share and handshake
#          counters over the run (budget, steps deferred, refused at the cap)
#   mem    the gateway's heap with c2s off and on at two tcp.max_conns:
#          bytes per connection slot of the XMPP pools
#   -s     further overrides for sb-loadgen
# With XMPP_ROSTER_CONTACTS=C (login, msg): the accounts come from
#   perf/bench/im/seed_roster (through the store interface, before sb-control
#   starts, written under SB_SEED_TMP [/dev/shm] and copied; one set of
#   credentials for all, so the loadgen derives SCRAM keys once) with a roster of C contacts subscribed both ways each (C even, 0:
#   accounts only, the baseline), and every login fetches its roster, waits for
#   it, sends initial presence and ends when that presence is reflected
#   (loadgen.xmpp_roster): login latency then covers the roster and the
#   broadcast to online contacts; the summary adds roster_items, presence_rx.
# Environment: SB_BUILD [build], XMPP_USERS [LG_CONNS] (accounts; with fewer
#   than the connections, logins cycle through them and SCRAM's client keys
#   are cached per user), SB_BENCH_RUN [/run/sb-bench-xmpp], SB_BENCH_HUGE_MB
#   [1024], GW_MAX_CONNS [65536], MEMIF_RSIZE [12], XMPP_TLS [off] (starttls:
#   STARTTLS on 5222, direct: XEP-0368 on 5223; the gateway gets a dev
#   certificate, xmpp.tls=required, and the loadgen verifies it), GW_EXTRA, CTL_EXTRA (more overrides, space
#   separated), SB_IT_TAG (suffix of the prefixes and the run folder). The
#   loadgen gets LG_CONNS / 64512 source addresses, rounded up. Exits
#   non-zero when the loadgen's run failed.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:-}
[ $# -gt 0 ] && shift
case "$mode" in
login | msg | overload | mem | flood) ;;
*) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "bench-xmpp: must run as root (hugepages)" >&2; exit 1; }

build=${SB_BUILD:-$top/build}
# SB_IT_TAG keeps two checkouts' runs apart (prefixes, run folder, memif socket).
tag=${SB_IT_TAG:-}
run=${SB_BENCH_RUN:-/run/sb-bench-xmpp$tag}
prefix=sbbenchx$tag
lg_prefix=sbbenchxlg$tag
memif="socket=$run/memif.sock,rsize=${MEMIF_RSIZE:-12}"
gw_ip=198.18.0.1
domain=switchboard.test
password=bench-pw
mech=${XMPP_MECH:-SCRAM-SHA-1}
xmpp_tls=${XMPP_TLS:-off}
[ "$mode" = flood ] && xmpp_tls=${XMPP_TLS:-starttls}
if [ "$mode" = login ]; then
	conns=${LG_CONNS:-2000}
	hold_s=${LG_HOLD_S:-5}
elif [ "$mode" = overload ]; then
	conns=${LG_CONNS:-200}
	hold_s=${LG_HOLD_S:-60}
else
	conns=${LG_CONNS:-200}
	hold_s=${LG_HOLD_S:-10}
fi
users=${XMPP_USERS:-$conns}
rate=${LG_RATE:-500}
msg_rate=${XMPP_MSG_RATE:-2000}
drain_ms=${XMPP_DRAIN_MS:-60000}
keepalive_s=${XMPP_KEEPALIVE_S:-20}
# Connection k uses source address k / 64512 (ports 1024..65535 on each).
src_count=$(( (conns + 64511) / 64512 ))
huge=${SB_BENCH_HUGE_MB:-1024}
# SYN cookies only past the table size: the ordinary open path is measured.
gw_max=${GW_MAX_CONNS:-65536}

roster_contacts=${XMPP_ROSTER_CONTACTS:-}
seed=$build/perf/bench/im/seed_roster
for b in "$build/dataplane/sb-dataplane" "$build/control/sb-control" "$build/control/sbctl" \
	 "$build/perf/loadgen/sb-loadgen" ${roster_contacts:+"$seed"}; do
	[ -x "$b" ] || { echo "bench-xmpp: $b not built (run make)" >&2; exit 1; }
done
"$top/scripts/hugepages.sh" "$huge"

mkdir -p "$run"
. "$top/perf/scripts/bench-lib.sh"
seed_dir=""
trap 'bench_cleanup; [ -z "$seed_dir" ] || rm -rf "$seed_dir"' EXIT

# Limits meant for clients on the Internet would measure themselves here
# (one source address, thousands of logins, hundreds of sessions per
# account, 100 KB/s per connection): the per-address connection rate, the
# per-connection shaper, failed-login bans, resources per account are lifted
# when this build has them (sb-dataplane -p lists its keys).
lifts=()
known=$("$build/dataplane/sb-dataplane" -p 2>/dev/null || true)
for kv in xmpp.conn_rate_per_addr=1000000 xmpp.conn_burst_per_addr=65535 \
	  xmpp.shaper_bytes_per_s=1073741824 xmpp.shaper_burst_bytes=1073741824 \
	  xmpp.ban_after_failures=1000000 control.max_resources=1000; do
	if grep -q "^${kv%%=*} = " <<<"$known"; then lifts+=(-s "$kv"); fi
done
gw_extra=("${lifts[@]}")
lg_tls=(-s "loadgen.xmpp_tls=$xmpp_tls")
dport=5222
case "$xmpp_tls" in
off) gw_extra+=(-s xmpp.tls=off -s xmpp.plain_without_tls=true) ;;
starttls | direct)
	ca=$("$top/scripts/tls-dev-ca.sh" "$run/tls" "$domain" | tail -1)
	gw_extra+=(-s xmpp.tls=required -s "tls.cert_dir=$run/tls"
		-s "tls.handshakes_per_worker=${GW_TLS_HS:-4096}")
	lg_tls+=(-s "loadgen.xmpp_tls_ca=$ca")
	[ "$xmpp_tls" = direct ] && dport=5223
	;;
*) echo "bench-xmpp: XMPP_TLS is off, starttls or direct" >&2; exit 2 ;;
esac
for kv in ${GW_EXTRA:-}; do gw_extra+=(-s "$kv"); done
ctl_extra=("${lifts[@]}")
for kv in ${CTL_EXTRA:-}; do ctl_extra+=(-s "$kv"); done
# gw_start [-s key=value]...: the gateway, running when this returns.
gw_start() {
	"$build/dataplane/sb-dataplane" -s "eal.file_prefix=$prefix" -s eal.lcores=0-1 \
		-s "port0.vdev=net_memif0,role=server,$memif" -s "port0.ipv4=$gw_ip/15" \
		-s xmpp.c2s_port=5222 -s "xmpp.domain=$domain" -s "dataplane.pidfile=$run/gw.pid" \
		-s "tcp.max_conns=$gw_max" -s "tcp.syn_cookie_threshold=$gw_max" \
		"${gw_extra[@]}" "$@" >"$run/gw.log" 2>&1 </dev/null &
	gw_pid=$!
	for i in $(seq 150); do
		grep -q 'sb.main: running' "$run/gw.log" && break
		kill -0 "$gw_pid" 2>/dev/null || { cat "$run/gw.log" >&2; exit 1; }
		sleep 0.2
	done
	grep -q 'sb.main: running' "$run/gw.log" ||
		{ echo "bench-xmpp: gateway did not start" >&2; exit 1; }
}

# mem: the gateway's hugepage heap in use (telemetry /eal/heap_info) with
# c2s off and on, at two table sizes: the slope of the difference is what
# the XMPP pools (xc_conn, JID) cost per connection slot; the per-lcore
# buffers and the login-time pools (auth contexts, partial stanzas) are the
# constant part.
if [ "$mode" = mem ]; then
	heap() {
		echo /eal/heap_info,0 | timeout 10 dpdk-telemetry.py -f "$prefix" 2>/dev/null |
			tail -n 1 | /usr/bin/python3 -c \
			'import json, sys; print(json.load(sys.stdin)["/eal/heap_info"]["Alloc_size"])'
	}
	declare -A h
	for n in 65536 262144; do
		for p in 0 5222; do
			gw_max=$n
			gw_start -s "xmpp.c2s_port=$p"
			h[$n,$p]=$(heap)
			stop_pid "$gw_pid"
			gw_pid=""
			echo "gateway heap: tcp.max_conns=$n xmpp.c2s_port=$p: ${h[$n,$p]} bytes"
		done
	done
	awk -v a="${h[65536,0]}" -v b="${h[65536,5222]}" -v c="${h[262144,0]}" \
		-v d="${h[262144,5222]}" 'BEGIN { s = ((d - c) - (b - a)) / (262144 - 65536);
		printf "XMPP per connection slot: %.1f bytes; fixed: %.0f bytes; TCP per slot: " \
		"%.1f bytes\n", s, (b - a) - s * 65536, (c - a) / (262144 - 65536) }'
	exit 0
fi

gw_start
rm -rf "$run/store"
mkdir -p "$run/store"
# ctl_key KEY DEFAULT: a key's value in CTL_EXTRA (the seed must open the
# store with sb-control's shard count and map size).
ctl_key() {
	local kv v=$2
	for kv in ${CTL_EXTRA:-}; do [ "${kv%%=*}" = "$1" ] && v=${kv#*=}; done
	echo "$v"
}
if [ -n "$roster_contacts" ]; then
	# Accounts and rosters (not timed in the figures), written on tmpfs
	# (an account is one synchronous commit: 100,000 fsyncs would take
	# minutes on the disk) and copied to where sb-control opens them.
	seed_dir=${SB_SEED_TMP:-/dev/shm}/sb-seed$tag
	rm -rf "$seed_dir"
	t0=$(date +%s.%N)
	echo "$password" | "$seed" "$seed_dir" "$(ctl_key control.shards 1)" \
		"$(ctl_key store.map_mb 1024)" "$domain" u "$users" "$roster_contacts" ||
		{ rm -rf "$seed_dir"; echo "bench-xmpp: seed_roster failed" >&2; exit 1; }
	cp -a "$seed_dir/." "$run/store/" && sync -f "$run/store"
	rm -rf "$seed_dir"
	echo "store seeded in $(awk -v a="$t0" -v b="$(date +%s.%N)" \
		'BEGIN { printf "%.1f", b - a }') s: $(du -sh "$run/store" | cut -f1)"
	set -- -s loadgen.xmpp_roster=true "$@"
fi
"$build/control/sb-control" -s "eal.file_prefix=$prefix" -s "control.socket=$run/sb.sock" \
	-s "store.path=$run/store" -s "xmpp.domain=$domain" "${ctl_extra[@]}" \
	>"$run/control.log" 2>&1 </dev/null &
ctl_pid=$!
sbctl=("$build/control/sbctl" -S "$run/sb.sock")
for i in $(seq 100); do
	"${sbctl[@]}" ping >/dev/null 2>&1 && break
	kill -0 "$ctl_pid" 2>/dev/null || { cat "$run/control.log" >&2; exit 1; }
	sleep 0.2
done
"${sbctl[@]}" ping >/dev/null 2>&1 || { echo "bench-xmpp: sb-control did not answer" >&2; exit 1; }

# The accounts (two PBKDF2 runs each in sb-control): not part of the figures.
t0=$(date +%s.%N)
for i in $(seq 0 $((users - 1))); do
	[ -n "$roster_contacts" ] && break # seeded above
	echo "$password" | "${sbctl[@]}" user add "u$i" - >/dev/null ||
		{ echo "bench-xmpp: sbctl user add u$i failed" >&2; exit 1; }
done
[ -n "$roster_contacts" ] || echo "accounts: $users created in $(awk -v a="$t0" -v b="$(date +%s.%N)" \
	'BEGIN { printf "%.1f", b - a }') s (not timed in the figures)"

kb_of() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
sessions() { "${sbctl[@]}" status | awk '/^xmpp shard/ { s += $7 } END { print s + 0 }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# mem_snap NAME: hugepages mapped (HugetlbPages: the gateway's whole DPDK
# memory, which sb-control maps too and is counted once) and VmRSS of each
# process, in kB, into mem_NAME_*; the box's HugePages_Total - Free as well.
mem_snap() {
	local n=$1
	eval "mem_${n}_gwhuge=$(kb_of "$gw_pid" HugetlbPages)"
	eval "mem_${n}_gwrss=$(kb_of "$gw_pid" VmRSS)"
	eval "mem_${n}_ctlrss=$(kb_of "$ctl_pid" VmRSS)"
	eval "mem_${n}_ctlanon=$(kb_of "$ctl_pid" RssAnon)"
	eval "mem_${n}_ctlfile=$(( $(kb_of "$ctl_pid" RssFile) + $(kb_of "$ctl_pid" RssShmem) ))"
	eval "mem_${n}_box=$(awk '/^HugePages_Total/ { t = $2 } /^HugePages_Free/ { f = $2 }
		/^Hugepagesize/ { s = $2 } END { print (t - f) * s }' /proc/meminfo)"
}
# mem_report N: the figures with N sessions bound against those before the logins.
mem_report() {
	local n=$1 lghuge=0 lgrss=0
	mem_snap held
	if [ -n "$lg_pid" ] && kill -0 "$lg_pid" 2>/dev/null; then
		lghuge=$(kb_of "$lg_pid" HugetlbPages)
		lgrss=$(kb_of "$lg_pid" VmRSS)
	fi
	awk -v n="$n" -v gh0="$mem_idle_gwhuge" -v gh1="$mem_held_gwhuge" \
	    -v gr0="$mem_idle_gwrss" -v gr1="$mem_held_gwrss" -v cr0="$mem_idle_ctlrss" \
	    -v cr1="$mem_held_ctlrss" -v b0="$mem_idle_box" -v b1="$mem_held_box" \
	    -v lh="$lghuge" -v lr="$lgrss" -v ca0="$mem_idle_ctlanon" -v ca1="$mem_held_ctlanon" \
	    -v cf0="$mem_idle_ctlfile" -v cf1="$mem_held_ctlfile" 'BEGIN {
		printf "memory with %d sessions bound (kB; before the logins -> now):\n", n
		printf "  sb-dataplane hugepages mapped  %10d -> %10d\n", gh0, gh1
		printf "  sb-dataplane VmRSS             %10d -> %10d\n", gr0, gr1
		printf "  sb-control VmRSS               %10d -> %10d\n", cr0, cr1
		printf "    of which anonymous (heap)    %10d -> %10d\n", ca0, ca1
		printf "    of which files (store map)   %10d -> %10d\n", cf0, cf1
		printf "  box hugepages in use (all)     %10d -> %10d\n", b0, b1
		printf "  sb-loadgen hugepages %d, VmRSS %d (not the gateway'"'"'s)\n", lh, lr
		t = gh1 + gr1 + cr1; d = (gh1 - gh0) + (gr1 - gr0) + (cr1 - cr0)
		printf "  gateway total %.1f MiB = %.0f bytes per session, everything counted " \
		       "(pools sized at start included); growth with the logins %.0f bytes per " \
		       "session; sb-control alone %.0f bytes per session of growth\n",
		       t / 1024, t * 1024 / n, d * 1024 / n, (cr1 - cr0) * 1024 / n }'
}

# run_loadgen MODE RATE HOLD_S [-s k=v]...: one loadgen run in the background.
run_loadgen() {
	local m=$1 r=$2 h=$3
	shift 3
	"$build/perf/loadgen/sb-loadgen" -s "loadgen.file_prefix=$lg_prefix" \
		-s "loadgen.vdev=net_memif0,role=client,$memif" -s "loadgen.dst_ip=$gw_ip/15" \
		-s loadgen.lcores=0@0 -s "loadgen.dst_port=$dport" -s "loadgen.mode=xmpp-$m" \
		-s "loadgen.conns=$conns" -s "loadgen.rate=$rate" -s "loadgen.hold_s=$h" \
		-s "loadgen.xmpp_users=$users" -s "loadgen.xmpp_mech=$mech" \
		-s "loadgen.xmpp_domain=$domain" -s "loadgen.xmpp_password=$password" \
		-s "loadgen.xmpp_msg_rate=$r" -s "loadgen.src_count=$src_count" \
		-s "loadgen.xmpp_keepalive_s=$keepalive_s" \
		-s "loadgen.close_s=$((2 * conns / rate + 10))" \
		-s "loadgen.duration_s=$((4 * conns / rate + h + drain_ms / 1000 + 60))" \
		"${lg_tls[@]}" "$@" \
		>"$run/lg.log" 2>&1 </dev/null &
	lg_pid=$!
}
summary_val() { sed -n 's/^summary:.* '"$1"'=\([^ ]*\).*/\1/p' "$run/lg.log"; }

lg_mode=$mode
lg_rate=$msg_rate
if [ "$mode" = overload ]; then
	# R: given, or what a short overloaded run delivered (not part of the figures).
	r=${XMPP_RATE_R:-}
	if [ -z "$r" ]; then
		# Its own source addresses: the measured run's tuples must not
		# meet connections the gateway still holds from the probe.
		run_loadgen msg "${XMPP_PROBE_RATE:-300000}" 5 -s loadgen.xmpp_drain_ms=10000 \
			-s "tcp.snd_queue_max=${LG_SNDQ:-16384}" -s loadgen.src_ip=198.19.128.1/15 "$@"
		wait "$lg_pid" || true
		lg_pid=""
		for i in $(seq 300); do [ "$(sessions)" -eq 0 ] && break; sleep 0.2; done
		r=$(summary_val xmsg_per_s)
		cp "$run/lg.log" "$run/lg-probe.log"
		echo "probe: $(grep '^summary:' "$run/lg.log" | tr ' ' '\n' |
			grep -E '^(offered_per_s|xmsg_per_s|lost|unsent|bounced|bounced_by|result)=' |
			tr '\n' ' ')(log: $run/lg-probe.log)"
		[ -n "$r" ] && [ "${r%.*}" -gt 0 ] ||
			{ echo "bench-xmpp: probe run delivered nothing" >&2; grep -v '^EAL' "$run/lg.log" >&2; exit 1; }
	fi
	# One loadgen core both offers 3 x R and reads everything delivered:
	# past about 300,000/s in all it becomes the slow reader the gateway
	# closes (docs/BENCHMARKS.md), so a measured R is capped.
	r_max=${XMPP_RATE_R_MAX:-100000}
	[ -z "${XMPP_RATE_R:-}" ] && [ "${r%.*}" -gt "$r_max" ] && r=$r_max
	lg_rate=$(( ${r%.*} * 3 ))
	lg_mode=msg
	echo "overload: R = ${r%.*} msgs/s sustainable; offering 3 x R = $lg_rate msgs/s for" \
	     "$hold_s s, then a drain of at most $drain_ms ms"
	# The loadgen's send queues stay below what its memif ring and pool
	# hold (200 x 16 KiB), so the gateway, not the loadgen, is what is full.
	set -- -s "loadgen.xmpp_drain_ms=$drain_ms" -s "tcp.snd_queue_max=${LG_SNDQ:-16384}" "$@"
fi

if [ "$mode" = flood ]; then
	# ctr NAME: a worker counter summed over the workers (sbctl status).
	ctr() { "${sbctl[@]}" status 2>/dev/null | awk -v n="$1" '$1 == n { s += $2 } END { printf "%.0f\n", s }'; }
	names="hs_done_13 hs_resumed hs_refused_cap xmpp_tls_refused_cap xmpp_tls_hs_deferred
		xmpp_tls_hs_budget_turns xmpp_tls_hs_failed xmpp_tls_hs_tsc xmpp_tls_started busy_tsc
		idle_tsc"
	fc=${FLOOD_CONC:-64}
	k=0
	for lvl in ${FLOOD_RATES:-0 500 1000 2000 max}; do
		k=$((k + 1))
		declare -A c0=()
		for n in $names; do c0[$n]=$(ctr "$n"); done
		fl=()
		if [ "$lvl" = max ]; then
			fl=(-s "loadgen.tls_flood=${FLOOD_MAX:-200000}" -s loadgen.tls_flood_rate=0)
		elif [ "$lvl" != 0 ]; then
			fl=(-s "loadgen.tls_flood=$((lvl * hold_s))" -s "loadgen.tls_flood_rate=$lvl")
		fi
		# Each level's pairs on source addresses of their own: the
		# gateway may still hold the last level's tuples.
		run_loadgen msg "$msg_rate" "$hold_s" -s "loadgen.src_ip=198.19.$k.1/15" \
			-s "loadgen.tls_flood_conc=$fc" -s "loadgen.tls_flood_mode=${FLOOD_MODE:-full}" \
			"${fl[@]}" "$@"
		wait "$lg_pid" || true
		lg_pid=""
		for i in $(seq 300); do [ "$(sessions)" -eq 0 ] && break; sleep 0.2; done
		sleep 0.3 # the worker publishes its counters every 100 ms
		cp "$run/lg.log" "$run/lg-flood-$lvl.log"
		declare -A d=()
		for n in $names; do d[$n]=$(( $(ctr "$n") - ${c0[$n]} )); done
		v() { summary_val "$1"; }
		printf 'flood %-5s pairs: %s msgs/s lost %s p50 %s us p99 %s us max %s us (%s) | ' \
			"$lvl" "$(v xmsg_per_s)" "$(v lost)" "$(v lat_us_p50)" "$(v lat_us_p99)" \
			"$(v lat_us_max)" "$(v result)"
		printf 'flood: done %s at %s/s (p50 %s ms), refused %s, failed %s | ' \
			"$(v flood_done)" "$(v flood_per_s)" "$(v flood_hs_ms_p50)" "$(v flood_refused)" \
			"$(v flood_failed)"
		awk -v b="${d[busy_tsc]}" -v i="${d[idle_tsc]}" -v h="${d[xmpp_tls_hs_tsc]}" \
		    -v n="${d[xmpp_tls_started]}" -v hz="$(awk '/^cpu MHz/ { print $4 * 1e6; exit }' /proc/cpuinfo)" 'BEGIN {
			printf "worker busy %.0f%%, in handshakes %.0f%% (%.0f us each of %d begun) | ",
				(b + i > 0 ? 100 * b / (b + i) : 0), (b + i > 0 ? 100 * h / (b + i) : 0),
				(n > 0 ? h / n / hz * 1e6 : 0), n }'
		echo "gateway: hs_done_13 ${d[hs_done_13]} refused_cap ${d[xmpp_tls_refused_cap]}" \
			"hs_deferred ${d[xmpp_tls_hs_deferred]} budget_turns ${d[xmpp_tls_hs_budget_turns]}" \
			"hs_failed ${d[xmpp_tls_hs_failed]} wait_peak $(ctr xmpp_tls_hs_wait_peak)"
	done
	echo "loadgen logs: $run/lg-flood-*.log"
	exit 0
fi

mem_snap idle
cg0=$(cpu_ticks "$gw_pid")
cc0=$(cpu_ticks "$ctl_pid")
run_loadgen "$lg_mode" "$lg_rate" "$hold_s" "$@"
t0=$(date +%s.%N)
# While held: sessions bound in sb-control, and the memory of everything.
for i in $(seq $(( (4 * conns / rate + hold_s + 60) * 5 ))); do
	grep -q '^summary:' "$run/lg.log" && break
	kill -0 "$lg_pid" 2>/dev/null || break
	# Every connection settled (the loadgen's "settled:" line): the
	# sessions bound now are what the hold keeps.
	if grep -q '^settled:' "$run/lg.log"; then
		n=$(sessions)
		[ "$mode" = login ] && [ "$n" -gt 0 ] && mem_report "$n"
		break
	fi
	sleep 0.2
done
rc=0
wait "$lg_pid" || rc=$?
lg_pid=""
t1=$(date +%s.%N)
cg1=$(cpu_ticks "$gw_pid")
cc1=$(cpu_ticks "$ctl_pid")
awk -v g="$((cg1 - cg0))" -v c="$((cc1 - cc0))" -v hz="$(getconf CLK_TCK)" -v a="$t0" \
	-v b="$t1" 'BEGIN { printf "CPU over the run (%.1f s wall): sb-dataplane %.2f s, " \
	"sb-control %.2f s\n", b - a, g / hz, c / hz }'
grep -v '^EAL' "$run/lg.log"
if [ "$mode" = overload ]; then
	grep '^summary:' "$run/lg.log" | tr ' ' '\n' | grep -E '^(offered_per_s|xmsg_per_s|lat_us_p50|lat_us_p99|lat_us_p999|lat_us_max|xmsgs_tx|unsent|xmsgs_rx|drain_msgs|drain_ms_p99|lost|bounced|bounced_by|reorder|dup|gaps|blocked_sends|throttled_turns|rx_first_turns|tx_full|mbuf_fail|send_err|result)=' |
		sed 's/^/  /'
fi
if [ "$mode" != login ]; then
	echo "gateway counters after the run:"
	"${sbctl[@]}" status 2>/dev/null | grep -oE '(xmpp_ctl_unavailable|no_control|ring_full|xmpp_ring_blocked|backlogged|hb_echoed|hb_sent|mbuf_alloc_fail|drop_tx_full|deliveries_deferred|xmpp_slow_reader|xmpp_deliver_returned|xmpp_unacked_returned|xmpp_unacked_objs_peak|msg_bad|xmpp_bad_handle)[ =:]+[0-9]+' |
		sort | uniq | tr '\n' ' '
	echo
fi
if [ -n "$roster_contacts" ]; then
	echo "sb-control counters after the run: $("${sbctl[@]}" status 2>/dev/null |
		grep -E '^ +(roster_gets|presence_initial|presence_lost|presence_fanout|fanout_msgs|probes_sent|probes_answered|store_errors|ring_full|backlogged|pool_empty|drop_tx_full|xmpp_login_timeout|xmpp_delivered|xmpp_multi_skipped) ' |
		awk '{ printf "%s %s ", $1, $2 }')"
fi
echo "sb-control after: $("${sbctl[@]}" status | grep -E '^xmpp shard' | head -4 | tr '\n' ';')"
"${sbctl[@]}" status > "${SB_BENCH_STATUS:-/dev/null}" 2>&1 || true
exit "$rc"
