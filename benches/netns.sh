#!/usr/bin/env bash
# Builds (or with `down`, removes) the network namespaces the collection
# benchmark (benches/collect.rs) runs in:
#
#   hlbench-routes  a veth pair (hlr0, hlr1: 10.255.0.1/30 and .2/30) and
#                   1,000,000 IPv4 /32 routes via 10.255.0.2, 250,000 in
#                   each of the tables 100, 101, 102 and 103, and a rule
#                   looking up each table (priorities 1000-1003), so that a
#                   lookup of any of the routes' destinations finds it
#   hlbench-links   500 veth pairs (hlva0..hlva499 / hlvb0..hlvb499), all up,
#                   each end with one IPv4 address (a /31 per pair)
#   hlbench-typical a typical host for the whole-audit case: a bridge hltbr0
#                   (10.210.0.10/24, the uplink, standing in for a bond this
#                   kernel cannot build) over hltup0 and hltup1, a management
#                   link hltmg0 (10.212.0.10/24) and a storage link hltst0
#                   (10.213.0.10/24), each a veth whose peer (hltsw0, hltsw1,
#                   hltmg1, hltst1) has an address of its own: lo, the bridge
#                   and 8 veth links. 200 static routes: the default and 119
#                   more in main via 10.210.0.1, 40 in table 100 via
#                   10.212.0.1 (rule: from 10.212.0.10), 40 in table 101 via
#                   10.213.0.1 (rule: fwmark 0x65). The three gateways are
#                   permanent neighbours, since nothing answers ARP for them.
#
# Usage: sudo benches/netns.sh [up [links|typical|routes]...|down|status]
# (`up typical` builds only hlbench-typical, in a second: what the agent
# benchmark, benches/watch.rs, needs.)
#
# `up` is idempotent: a namespace that already holds what it should is kept,
# an incomplete one is removed and rebuilt. If building fails, the namespaces
# this run created are removed again. Only these two namespaces, by name, are
# ever touched.
set -euo pipefail

ROUTES_NS=hlbench-routes
LINKS_NS=hlbench-links
TYPICAL_NS=hlbench-typical
ROUTES=1000000
TABLES=(100 101 102 103)
PAIRS=500
TYPICAL_ROUTES=200

die() {
	echo "netns.sh: $*" >&2
	exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, veth and routes need CAP_NET_ADMIN and CAP_SYS_ADMIN): sudo $0 ${1:-up}"
command -v ip >/dev/null || die "iproute2's ip is not installed"

ns_exists() { [[ -e /run/netns/$1 ]]; }

# Namespaces this invocation created, removed again if it fails.
CREATED=()
TMP=""
cleanup_on_failure() {
	local rc=$?
	[[ -n $TMP ]] && rm -f "$TMP"
	if [[ $rc -ne 0 ]]; then
		for ns in "${CREATED[@]}"; do
			echo "netns.sh: failed (exit $rc); removing $ns" >&2
			ip netns del "$ns" 2>/dev/null || true
		done
	fi
	exit "$rc"
}
trap cleanup_on_failure EXIT
trap 'exit 130' INT TERM

# IPv4 routes in the benchmark tables (the gateway routes only).
route_count() {
	local n=0 t
	for t in "${TABLES[@]}"; do
		n=$((n + $(ip -n "$ROUTES_NS" -4 route show table "$t" | wc -l)))
	done
	echo "$n"
}

veth_up_count() {
	ip -n "$LINKS_NS" -o link show type veth up | wc -l
}

veth_addr_count() {
	ip -n "$LINKS_NS" -o -4 addr show | grep -c ' hlv[ab][0-9]* ' || true
}

typical_veth_up() {
	ip -n "$TYPICAL_NS" -o link show type veth up | wc -l
}

typical_members() {
	ip -n "$TYPICAL_NS" -o link show master hltbr0 up | wc -l
}

typical_addrs() {
	ip -n "$TYPICAL_NS" -o -4 addr show | grep -c ' hlt' || true
}

# The routes `ip route add` made (protocol boot), in every table.
typical_routes() {
	ip -n "$TYPICAL_NS" -4 route show table all proto boot | wc -l
}

typical_rules() {
	ip -n "$TYPICAL_NS" -4 rule show | grep -c 'lookup 10[01]' || true
}

typical_neighs() {
	ip -n "$TYPICAL_NS" -4 neigh show nud permanent | wc -l
}

route_rules() {
	ip -n "$ROUTES_NS" -4 rule show | grep -c 'lookup 10[0-3]' || true
}

