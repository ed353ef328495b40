#!/usr/bin/env bash
# Prints a manifest of N containers on one bridge: netns cN, veth eth0 → br0,
# 10.88.x.y/16, default route via 10.88.0.1 (the benchmark's and ip-baseline's shape).
set -euo pipefail
n=${1:?usage: gen-manifest.sh N}
echo "version: 1"
echo "name: bench"
echo "bridges: [{name: br0, addresses: [10.88.0.1/16]}]"
echo "containers:"
for ((i = 0; i < n; i++)); do
  a=$((i / 250 + 1)); b=$((i % 250 + 2))
  echo "  - {name: c$i, netns: c$i, interfaces: [{name: eth0, veth: {bridge: br0, hostName: h$i}, addresses: [10.88.$a.$b/16]}], routes: [{to: default, via: 10.88.0.1}]}"
done
