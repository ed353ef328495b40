#!/usr/bin/env bash
# Benchmarks/cni-bench.sh [N] — plumb (bridge with masquerade) beside Debian's reference
# `bridge` plugin (ipMasq on), both with host-local IPAM, driven exactly as a runtime drives
# a plugin (config on stdin; CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME=eth0,
# CNI_PATH=/usr/lib/cni), each container in its own `ip netns add` namespace, each plugin in
# its own fresh sandbox (scripts/sandbox.sh: a new host, so its first ADD is a host's first):
#   first ADD   container 1's ADD alone: creates the bridge, the NAT rules, the IPAM state
#   ADD         the ADDs of containers 2..N (ms each)
#   CHECK       N CHECKs, each with its ADD's result as prevResult
#   DEL         N DELs
#   GC          plumb only (the reference plugin, CNI 1.0.0, has no GC): N attachments made
#               again (untimed), then one GC whose cni.dev/valid-attachments lists none of them
# Prints ms per call, the ratios plumb/reference, failures, what was left. Figures, not a
# test: nothing asserts a speed. PLUMB_TRACE=1 in the environment adds plumb's own
# milestones (stderr, kept in the work directory when KEEP=1).
#
# PLUMB_BIN=path picks the binary; otherwise the static release build (scripts/package.sh's).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
[ "$n" -ge 2 ] || { echo "cni-bench: N must be at least 2" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "cni-bench: run as root (sandbox namespaces)" >&2; exit 1; }
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] || scripts/install-runtimes.sh >/dev/null
if [ -z "${PLUMB_BIN:-}" ]; then
  swift build -c release --static-swift-stdlib --product plumb 2>&1 | tail -1
  PLUMB_BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/plumb"
fi
work=$(mktemp -d /tmp/plumb-cnibench.XXXXXX)
[ -n "${KEEP:-}" ] && echo "cni-bench: work directory $work (kept)" || trap 'rm -rf "$work"' EXIT

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

# In a sandbox: N namespaces (untimed); the first ADD, the other ADDs, a ping from the first
# and the last container to the gateway, N CHECKs, N DELs (all timed); then the links and
# leases left; for plumb, N ADDs again (untimed) and one GC (timed), and what it left.
bench() {
  local name=$1 plugin=$2 config=$3 gc=$4 out="$work/$1"
  mkdir -p "$out"
  scripts/sandbox.sh /bin/sh -c '
    plugin=$1; config=$2; n=$3; out=$4; gc=$5
    export CNI_PATH=/usr/lib/cni CNI_IFNAME=eth0
    i=1; while [ $i -le $n ]; do ip netns add c$i; i=$((i + 1)); done
    call() {  # call PHASE COMMAND I CONFIG: one invocation; a failure is counted and kept
      CNI_COMMAND=$2 CNI_CONTAINERID=bench-$3 CNI_NETNS=/run/netns/c$3 "$plugin" <"$4" >"$out/$2-$3.out" 2>>"$out/$2.err"
      rc=$?
      [ $rc = 0 ] || { echo $(( $(cat "$out/$1.fail") + 1 )) >"$out/$1.fail"; echo "$2 $3: exit $rc $(cat "$out/$2-$3.out")" >>"$out/errors"; }
    }
    phase() {  # phase NAME COMMAND FROM TO: invocations FROM..TO, total µs into $out/NAME.us
      echo 0 >"$out/$1.fail"; s=$(date +%s%N); i=$3
      while [ $i -le $4 ]; do
        if [ $2 = CHECK ]; then call $1 $2 $i "$out/check-$i.json"; else call $1 $2 $i "$config"; fi
        i=$((i + 1))
      done
      e=$(date +%s%N); echo $(( (e - s) / 1000 )) >"$out/$1.us"
    }
    phase first ADD 1 1
    phase ADD ADD 2 $n
    ip -o link show master cni-br0 2>/dev/null | wc -l >"$out/ports"
    gw=10.99.0.1; ok=0
    for c in c1 c$n; do ip netns exec $c ping -c1 -W1 $gw >/dev/null 2>&1 && ok=$((ok + 1)); done
    echo $ok >"$out/pings"
    # Each CHECK gets its own ADD result as prevResult (the configuration ends in "}\n").
    i=1; while [ $i -le $n ]; do
      { head -c -2 "$config"; printf ", \"prevResult\": "; cat "$out/ADD-$i.out"; printf "}\n"; } >"$out/check-$i.json"
      i=$((i + 1))
    done
    phase CHECK CHECK 1 $n
    phase DEL DEL 1 $n
    sleep 0.2  # the kernel removes veths of a deleted peer asynchronously
    ip -o link | grep -vc -e " lo:" -e " cni-br0:" >"$out/links-left" || true
    find /run/cni-ipam -type f -name "10.*" 2>/dev/null | wc -l >"$out/leases-left"
    [ -n "$gc" ] || exit 0
    phase again ADD 1 $n
    echo 0 >"$out/GC.fail"; s=$(date +%s%N)
    CNI_COMMAND=GC "$plugin" <"$gc" >"$out/GC.out" 2>>"$out/GC.err"
    rc=$?; [ $rc = 0 ] || { echo 1 >"$out/GC.fail"; echo "GC: exit $rc $(cat "$out/GC.out")" >>"$out/errors"; }
    e=$(date +%s%N); echo $(( (e - s) / 1000 )) >"$out/GC.us"
    sleep 0.2
    ip -o link | grep -vc -e " lo:" -e " cni-br0:" >"$out/gc-links-left" || true
    find /run/cni-ipam -type f -name "10.*" 2>/dev/null | wc -l >"$out/gc-leases-left"
  ' bench "$plugin" "$config" "$n" "$out" "$gc"
}

