#!/bin/bash
# Issue 16, must-show 2 (lab): on igb, RSS indirection (equal) and rx-flow-hash applied and
# verified against `ethtool -x` / `ethtool -n`, coalescing checked against `ethtool -c` (and
# what the emulated igb refuses, named); then irqAffinity beside a running irqbalance:
# refused while irqbalance would move the queue interrupts, placed once it bans them, and
# the placement survives irqbalance's passes. Destroy restores everything.
set -u
. "$(dirname "$0")/../scenario-lib.sh"
IRQBALANCE=${PLUMB_LAB_CACHE:-/var/cache/plumb-lab}/irqbalance/usr/sbin/irqbalance
ib=""
cleanup() {
  [ -n "$ib" ] && kill "$ib" 2>/dev/null && wait "$ib" 2>/dev/null
  for m in rss adv co irq; do "$PLUMB" destroy "$WORK/$m.yaml" >/dev/null 2>&1; done
  rm -rf "$WORK"
}
trap cleanup EXIT
ip link set "$PF" up
table() { ethtool -x "$PF" | awk '/^ *[0-9]+: / {for (i = 2; i <= NF; i++) printf "%s ", $i}'; }
udp4() { ethtool -n "$PF" rx-flow-hash udp4 | tr '\n' ' '; }
usecs() { ethtool -c "$PF" | awk -v k="$1:" '$1 == k {print $2}'; }
irqs=$(for i in $(ls $DEV/msi_irqs); do grep -qE "^ *$i:.*$PF-" /proc/interrupts && echo $i; done)
aff() { for i in $irqs; do cat /proc/irq/$i/smp_affinity_list; done | tr '\n' ' '; }

step "what igb reports"
ethtool -x "$PF"; ethtool -c "$PF"; ethtool -l "$PF"
table0=$(table); udp40=$(udp4); rx0=$(usecs rx-usecs); tx0=$(usecs tx-usecs)
ok "table [$table0]; udp4: $udp40; rx-usecs $rx0 tx-usecs $tx0; queue irqs [$irqs] on [$(aff)]"
[ -n "$table0" ] || fail "ethtool -x shows no indirection table on igb"

step "rss: equal 2 (entry i → queue i mod 2), udp4 hashed on ports too"
cat >"$WORK/rss.yaml" <<YAML
version: 1
name: rss
nics:
  - name: $PF
    tuning:
      rss: {equal: 2, hashFields: {udp4: [sd, fn]}}
YAML
expect 0 "$PLUMB" apply "$WORK/rss.yaml"
equal2() { table | tr ' ' '\n' | grep . | awk '$1 != (NR - 1) % 2 {bad = 1} END {exit bad || NR == 0}'; }
t=$(table)
equal2 || fail "ethtool -x does not show entry i on queue i mod 2: [$t]"
udp4 | grep -q "L4 bytes 0 & 1" && udp4 | grep -q "L4 bytes 2 & 3" || fail "ethtool -n rx-flow-hash udp4 does not hash the ports: $(udp4)"
ok "ethtool -x: $(echo $t | wc -w) entries alternating 0 1; ethtool -n: $(udp4)"
expect 0 "$PLUMB" verify "$WORK/rss.yaml"
grep -q "PASS  $PF rss" "$WORK/out" && grep -q "PASS  $PF rx-flow-hash" "$WORK/out" || fail "verify has no passing rss / rx-flow-hash rows"
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/rss.yaml"
step "drift: the table put back by hand is repaired"
ethtool -X "$PF" weight 1 1   # contiguous halves; `default` would be i mod 2, the kernel's own default, already equal 2
expect 2 "$PLUMB" plan --detailed-exitcode "$WORK/rss.yaml"
expect 0 "$PLUMB" apply "$WORK/rss.yaml"
equal2 || fail "the table was not repaired: [$(table)]"
step "a hash key, tcp4 on addresses only: what igb says"
if ethtool -x "$PF" | grep -A1 "RSS hash key" | tail -1 | grep -q ":"; then
  ok "igb shows a hash key: $(ethtool -x "$PF" | grep -A1 'RSS hash key' | tail -1)"
