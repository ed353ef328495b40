#!/usr/bin/env bash
# Benchmarks/cni-bench.sh [N] — plumb (bridge with masquerade) beside Debian's reference
# `bridge` plugin (ipMasq on), both with host-local IPAM, driven exactly as a runtime drives
# a plugin (config on stdin; CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME=eth0,
# CNI_PATH=/usr/lib/cni), each container in its own `ip netns add` namespace, each plugin in
# its own fresh sandbox (scripts/sandbox.sh: a new host, so its first ADD is a host's first).
# The two plugins' calls are interleaved one by one (who goes first alternates), so both
# see the same machine: on a shared host the load moves by the minute, and a ratio of two
# phases run minutes apart measures the load more than the plugins.
#   first ADD   a host's first ADD: creates the bridge, the NAT rules, the IPAM state; FIRSTS
#               (default 49) hosts made for it alone, their first ADDs timed among the later
#               ADDs, and the run's own (mean; median printed)
#   ADD         the ADDs of containers 2..N (ms each)
#   CHECK       N CHECKs, each with its ADD's result as prevResult
#   DEL         N DELs
#   GC          plumb only (the reference plugin, CNI 1.0.0, has no GC): N attachments made
#               again (untimed), then one GC whose cni.dev/valid-attachments lists none of them
# Each call is timed from bash's clock (no fork) around `nsenter` into the plugin's sandbox;
# nsenter's own cost is measured alike and printed, and is in both plugins' figures.
# Prints ms per call, the ratios plumb/reference, failures, what was left. Figures, not a
# test: nothing asserts a speed. PLUMB_TRACE=1 in the environment adds plumb's milestones
# to its stderr, kept in the work directory with KEEP=1.
#
# PLUMB_BIN=path picks the binary; otherwise the static release build (scripts/package.sh's).
# PLUMB_BIN_B=path adds a second plumb binary ("plumb-b", its own sandbox), interleaved with
# the other two: an A/B of two builds measured in the same minutes (ratio printed).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
n=${1:-100}
[ "$n" -ge 2 ] || { echo "cni-bench: N must be at least 2" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "cni-bench: run as root (sandbox namespaces)" >&2; exit 1; }
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] || scripts/install-runtimes.sh >/dev/null
if [ -z "${PLUMB_BIN:-}" ]; then
  repo=$PWD; . scripts/release-build.sh   # scripts/package.sh's build
  "${build[@]}" --product plumb 2>&1 | tail -1
  PLUMB_BIN="$("${build[@]}" --show-bin-path)/plumb"
fi
work=$(mktemp -d /tmp/plumb-cnibench.XXXXXX)
declare -A holder bin config us fails
cleanup() {
  for p in "${!holder[@]}"; do [ -z "${holder[$p]}" ] || kill "${holder[$p]}" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] && echo "cni-bench: work directory $work (kept)" || rm -rf "$work"
}
trap cleanup EXIT

# Leases under the sandbox's private /run; /16 subnets hold any N up to 65k.
cat >"$work/plumb.json" <<'EOF'
{"cniVersion": "1.1.0", "name": "plumbnet", "type": "plumb",
 "bridge": {"name": "cni-br0", "masquerade": true},
 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}],
          "dataDir": "/run/cni-ipam"}}
EOF
cat >"$work/bridge.json" <<'EOF'
{"cniVersion": "1.0.0", "name": "refnet", "type": "bridge", "bridge": "cni-br0",
 "isGateway": true, "ipMasq": true,
 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}],
          "dataDir": "/run/cni-ipam"}}
EOF
# GC's configuration: plumb's, with an empty list of valid attachments.
sed 's/"type": "plumb",/"type": "plumb", "cni.dev\/valid-attachments": [],/' "$work/plumb.json" >"$work/plumb-gc.json"
bin[plumb]=$PLUMB_BIN; bin[bridge]=/usr/lib/cni/bridge
config[plumb]=$work/plumb.json; config[bridge]=$work/bridge.json
plugins=(plumb bridge)
if [ -n "${PLUMB_BIN_B:-}" ]; then bin[plumb-b]=$PLUMB_BIN_B; config[plumb-b]=$work/plumb.json; plugins+=(plumb-b); fi

# A sandbox, held open by a process of ours (its PID is where nsenter goes): sandbox P
# makes plugin P's, with containers c1..cN (`ip netns add`).
sandbox() {
  local p=$1 count=$2
  mkdir -p "$work/$p"; rm -f "$work/$p/pid"
  scripts/sandbox.sh /bin/sh -c 'echo $$ >"$1.tmp" && mv "$1.tmp" "$1" && exec sleep 100000' holder "$work/$p/pid" &
  job[$p]=$!
  for _ in $(seq 100); do [ -s "$work/$p/pid" ] && break; sleep 0.05; done
  holder[$p]=$(cat "$work/$p/pid")
  inside "$p" /bin/sh -c 'i=1; while [ $i -le $1 ]; do ip netns add c$i; i=$((i + 1)); done' x "$count"
}
inside() { local p=$1; shift; nsenter -t "${holder[$p]}" --net --mount -- "$@"; }
declare -A job