bench plumb "$PLUMB_BIN" "$work/plumb.json" "$work/plumb-gc.json"
bench bridge /usr/lib/cni/bridge "$work/bridge.json" ""

ms() { awk -v us="$1" -v k="$2" 'BEGIN { printf "%.2f", us / 1000 / k }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
figure() { ms "$(cat "$work/$1/$2.us")" "$3"; }
echo
echo "cni-bench: N=$n, one netns each ($(nproc) cores, kernel $(uname -r)); ms per call"
printf '%-8s %10s %10s %10s %10s %10s   %-18s %10s %8s %20s\n' plugin "first ADD" "ms/ADD" "ms/CHECK" "ms/DEL" "ms/GC" \
  "fails A/C/D/GC" "br ports" pings "left links/leases"
for p in plumb bridge; do
  d="$work/$p"
  gcms=n/a; gcfail=-
  [ -f "$d/GC.us" ] && { gcms=$(figure $p GC "$n"); gcfail=$(cat "$d/GC.fail"); }
  printf '%-8s %10s %10s %10s %10s %10s   %-18s %10s %8s %20s\n' "$p" "$(figure $p first 1)" "$(figure $p ADD $((n - 1)))" \
    "$(figure $p CHECK "$n")" "$(figure $p DEL "$n")" "$gcms" \
    "$(( $(cat "$d/first.fail") + $(cat "$d/ADD.fail") ))/$(cat "$d/CHECK.fail")/$(cat "$d/DEL.fail")/$gcfail" \
    "$(cat "$d/ports")" "$(cat "$d/pings")/2" "$(cat "$d/links-left")/$(cat "$d/leases-left")"
done
r() { ratio "$(ms "$(cat "$work/plumb/$1.us")" "$2")" "$(ms "$(cat "$work/bridge/$1.us")" "$2")"; }
echo "plumb/bridge: first ADD $(r first 1), ADD $(r ADD $((n - 1))), CHECK $(r CHECK "$n"), DEL $(r DEL "$n")"
echo "plumb GC: $(ms "$(cat "$work/plumb/GC.us")" 1) ms for one GC removing $n attachments;" \
  "left after it: $(cat "$work/plumb/gc-links-left") links, $(cat "$work/plumb/gc-leases-left") leases"
echo "(ms/ADD: containers 2..N; ms/GC: the one GC's time per attachment it removed; br ports: veths on cni-br0"
echo " after the ADDs; pings: the first and the last container to 10.99.0.1; left: after the DELs)"
echo "plumb: $PLUMB_BIN; bridge: /usr/lib/cni/bridge (containernetworking-plugins $(dpkg-query -W -f='${Version}' containernetworking-plugins))"
status=0
for p in plumb bridge; do
  if [ -s "$work/$p/errors" ]; then
    echo "cni-bench: $p failures (first 5):"; head -5 "$work/$p/errors"; status=1
  fi
done
exit $status