else
  printf 'version: 1\nname: rss\nnics: [{name: %s, tuning: {rss: {hashKey: "6d:5a"}}}]\n' "$PF" >"$WORK/key.yaml"
  expect 1 "$PLUMB" plan "$WORK/key.yaml"
  grep -q "$PF (driver igb) has no RSS hash key to set" "$WORK/out" || fail "no clear refusal of hashKey on igb"
  ok "igb has no hash key (ethtool -x: Operation not supported): hashKey refused, naming the driver"
fi
printf 'version: 1\nname: rss\nnics: [{name: %s, tuning: {rss: {equal: 1, hashFields: {tcp4: sd}}}}]\n' "$PF" >"$WORK/tcp.yaml"   # equal 1 changes the table first: the rollback must undo it
expect 1 "$PLUMB" apply "$WORK/tcp.yaml"
grep -q "ETHTOOL_SRXFH tcp4 $PF: Invalid argument (EINVAL)" "$WORK/out" && grep -q "rolled back" "$WORK/out" || fail "the refusal does not name ETHTOOL_SRXFH tcp4 and EINVAL, or did not roll back"
equal2 || fail "the rollback of the tcp4 apply changed the table: [$(table)]"
ok "igb refuses tcp4 hashed on addresses only (EINVAL): the apply rolled back"
step "destroy restores the table and udp4"
expect 0 "$PLUMB" destroy "$WORK/rss.yaml"
[ "$(table)" = "$table0" ] || fail "table [$(table)], expected [$table0] back"
[ "$(udp4)" = "$udp40" ] || fail "udp4 $(udp4), expected $udp40 back"
ok "table and udp4 back"

step "advisor: a table that sends every entry to queue 0 → rss advice; applying it spreads the table"
ethtool -X "$PF" equal 1
expect 0 "$PLUMB" show --nic "$PF" --advise --interval 1 --output json
python3 - "$WORK/out" "$WORK/adv.yaml" <<'PY' || fail "no rss advice for a table on one queue"
import json, sys
r = json.load(open(sys.argv[1]))
rss = [a for a in r["advice"] if a["knob"] == "rss"]
print("advice:", [(a["knob"], a["counter"], a["symptom"]) for a in r["advice"]])
assert rss and rss[0]["counter"] == "ethtool -x" and "rss: {equal: 2}" in rss[0]["snippet"], rss
open(sys.argv[2], "w").write("version: 1\nname: adv\n" + rss[0]["snippet"])
PY
expect 0 "$PLUMB" apply "$WORK/adv.yaml"
equal2 || fail "the advice applied did not spread the table: [$(table)]"
expect 0 "$PLUMB" destroy "$WORK/adv.yaml"
ethtool -X "$PF" weight 1 1
[ "$(table)" = "$table0" ] || fail "table [$(table)], expected [$table0] back"
ok "rss advice applied (entry i → queue i mod 2), destroyed, igb's own table put back"

