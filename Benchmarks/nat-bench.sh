#!/usr/bin/env bash
# Benchmarks/nat-bench.sh [N] — one apply of the NAT table with N port forwards
# (issue 4): a bridge with masquerade and one container forwarding host ports
# 10000.. to container ports 20000.., in a sandbox. The table is then deleted by
# hand and re-applied: that apply is one step, the table replaced in one
# nftables transaction, and its time is the figure. Prints figures, asserts none.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
swift build -c release --product plumb 2>&1 | tail -1
bin="$(swift build -c release --show-bin-path)/plumb"
work=$(mktemp -d /tmp/plumb-natbench.XXXXXX); trap 'rm -rf "$work"' EXIT
{
  echo "version: 1"; echo "name: natbench"
  echo "bridges: [{name: br0, addresses: [10.88.0.1/16], nat: {masquerade: true}}]"
  echo "containers:"
  echo "  - name: web"; echo "    netns: web"
  echo "    interfaces: [{name: eth0, veth: {bridge: br0}, addresses: [10.88.0.2/16]}]"
  echo "    ports:"
  for ((i = 0; i < n; i++)); do echo "      - {host: $((10000 + i)), container: $((20000 + i)), protocol: tcp}"; done
} >"$work/m.yaml"
scripts/sandbox.sh /bin/sh -c '
  bin=$1; m=$2
  ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
  s=$(date +%s%N); "$bin" apply --no-verify "$m" >/dev/null; echo "nat-bench: first apply (netns, bridge, veth, table with '$n' forwards): $(ms $s) ms"
  echo "nat-bench: rules in the table: $(nft list table inet plumb_natbench | grep -c comment)"
  nft delete table inet plumb_natbench
  s=$(date +%s%N); "$bin" plan --detailed-exitcode "$m" >/dev/null; echo "nat-bench: plan after the table was deleted (exit 2 expected): $? in $(ms $s) ms"
  s=$(date +%s%N); "$bin" apply --no-verify "$m" >/dev/null; echo "nat-bench: apply of the NAT table alone ('$n' port forwards, one transaction): $(ms $s) ms"
  s=$(date +%s%N); "$bin" plan --detailed-exitcode "$m" >/dev/null; echo "nat-bench: re-plan (converged, exit 0 expected): $? in $(ms $s) ms"
  "$bin" destroy "$m" >/dev/null
' nat "$bin" "$work/m.yaml"