now() { local t=$EPOCHREALTIME; echo "${t/./}"; }
# call PLUGIN PHASE COMMAND I [CONFIG]: one invocation, its µs added to the phase; a failure counted.
call() {
  local p=$1 phase=$2 cmd=$3 i=$4 cfg=${5:-${config[$1]}} out="$work/$1/$3-$4${box:+-first-${box##*@}}.out" t0 t1 rc=0
  t0=$EPOCHREALTIME
  CNI_COMMAND=$cmd CNI_CONTAINERID=bench-$i CNI_NETNS=/run/netns/c$i CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
    inside "${box:-$p}" "${bin[$p]}" <"$cfg" >"$out" 2>>"$work/$p/$cmd.err" || rc=$?
  t1=$EPOCHREALTIME
  us[$p,$phase]=$(( ${us[$p,$phase]:-0} + ${t1/./} - ${t0/./} ))
  echo "$phase $(( ${t1/./} - ${t0/./} ))" >>"$work/$p/calls"
  [ $rc = 0 ] || { fails[$p,$phase]=$(( ${fails[$p,$phase]:-0} + 1 )); echo "$cmd $i: exit $rc $(cat "$out")" >>"$work/$p/errors"; }
}
# phase NAME COMMAND FROM TO [PLUGINS…]: calls FROM..TO, the plugins interleaved, who goes first alternating.
phase() {
  local name=$1 cmd=$2 from=$3 to=$4 i p ps; shift 4
  if (($#)); then ps=("$@"); else ps=("${plugins[@]}"); fi
  for ((i = from; i <= to; i++)); do
    local order=("${ps[@]}"); (( i % 2 )) || order=($(printf '%s\n' "${ps[@]}" | tac))
    for p in "${order[@]}"; do
      if [ "$cmd" = CHECK ]; then call "$p" "$name" "$cmd" "$i" "$work/$p/check-$i.json"; else call "$p" "$name" "$cmd" "$i"; fi
    done
  done
}

# A host's first ADD, FIRSTS times per plugin (default 49) besides the run's own: each in a
# sandbox of its own, timed among the later ADDs (spread evenly through them), so the first
# and the later ADDs are measured in the same minutes — on a shared machine the load moves.
# All those sandboxes are made before anything is timed and go after the ADDs: a
# namespace's teardown is kernel work (cleanup_net, on a worker thread) that would run on
# the other core while the next call is timed.
settle() { sleep 1; }
firsts=${FIRSTS:-49}
for p in "${plugins[@]}"; do mkdir -p "$work/$p"; done
for ((k = 1; k <= firsts; k++)); do for p in "${plugins[@]}"; do sandbox "$p@$k" 1; done; done
for p in "${plugins[@]}"; do sandbox "$p" "$n"; done
settle
# firstADD K: the K-th extra first ADD of every plugin (who goes first alternating).
firstADD() {
  local k=$1 p order=("${plugins[@]}"); (( k % 2 )) || order=($(printf '%s\n' "${plugins[@]}" | tac))
  for p in "${order[@]}"; do box="$p@$k" call "$p" first ADD 1; done
}

# nsenter's own cost per call, measured the same way (in both plugins' figures alike).
t0=$(now); for ((i = 0; i < 20; i++)); do inside plumb /bin/true; done; t1=$(now); launch=$(( (t1 - t0) / 20 ))

phase first ADD 1 1
next=1
for ((i = 2; i <= n; i++)); do
  phase ADD ADD "$i" "$i"
  if (( next <= firsts && (i - 1) * firsts >= next * (n - 1) )); then firstADD "$next"; next=$((next + 1)); fi
done
for p in "${!holder[@]}"; do
  [[ $p == *@* && -n ${holder[$p]} ]] || continue
  kill "${holder[$p]}"; wait "${job[$p]}" 2>/dev/null || true; holder[$p]=
done
settle
for p in "${plugins[@]}"; do
  inside "$p" /bin/sh -c 'ip -o link show master cni-br0 2>/dev/null | wc -l' >"$work/$p/ports"
  ok=0
  for c in c1 "c$n"; do inside "$p" ip netns exec "$c" ping -c1 -W1 10.99.0.1 >/dev/null 2>&1 && ok=$((ok + 1)); done
  echo $ok >"$work/$p/pings"
  # Each CHECK gets its own ADD result as prevResult (the configuration ends in "}\n").
  for ((i = 1; i <= n; i++)); do
    { head -c -2 "${config[$p]}"; printf ', "prevResult": '; cat "$work/$p/ADD-$i.out"; printf '}\n'; } >"$work/$p/check-$i.json"
  done
done
phase CHECK CHECK 1 "$n"
phase DEL DEL 1 "$n"
sleep 0.2  # the kernel removes veths of a deleted peer asynchronously
left() { inside "$1" /bin/sh -c 'echo "$(ip -o link | grep -vc -e " lo:" -e " cni-br0:")/$(find /run/cni-ipam -type f -name "10.*" 2>/dev/null | wc -l)"'; }
for p in "${plugins[@]}"; do left "$p" >"$work/$p/left"; done
phase again ADD 1 "$n" plumb
call plumb GC GC 0 "$work/plumb-gc.json"
sleep 0.2
left plumb >"$work/plumb/gc-left"

ms() { awk -v us="$1" -v k="$2" 'BEGIN { printf "%.2f", us / 1000 / k }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
figure() { ms "${us[$1,$2]}" "$3"; }
fail() { echo "${fails[$1,$2]:-0}"; }
echo
echo "cni-bench: N=$n, one netns each, calls interleaved ($(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)); ms per call"
printf '%-8s %10s %10s %10s %10s %10s   %-16s %9s %6s %18s\n' plugin "first ADD" "ms/ADD" "ms/CHECK" "ms/DEL" "ms/GC" \
  "fails A/C/D/GC" "br ports" pings "left links/leases"
for p in "${plugins[@]}"; do
  gcms=n/a; gcfail=-
  [ "$p" = plumb ] && { gcms=$(figure plumb GC "$n"); gcfail=$(fail plumb GC); }
  printf '%-8s %10s %10s %10s %10s %10s   %-16s %9s %6s %18s\n' "$p" "$(figure "$p" first $((firsts + 1)))" "$(figure "$p" ADD $((n - 1)))" \
    "$(figure "$p" CHECK "$n")" "$(figure "$p" DEL "$n")" "$gcms" \
    "$(( $(fail "$p" first) + $(fail "$p" ADD) ))/$(fail "$p" CHECK)/$(fail "$p" DEL)/$gcfail" \
    "$(cat "$work/$p/ports")" "$(cat "$work/$p/pings")/2" "$(cat "$work/$p/left")"
done
# Medians beside the means: one call slowed by the host (a neighbour's burst) moves a mean of
# 100 by as much as the difference between two builds.
median() { awk -v ph="$2" '$1 == ph { print $2 }' "$work/$1/calls" | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1000 }'; }
echo "medians (ms): $(for p in "${plugins[@]}"; do printf '%s first ADD %s ADD %s DEL %s; ' "$p" "$(median "$p" first)" "$(median "$p" ADD)" "$(median "$p" DEL)"; done)"
echo "a host's first ADD / the later ADDs (medians): $(for p in "${plugins[@]}"; do printf '%s %s; ' "$p" "$(ratio "$(median "$p" first)" "$(median "$p" ADD)")"; done)"
r() { ratio "$(figure plumb "$1" "$2")" "$(figure bridge "$1" "$2")"; }
echo "plumb/bridge: first ADD $(r first $((firsts + 1))), ADD $(r ADD $((n - 1))), CHECK $(r CHECK "$n"), DEL $(r DEL "$n")"
if [ -n "${PLUMB_BIN_B:-}" ]; then
  rb() { ratio "$(figure plumb "$1" "$2")" "$(figure plumb-b "$1" "$2")"; }
  echo "plumb/plumb-b: first ADD $(rb first $((firsts + 1))), ADD $(rb ADD $((n - 1))), CHECK $(rb CHECK "$n"), DEL $(rb DEL "$n")  (plumb-b: $PLUMB_BIN_B)"
fi
echo "plumb GC: $(ms "${us[plumb,GC]}" 1) ms for one GC removing $n attachments; left after it (links/leases): $(cat "$work/plumb/gc-left")"
echo "(in every figure: nsenter into the sandbox, $(ms "$launch" 1) ms a call; first ADD: $((firsts + 1)) hosts' first, each"
echo " in a fresh sandbox, timed among the later ADDs; ms/ADD: containers 2..N; ms/GC: the"
echo " GC's time per attachment it removed; br ports: veths on cni-br0 after the ADDs; pings: the first"
echo " and the last container to 10.99.0.1; left: after the DELs)"
echo "plumb: $PLUMB_BIN; bridge: /usr/lib/cni/bridge (containernetworking-plugins $(dpkg-query -W -f='${Version}' containernetworking-plugins))"
status=0
for p in "${plugins[@]}"; do
  if [ -s "$work/$p/errors" ]; then
    echo "cni-bench: $p failures (first 5):"; head -5 "$work/$p/errors"; status=1
  fi
done
exit $status
