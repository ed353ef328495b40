#!/usr/bin/env bash
# Benchmarks/cni-bench.sh [N] — N CNI ADDs, then N DELs, each container in its own
# `ip netns add` namespace, driven exactly as a runtime drives a plugin (config on stdin;
# CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME=eth0, CNI_PATH=/usr/lib/cni): first
# plumb (bridge with masquerade), then Debian's reference `bridge` plugin (ipMasq on), both
# with host-local IPAM, each in its own fresh sandbox (scripts/sandbox.sh). Prints ms per
# ADD and per DEL, failures, and what was left. Figures, not a test: nothing asserts a speed.
#
# PLUMB_BIN=path picks the binary; otherwise the release build (built here, like run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
[ "$(id -u)" = 0 ] || { echo "cni-bench: run as root (sandbox namespaces)" >&2; exit 1; }
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] || scripts/install-runtimes.sh >/dev/null
if [ -z "${PLUMB_BIN:-}" ]; then
  swift build -c release --product plumb 2>&1 | tail -1
  PLUMB_BIN="$(swift build -c release --show-bin-path)/plumb"
fi
work=$(mktemp -d /tmp/plumb-cnibench.XXXXXX)
trap 'rm -rf "$work"' EXIT

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

# In a sandbox: N namespaces (untimed), N ADDs (timed), a ping from the first and the last
# container to the gateway, N DELs (timed), then the links and leases left.
bench() {
  local name=$1 plugin=$2 config=$3 out="$work/$1"
  mkdir -p "$out"
  scripts/sandbox.sh /bin/sh -c '
    plugin=$1; config=$2; n=$3; out=$4
    export CNI_PATH=/usr/lib/cni CNI_IFNAME=eth0
    i=1; while [ $i -le $n ]; do ip netns add c$i; i=$((i + 1)); done
    phase() {  # phase ADD|DEL: N invocations, total µs and failures into $out
      fail=0; s=$(date +%s%N); i=1
      while [ $i -le $n ]; do
        CNI_COMMAND=$1 CNI_CONTAINERID=bench-$i CNI_NETNS=/run/netns/c$i "$plugin" <"$config" \
          >"$out/$1-$i.out" 2>>"$out/$1.err" || { fail=$((fail + 1)); echo "$1 $i: exit $? $(cat "$out/$1-$i.out")" >>"$out/errors"; }
        i=$((i + 1))
      done
      e=$(date +%s%N); echo $(( (e - s) / 1000 )) >"$out/$1.us"; echo $fail >"$out/$1.fail"
    }
    phase ADD
    ip -o link show master cni-br0 2>/dev/null | wc -l >"$out/ports"
    gw=10.99.0.1; ok=0
    for c in c1 c$n; do ip netns exec $c ping -c1 -W1 $gw >/dev/null 2>&1 && ok=$((ok + 1)); done
    echo $ok >"$out/pings"
    phase DEL
    sleep 0.2  # the kernel removes veths of a deleted peer asynchronously
    ip -o link | grep -vc -e " lo:" -e " cni-br0:" >"$out/links-left" || true
    find /run/cni-ipam -type f -name "10.*" 2>/dev/null | wc -l >"$out/leases-left"
  ' bench "$plugin" "$config" "$n" "$out"
}

bench plumb "$PLUMB_BIN" "$work/plumb.json"
bench bridge /usr/lib/cni/bridge "$work/bridge.json"

per() { awk -v us="$1" -v n="$n" 'BEGIN { printf "%.2f", us / 1000 / n }'; }
echo
echo "cni-bench: N=$n ADDs then N DELs, one netns each ($(nproc) cores, kernel $(uname -r))"
printf '%-8s %10s %10s %10s %10s %12s %10s %20s\n' plugin "ms/ADD" "ms/DEL" "ADD fails" "DEL fails" "br ports" "pings" "left links/leases"
for p in plumb bridge; do
  d="$work/$p"
  printf '%-8s %10s %10s %10s %10s %12s %10s %20s\n' "$p" "$(per "$(cat "$d/ADD.us")")" "$(per "$(cat "$d/DEL.us")")" \
    "$(cat "$d/ADD.fail")" "$(cat "$d/DEL.fail")" "$(cat "$d/ports")" "$(cat "$d/pings")/2" \
    "$(cat "$d/links-left")/$(cat "$d/leases-left")"
done
echo "(br ports: veths on cni-br0 after the N ADDs; pings: the first and the last container to 10.99.0.1)"
echo "plumb: $PLUMB_BIN; bridge: /usr/lib/cni/bridge (containernetworking-plugins $(dpkg-query -W -f='${Version}' containernetworking-plugins))"
status=0
for p in plumb bridge; do
  if [ -s "$work/$p/errors" ]; then
    echo "cni-bench: $p failures (first 5):"; head -5 "$work/$p/errors"; status=1
  fi
done
exit $status
