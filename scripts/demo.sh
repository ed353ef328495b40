#!/usr/bin/env bash
# The README's first command: installs what is needed, builds plumb, and runs the
# main job on the built-in demo manifest inside a private sandbox namespace —
# plan, apply (which verifies every container with a real packet), re-plan
# (no changes), destroy — so it is safe on any machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
swift build -c release --product plumb 2>&1 | tail -1
bin="$(swift build -c release --show-bin-path)/plumb"
scripts/sandbox.sh /bin/sh -c '
  set -e
  echo "== plumb plan";    "$1" plan manifests/demo.yaml
  echo; echo "== plumb apply (then verify)"; "$1" apply manifests/demo.yaml
  echo; echo "== plumb plan --detailed-exitcode"; "$1" plan manifests/demo.yaml --detailed-exitcode
  echo; echo "== plumb destroy"; "$1" destroy manifests/demo.yaml
  echo; echo "== left in the sandbox:"; ip -br link; ip netns list; ls /run/plumb
' demo "$bin"
