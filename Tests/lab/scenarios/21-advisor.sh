#!/bin/bash
# Issue 16, must-show 3 (lab): igb with its smallest rx ring under a UDP flood from the
# peer. When the NIC drops for want of descriptors (rx_missed_errors), `plumb show --advise`
# must name the counter and its delta and advise `rings: {rx: MAX}`; applying that snippet
# must stop the drops. When the emulation drops nothing, the scenario says so (and checks
# that no ring advice was invented).
set -u
. "$(dirname "$0")/../scenario-lib.sh"
ring() { ethtool -g "$PF" | awk -v w="$1" '$0 ~ w {c=1} c && /^RX:/ {print $2; exit}'; }
missed() { ip -j -s link show "$PF" | python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["stats64"]["rx"]; print(s.get("missed_errors",0)+s.get("fifo_errors",0))'; }
rings0=$(ring "Current hardware")
cleanup() {
  kill "$flood" 2>/dev/null; wait "$flood" 2>/dev/null
  "$PLUMB" destroy "$WORK/adv.yaml" >/dev/null 2>&1
  ethtool -G "$PF" rx "$rings0" 2>/dev/null
  ip addr flush dev "$PF"; peer_down; rm -rf "$WORK"
}
flood=""
trap cleanup EXIT
ip link set "$PF" up
ip addr add 10.99.0.1/24 dev "$PF"
ip netns add peer; ip link set "$PEER" netns peer
ip -n peer addr add 10.99.0.2/24 dev "$PEER"; ip -n peer link set "$PEER" up
min=80; max=$(ring "Pre-set maximums")
ethtool -G "$PF" rx $min || fail "ethtool -G $PF rx $min"
ok "rx ring $(ring "Current hardware") of at most $max (was $rings0)"
for _ in $(seq 50); do ip netns exec peer ping -c1 -W1 10.99.0.1 >/dev/null 2>&1 && break; sleep 0.2; done

# flood SECONDS: UDP datagrams from the peer, as fast as one process sends them.
start_flood() {
  ip netns exec peer python3 -c '
import socket, time, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + float(sys.argv[1]); payload = b"x" * 1400
while time.time() < end:
    try: s.sendto(payload, ("10.99.0.1", 9))
    except OSError: pass
' "$1" & flood=$!
}

step "flood with rx ring $min, advise over 4 s"
m0=$(missed)
start_flood 7
sleep 1
expect 0 "$PLUMB" show --nic "$PF" --advise --interval 4 --output json
cp "$WORK/out" "$WORK/advice.json"
wait "$flood"; flood=""
m1=$(missed)
ok "rx_missed_errors + rx_fifo_errors moved by $((m1 - m0)) during the flood"
python3 - "$WORK/advice.json" "$PF" "$max" <<'PY' || fail "the advice is not what the counters call for"
import json, sys
r = json.load(open(sys.argv[1])); pf, mx = sys.argv[2], sys.argv[3]
print("advice:", [(a["knob"], a["counter"], a.get("delta")) for a in r["advice"]])
print("could not read:", r["unreadable"])
assert r["nic"] == pf and r["driver"] == "igb", r
assert "rings" not in r["unreadable"] and "interrupts" not in r["unreadable"], r["unreadable"]
for a in r["advice"]:
    assert a["counter"] and a["snippet"], a
rings = [a for a in r["advice"] if a["knob"] == "rings"]
for a in rings:
    assert a["counter"] in ("rx_missed_errors", "rx_fifo_errors") and a["delta"] > 0, a
    assert ("rings: {rx: %s}" % mx) in a["snippet"], a
open(sys.argv[1] + ".rings", "w").write(rings[0]["snippet"] if rings else "")
rps = [a for a in r["advice"] if a["knob"] == "rps"]
open(sys.argv[1] + ".rps", "w").write(rps[0]["snippet"] if rps else "")
PY
snippet=$(cat "$WORK/advice.json.rings")
rps=$(cat "$WORK/advice.json.rps")
if [ -n "$rps" ]; then
  step "apply the RPS advice (one busy queue) on igb: rps_cpus from the device's local_cpulist, restored by destroy"
  local_cpus=$(cat "$DEV/local_cpulist"); rps0=$(cat /sys/class/net/$PF/queues/rx-*/rps_cpus | tr '\n' ' ')
  { printf 'version: 1\nname: adv\n'; echo "$rps"; } >"$WORK/adv.yaml"
  expect 0 "$PLUMB" apply "$WORK/adv.yaml"
  rps1=$(cat /sys/class/net/$PF/queues/rx-*/rps_cpus | tr '\n' ' ')
  ok "local_cpulist $local_cpus; rps_cpus [$rps0] → [$rps1]; rps_flow_cnt $(cat /sys/class/net/$PF/queues/rx-*/rps_flow_cnt | tr '\n' ' ')"
  [ "$rps1" != "$rps0" ] && ! echo "$rps1" | grep -qw 0 || fail "rps_cpus not set on every rx queue: [$rps1]"
  grep -q "PASS  $PF rps" "$WORK/out" || fail "verify has no passing rps check"
  expect 0 "$PLUMB" destroy "$WORK/adv.yaml"
  [ "$(cat /sys/class/net/$PF/queues/rx-*/rps_cpus | tr '\n' ' ')" = "$rps0" ] || fail "rps_cpus not restored"
fi
if [ $((m1 - m0)) -eq 0 ]; then
  [ -z "$snippet" ] || fail "ring advice without a drop"
  ok "the emulated 82576 counted no rx_missed_errors with $min rx descriptors: QEMU's igb model does not drop for want of descriptors (while the ring is full it reports it cannot receive, and QEMU's net layer queues the frames at the sender), so there is no drop to advise on, and no ring advice was invented"
  exit 0
fi
[ -n "$snippet" ] || fail "drops ($((m1 - m0))) with rx ring $min < $max, but no ring advice"

step "apply the advice"
{ printf 'version: 1\nname: adv\n'; echo "$snippet"; } >"$WORK/adv.yaml"
cat "$WORK/adv.yaml"
expect 0 "$PLUMB" apply "$WORK/adv.yaml"
[ "$(ring "Current hardware")" = "$max" ] || fail "rx ring is $(ring "Current hardware") after applying the advice"
step "flood again with rx ring $max"
m2=$(missed); start_flood 5; wait "$flood"; flood=""; m3=$(missed)
ok "rx_missed_errors + rx_fifo_errors moved by $((m3 - m2)) (was $((m1 - m0)) with $min descriptors)"
[ $((m3 - m2)) -eq 0 ] || fail "drops continue after raising the ring to $max"
