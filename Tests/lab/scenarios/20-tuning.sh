#!/bin/bash
# Issue 5, must-show 2: on igb, rings, coalescing and IRQ affinity are applied
# and verified, and net.core.netdev_budget / netdev_max_backlog (initial
# namespace only) are set; re-apply plans nothing; destroy restores all of it.
set -u
. "$(dirname "$0")/../scenario-lib.sh"
trap '"$PLUMB" destroy "$WORK/t.yaml" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
ip link set "$PF" up
rings0=$(ethtool -g "$PF" | awk '/Current hardware/ {c=1} c && /^RX:/ {print $2; exit}')
usecs0=$(ethtool -c "$PF" | awk '/^rx-usecs:/ {print $2}')
budget0=$(cat /proc/sys/net/core/netdev_budget); backlog0=$(cat /proc/sys/net/core/netdev_max_backlog)
irqs=$(for i in $(ls $DEV/msi_irqs); do grep -q "$PF-" /proc/interrupts && grep -E "^ *$i:.*$PF-" /proc/interrupts >/dev/null && echo $i; done)
aff0=$(for i in $irqs; do cat /proc/irq/$i/smp_affinity_list; done | tr '\n' ' ')
ok "before: rx ring $rings0, rx-usecs $usecs0, budget $budget0, backlog $backlog0, queue irqs [$irqs] on [$aff0]"
cat >"$WORK/t.yaml" <<YAML
version: 1
name: tune
host:
  sysctl: {net.core.netdev_budget: 600, net.core.netdev_max_backlog: 2000}
nics:
  - name: $PF
    tuning:
      rings: {rx: 1024, tx: 1024}
      coalesce: {rxUsecs: 50}
      irqAffinity: spread
YAML
step "plan"
expect 0 "$PLUMB" plan "$WORK/t.yaml"
step "apply"
expect 0 "$PLUMB" apply "$WORK/t.yaml"
ethtool -g "$PF" | awk '/Current hardware/ {c=1} c' | grep -q "^RX:[[:space:]]*1024" || fail "ethtool -g does not show rx 1024: $(ethtool -g $PF | tr '\n' ' ')"
ethtool -c "$PF" | grep -q "^rx-usecs:[[:space:]]*50" || fail "ethtool -c does not show rx-usecs 50"
[ "$(cat /proc/sys/net/core/netdev_budget)" = 600 ] || fail "netdev_budget not 600"
[ "$(cat /proc/sys/net/core/netdev_max_backlog)" = 2000 ] || fail "netdev_max_backlog not 2000"
aff=$(for i in $irqs; do cat /proc/irq/$i/smp_affinity_list; done | tr '\n' ' ')
ok "after: rings rx 1024, rx-usecs 50, budget 600, backlog 2000, queue irqs on [$aff]"
n=$(echo $irqs | wc -w)
[ "$n" -lt 2 ] || [ "$(echo $aff | tr ' ' '\n' | sort -u | wc -l)" -ge 2 ] || fail "irqAffinity spread left all $n queue irqs on one CPU: $aff"
grep -q "PASS  $PF rings" "$WORK/out" || fail "verify has no passing rings check"
grep -q "PASS  $PF irq-affinity" "$WORK/out" || fail "verify has no passing irq-affinity check"
step "re-plan"
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/t.yaml"
step "beyond the maximum: a clear error"
printf 'version: 1\nnics: [{name: %s, tuning: {rings: {rx: 100000}}}]\n' "$PF" >"$WORK/max.yaml"
expect 1 "$PLUMB" plan "$WORK/max.yaml"
grep -q "beyond the maximum" "$WORK/out" || fail "no 'beyond the maximum' error"
step "destroy restores"
expect 0 "$PLUMB" destroy "$WORK/t.yaml"
rings1=$(ethtool -g "$PF" | awk '/Current hardware/ {c=1} c && /^RX:/ {print $2; exit}')
[ "$rings1" = "$rings0" ] || fail "rx ring $rings1, expected $rings0 back"
[ "$(ethtool -c "$PF" | awk '/^rx-usecs:/ {print $2}')" = "$usecs0" ] || fail "rx-usecs not restored"
[ "$(cat /proc/sys/net/core/netdev_budget)" = "$budget0" ] || fail "netdev_budget not restored"
[ "$(cat /proc/sys/net/core/netdev_max_backlog)" = "$backlog0" ] || fail "netdev_max_backlog not restored"
aff1=$(for i in $irqs; do cat /proc/irq/$i/smp_affinity_list; done | tr '\n' ' ')
[ "$aff1" = "$aff0" ] || fail "irq affinity [$aff1], expected [$aff0] back"
ok "all restored"
