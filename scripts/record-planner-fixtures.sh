#!/usr/bin/env bash
# Re-records the planner fixtures of Tests/PlumbEngineTests/Fixtures from the real
# kernel: each folder in its own private sandbox (scripts/sandbox.sh), with the built
# binary: optionally `plumb apply`, then a change made with ip/nft, then
# `plumb plan desired.yaml --save-observed observed.json`; plan.txt gets the step
# summaries `plumb plan` printed, errors.txt the plan errors. Run as root after
# `swift build`; review the diff before committing (MACs of container ends and
# namespace identities change on every recording, plans must not).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
plumb=$root/.build/debug/plumb
fixtures=$root/Tests/PlumbEngineTests/Fixtures

# record NAME MANIFEST WHEN(before|after|none) COMMAND
record() {
  local name=$1 manifest=$2 when=$3 change=$4 out=$fixtures/$1
  mkdir -p "$out"
  cp "$manifest" "$out/desired.yaml"
  rm -f "$out/plan.txt" "$out/errors.txt"
  "$root/scripts/sandbox.sh" /bin/sh -c '
    set -e
    cd "$1"
    [ "$3" = before ] && sh -c "$4"
    [ "$3" = after ] && { "$2" apply desired.yaml >/dev/null; sh -c "$4"; }
    if "$2" plan desired.yaml --save-observed observed.json --output json > plan.json 2> errors.raw; then
      jq -r ".steps[].summary" plan.json > plan.txt
    else
      sed -n "s/^plumb: error: //p" errors.raw > errors.txt
    fi
    rm -f plan.json errors.raw
    chmod 644 observed.json' record "$out" "$plumb" "$when" "$change"
}

tuning=$(mktemp)
trap 'rm -f "$tuning"' EXIT
printf 'version: 1\nname: tune\nnics:\n  - name: vt0\n    tuning:\n      channels: {rx: 2, tx: 2}\n      offloads: {gro: true}\n' > "$tuning"

record demo-empty manifests/demo.yaml none true
record demo-converged manifests/demo.yaml after true
record demo-host-veth-deleted manifests/demo.yaml after "ip link del db-eth0"
record demo-extra-address manifests/demo.yaml after "ip -n web addr add 10.88.9.9/16 dev eth0"
record demo-foreign-bridge manifests/demo.yaml before "ip link add br0 type bridge"
record nat-rule-deleted manifests/nat.yaml after \
  'T=$(nft list tables | grep plumb_natdemo | cut -d" " -f2-); H=$(nft -a list chain $T prerouting | grep "tcp/8080" | sed "s/.*# handle //"); nft delete rule $T prerouting handle $H'
record tuning-veth "$tuning" before \
  "ip link add vt0 numtxqueues 4 numrxqueues 4 type veth peer name vt1 numtxqueues 4 numrxqueues 4 && ip link set vt0 up"