step "coalescing: what igb does not report is refused naming it"
printf 'version: 1\nname: co\nnics: [{name: %s, tuning: {coalesce: {adaptiveTx: true, rxFrames: 8}}}]\n' "$PF" >"$WORK/co.yaml"
expect 1 "$PLUMB" plan "$WORK/co.yaml"
grep -q "coalesce.adaptiveTx: $PF (driver igb) does not support adaptive-tx" "$WORK/out" || fail "adaptiveTx not refused naming igb"
step "coalescing: rx-usecs 50 and tx-usecs 30"
printf 'version: 1\nname: co\nnics: [{name: %s, tuning: {coalesce: {rxUsecs: 50, txUsecs: 30}}}]\n' "$PF" >"$WORK/co.yaml"
if echo "$irqs" | xargs -I{} grep -E "^ *{}:" /proc/interrupts | grep -q "$PF-TxRx-"; then
  # Queue pairs: tx completions share the rx vector, and igb refuses any tx-usecs (EINVAL).
  expect 1 "$PLUMB" apply "$WORK/co.yaml"
  grep -q "ETHTOOL_MSG_COALESCE_SET $PF" "$WORK/out" && grep -q "EINVAL" "$WORK/out" || fail "the refusal does not name COALESCE_SET and EINVAL"
  [ "$(usecs rx-usecs)" = "$rx0" ] || fail "rx-usecs $(usecs rx-usecs) after the refused apply, expected $rx0"
  ok "igb with paired queues ($PF-TxRx-N vectors) refuses tx-usecs 30 with EINVAL; the apply changed nothing"
  printf 'version: 1\nname: co\nnics: [{name: %s, tuning: {coalesce: {rxUsecs: 50, txUsecs: 0}}}]\n' "$PF" >"$WORK/co.yaml"
fi
expect 0 "$PLUMB" apply "$WORK/co.yaml"
[ "$(usecs rx-usecs)" = 50 ] || fail "ethtool -c shows rx-usecs $(usecs rx-usecs), not 50"
grep -q "PASS  $PF coalesce" "$WORK/out" || fail "verify has no passing coalesce row"
ok "ethtool -c: rx-usecs $(usecs rx-usecs) tx-usecs $(usecs tx-usecs)"
expect 0 "$PLUMB" destroy "$WORK/co.yaml"
[ "$(usecs rx-usecs)" = "$rx0" ] || fail "rx-usecs not restored"

step "irqAffinity beside irqbalance"
[ -x "$IRQBALANCE" ] || fail "no irqbalance at $IRQBALANCE: run Tests/lab/setup.sh"
[ -n "$irqs" ] || fail "no queue interrupts named $PF-"
printf 'version: 1\nname: irq\nnics: [{name: %s, tuning: {irqAffinity: spread}}]\n' "$PF" >"$WORK/irq.yaml"
"$IRQBALANCE" --foreground >"$WORK/ib.log" 2>&1 & ib=$!
sleep 1; kill -0 "$ib" || fail "irqbalance exited: $(cat "$WORK/ib.log")"
aff0=$(aff)
expect 1 "$PLUMB" apply "$WORK/irq.yaml"
grep -q "irqbalance (pid $ib) is running" "$WORK/out" && grep -q -- "--banirq=" "$WORK/out" || fail "the refusal does not name irqbalance's pid and the bans"
ok "refused while irqbalance (pid $ib) bans nothing"
kill "$ib"; wait "$ib" 2>/dev/null
bans=$(for i in $irqs; do printf -- '--banirq=%s ' $i; done)
"$IRQBALANCE" --foreground $bans >"$WORK/ib.log" 2>&1 & ib=$!
sleep 1; kill -0 "$ib" || fail "irqbalance exited: $(cat "$WORK/ib.log")"
expect 0 "$PLUMB" apply "$WORK/irq.yaml"
grep -q "irqbalance (pid $ib) runs and bans irq" "$WORK/out" || fail "the plan does not say irqbalance bans the queue irqs"
grep -q "PASS  $PF irqbalance" "$WORK/out" || fail "verify has no passing irqbalance row"
placed=$(aff)
ok "placed [$placed] (was [$aff0]) with irqbalance $bans"
sleep 12   # irqbalance's pass is every 10 s
[ "$(aff)" = "$placed" ] || fail "the placement moved under irqbalance: [$(aff)]"
expect 0 "$PLUMB" verify "$WORK/irq.yaml"
ok "after one irqbalance pass the queue interrupts are still on [$(aff)]"
expect 0 "$PLUMB" destroy "$WORK/irq.yaml"
[ "$(aff)" = "$aff0" ] || fail "affinity [$(aff)], expected [$aff0] back"
ok "restored"