routes_ok() {
	ns_exists "$ROUTES_NS" && [[ $(route_count) -eq $ROUTES ]] && [[ $(route_rules) -eq ${#TABLES[@]} ]]
}

links_ok() {
	ns_exists "$LINKS_NS" &&
		[[ $(veth_up_count) -eq $((2 * PAIRS)) ]] &&
		[[ $(veth_addr_count) -eq $((2 * PAIRS)) ]]
}

typical_ok() {
	ns_exists "$TYPICAL_NS" &&
		[[ $(typical_veth_up) -eq 8 ]] &&
		[[ $(typical_members) -eq 2 ]] &&
		[[ $(typical_addrs) -eq 7 ]] &&
		[[ $(typical_routes) -eq $TYPICAL_ROUTES ]] &&
		[[ $(typical_rules) -eq 2 ]] &&
		[[ $(typical_neighs) -eq 3 ]]
}

fresh_ns() {
	local ns=$1
	if ns_exists "$ns"; then
		echo "$ns: incomplete, rebuilding"
		ip netns del "$ns"
	fi
	ip netns add "$ns"
	CREATED+=("$ns")
	ip -n "$ns" link set lo up
}

build_routes() {
	if routes_ok; then
		echo "$ROUTES_NS: already holds $ROUTES routes, kept"
		return
	fi
	local start=$SECONDS
	fresh_ns "$ROUTES_NS"
	ip -n "$ROUTES_NS" link add hlr0 type veth peer name hlr1
	ip -n "$ROUTES_NS" addr add 10.255.0.1/30 dev hlr0
	ip -n "$ROUTES_NS" addr add 10.255.0.2/30 dev hlr1
	ip -n "$ROUTES_NS" link set hlr0 up
	ip -n "$ROUTES_NS" link set hlr1 up
	TMP=$(mktemp /tmp/hlbench-routes.XXXXXX)
	# 11.0.0.0 upwards, one /32 each, a quarter of them in each table.
	awk -v n="$ROUTES" -v tables="${TABLES[*]}" 'BEGIN {
		k = split(tables, t, " ")
		per = int((n + k - 1) / k)
		for (i = 0; i < n; i++) {
			a = 11 * 16777216 + i
			printf "route add %d.%d.%d.%d/32 via 10.255.0.2 dev hlr0 table %d\n",
				int(a / 16777216) % 256, int(a / 65536) % 256, int(a / 256) % 256, a % 256,
				t[int(i / per) + 1]
		}
	}' >"$TMP"
	ip -n "$ROUTES_NS" -batch "$TMP"
	rm -f "$TMP"
	TMP=""
	local i
	for i in "${!TABLES[@]}"; do
		ip -n "$ROUTES_NS" rule add pref $((1000 + i)) lookup "${TABLES[$i]}"
	done
	local got
	got=$(route_count)
	[[ $got -eq $ROUTES ]] || die "$ROUTES_NS: $got routes after the batch, expected $ROUTES"
	echo "$ROUTES_NS: built $got IPv4 routes in tables ${TABLES[*]} via 10.255.0.2 dev hlr0, a rule for each table ($((SECONDS - start)) s)"
}

build_links() {
	if links_ok; then
		echo "$LINKS_NS: already holds $((2 * PAIRS)) veth links up with an address each, kept"
		return
	fi
	local start=$SECONDS
	fresh_ns "$LINKS_NS"
	TMP=$(mktemp /tmp/hlbench-links.XXXXXX)
	# Pair i: hlva<i> = 10.1.x.(2i) and hlvb<i> = 10.1.x.(2i+1), a /31.
	awk -v pairs="$PAIRS" 'BEGIN {
		for (i = 0; i < pairs; i++) {
			n = 2 * i
			printf "link add hlva%d type veth peer name hlvb%d\n", i, i
			printf "addr add 10.1.%d.%d/31 dev hlva%d\n", int(n / 256), n % 256, i
			printf "addr add 10.1.%d.%d/31 dev hlvb%d\n", int((n + 1) / 256), (n + 1) % 256, i
			printf "link set hlva%d up\n", i
			printf "link set hlvb%d up\n", i
		}
	}' >"$TMP"
	ip -n "$LINKS_NS" -batch "$TMP"
	rm -f "$TMP"
	TMP=""
	local up addrs
	up=$(veth_up_count)
	addrs=$(veth_addr_count)
	[[ $up -eq $((2 * PAIRS)) ]] || die "$LINKS_NS: $up veth links up, expected $((2 * PAIRS))"
	[[ $addrs -eq $((2 * PAIRS)) ]] || die "$LINKS_NS: $addrs veth addresses, expected $((2 * PAIRS))"
	echo "$LINKS_NS: built $up veth links ($PAIRS pairs) up, $addrs IPv4 addresses ($((SECONDS - start)) s)"
}

build_typical() {
	if typical_ok; then
		echo "$TYPICAL_NS: already holds its 10 links and $TYPICAL_ROUTES routes, kept"
		return
	fi
	fresh_ns "$TYPICAL_NS"
	TMP=$(mktemp /tmp/hlbench-typical.XXXXXX)
	# The gateways' MAC addresses are made up: the permanent entries only
	# have to exist for the route checks' gateway_reachable.
	{
		cat <<-EOF
			link add hltbr0 type bridge
			link add hltup0 type veth peer name hltsw0
			link add hltup1 type veth peer name hltsw1
			link add hltmg0 type veth peer name hltmg1
			link add hltst0 type veth peer name hltst1
			link set hltup0 master hltbr0
			link set hltup1 master hltbr0
			addr add 10.210.0.10/24 dev hltbr0
			addr add 10.212.0.10/24 dev hltmg0
			addr add 10.213.0.10/24 dev hltst0
			addr add 10.230.0.1/24 dev hltsw0
			addr add 10.230.1.1/24 dev hltsw1
			addr add 10.231.0.1/24 dev hltmg1
			addr add 10.232.0.1/24 dev hltst1
		EOF
		for l in hltbr0 hltup0 hltsw0 hltup1 hltsw1 hltmg0 hltmg1 hltst0 hltst1; do
			echo "link set $l up"
		done
		cat <<-EOF
			neigh add 10.210.0.1 lladdr 02:00:5e:10:00:01 dev hltbr0 nud permanent
			neigh add 10.212.0.1 lladdr 02:00:5e:12:00:01 dev hltmg0 nud permanent
			neigh add 10.213.0.1 lladdr 02:00:5e:13:00:01 dev hltst0 nud permanent
			rule add from 10.212.0.10 table 100 pref 100
			rule add fwmark 0x65 table 101 pref 101
			route add default via 10.210.0.1 dev hltbr0
		EOF
		awk 'BEGIN {
			for (i = 0; i < 119; i++)
				printf "route add 172.16.%d.0/24 via 10.210.0.1 dev hltbr0\n", i
			for (i = 0; i < 40; i++)
				printf "route add 172.17.%d.0/24 via 10.212.0.1 dev hltmg0 table 100\n", i
			for (i = 0; i < 40; i++)
				printf "route add 172.18.%d.0/24 via 10.213.0.1 dev hltst0 table 101\n", i
		}'
	} >"$TMP"
	ip -n "$TYPICAL_NS" -batch "$TMP"
	rm -f "$TMP"
	TMP=""
	# The bridge comes up when a port does, a moment after the batch.
	local i
	for i in $(seq 50); do
		typical_ok && break
		sleep 0.1
	done
	typical_ok || die "$TYPICAL_NS: incomplete after building: $(typical_veth_up) veth up, $(typical_members) bridge ports up, $(typical_addrs) addresses, $(typical_routes) routes, $(typical_rules) rules, $(typical_neighs) permanent neighbours"
	echo "$TYPICAL_NS: built a bridge over 2 veth, 8 veth links up, $(typical_addrs) IPv4 addresses, $(typical_routes) routes in tables main, 100 and 101"
}

