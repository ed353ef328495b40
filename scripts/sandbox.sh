#!/usr/bin/env bash
# Runs a command in a private sandbox: a new network namespace (only `lo`) and a
# new mount namespace with its own tmpfs /run, so /run/netns and /run/plumb are
# private too. Nothing touches the machine's real interfaces; everything the
# command creates vanishes with the sandbox when the command exits.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "sandbox: run as root (network namespaces need CAP_SYS_ADMIN)" >&2; exit 1; }
exec unshare --net --mount --propagation private --fork -- /bin/sh -c '
  mount -t tmpfs -o mode=0755 plumb-sandbox /run && ip link set lo up && exec "$@"' sandbox "$@"
