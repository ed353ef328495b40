#!/usr/bin/env bash
# Prints a manifest of N containers spread over B bridges (brK, 10.K+100.0.0/16):
# netns cN, veth eth0 → its bridge, an address, a default route via the bridge.
set -euo pipefail
n=${1:?usage: gen-scale.sh N BRIDGES}; b=${2:-1}
echo "version: 1"
echo "name: scale"
echo "bridges:"
for ((k = 0; k < b; k++)); do echo "  - {name: br$k, addresses: [10.$((k + 100)).0.1/16]}"; done
echo "containers:"
for ((i = 0; i < n; i++)); do
  k=$((i % b)); j=$((i / b)); x=$((j / 250)); y=$((j % 250 + 2))
  echo "  - {name: c$i, netns: c$i, interfaces: [{name: eth0, veth: {bridge: br$k, hostName: h$i}, addresses: [10.$((k + 100)).$x.$y/16]}], routes: [{to: default, via: 10.$((k + 100)).0.1}]}"
done