remove() {
	local ns
	for ns in "$ROUTES_NS" "$LINKS_NS" "$TYPICAL_NS"; do
		if ns_exists "$ns"; then
			ip netns del "$ns"
			echo "$ns: removed"
		else
			echo "$ns: not present"
		fi
	done
}

status() {
	if ns_exists "$ROUTES_NS"; then
		echo "$ROUTES_NS: $(route_count) benchmark routes, $(route_rules) rules"
	else
		echo "$ROUTES_NS: not present"
	fi
	if ns_exists "$LINKS_NS"; then
		echo "$LINKS_NS: $(veth_up_count) veth links up, $(veth_addr_count) addresses"
	else
		echo "$LINKS_NS: not present"
	fi
	if ns_exists "$TYPICAL_NS"; then
		echo "$TYPICAL_NS: $(typical_veth_up) veth links up, $(typical_members) bridge ports up, $(typical_addrs) addresses, $(typical_routes) routes, $(typical_rules) rules, $(typical_neighs) permanent neighbours"
	else
		echo "$TYPICAL_NS: not present"
	fi
}

case "${1:-up}" in
up)
	shift || true
	for what in "${@:-links typical routes}"; do
		for w in $what; do
			case "$w" in
			links) build_links ;;
			typical) build_typical ;;
			routes) build_routes ;;
			*) die "up: no namespace set $w (links, typical, routes)" ;;
			esac
		done
	done
	;;
down) remove ;;
status) status ;;
*) die "usage: $0 [up|down|status]" ;;
esac
