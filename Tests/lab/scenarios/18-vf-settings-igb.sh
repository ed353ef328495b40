#!/bin/bash
# Issue 17 (every VF setting, capabilities on igb): what the igb driver itself refuses —
# link state, a minimum rate, 802.1ad, RSS query — checked with iproute2 against the real
# driver; `plumb show --nic` says the same from its driver facts and the kernel's report;
# a manifest asking for any of them is refused before any change, naming igb and the setting;
# every setting igb has, and the VF netdev's MTU, applied, re-planned as empty, drift found
# and repaired, and restored at destroy.
set -u
. "$(dirname "$0")/../scenario-lib.sh"
trap '"$PLUMB" destroy "$WORK/ok.yaml" >/dev/null 2>&1; echo 0 > $DEV/sriov_numvfs; rm -rf "$WORK"' EXIT
ip link set "$PF" up
echo 2 > $DEV/sriov_numvfs
for i in $(seq 50); do [ -n "$(ls $DEV/virtfn0/net/ 2>/dev/null)" ] && [ -n "$(ls $DEV/virtfn1/net/ 2>/dev/null)" ] && break; sleep 0.2; done
vf1=$(ls $DEV/virtfn1/net/) || fail "VF 1 has no netdev"
for i in $(seq 50); do [ "$(cat /sys/class/net/$PF/carrier 2>/dev/null)" = 1 ] && break; sleep 0.2; done
sleep 0.5   # igb refuses VF rates for a moment after VFs appear
before0=$(vf_line 0 | sed 's/^ *//'); before1=$(vf_line 1 | sed 's/^ *//')
mtu_before=$(cat /sys/class/net/$vf1/mtu)
ok "before: vf 0: $before0; vf 1: $before1 ($vf1, mtu $mtu_before)"

step "the igb driver itself (iproute2): no link state, no minimum rate, no 802.1ad, no RSS query"
refused() { if ip link set "$PF" vf 0 "$@" 2>"$WORK/err"; then fail "igb accepted vf 0 $*"; fi; echo "    vf 0 $*: $(cat "$WORK/err")"; }
refused state enable
refused min_tx_rate 10 max_tx_rate 100
refused vlan 5 proto 802.1ad
refused query_rss on
ip link set "$PF" vf 0 max_tx_rate 100 || fail "igb refused a maximum rate alone"
ip link set "$PF" vf 0 max_tx_rate 0
vf_line 0 | grep -q query_rss && fail "the kernel reports RSS query for igb: $(vf_line 0)"
[ "$(vf_line 0 | sed 's/^ *//')" = "$before0" ] || fail "vf 0 changed by refused settings: $(vf_line 0)"
ok "igb refuses them; its VFs report no RSS query (IFLA_VF_RSS_QUERY_EN -1)"

step "plumb show --nic: the capabilities, from the driver facts and the kernel"
expect 0 "$PLUMB" show --nic "$PF"
grep -q "^sriov $PF ($LAB_PF_PCI, driver igb):" "$WORK/out" || fail "no sriov section for $PF"
grep -q "VFs 2 of 7, VF driver igbvf" "$WORK/out" || fail "VF count or VF driver not shown"
grep -q "count change: through 0" "$WORK/out" || fail "count change rule not shown"
grep -q "linkState: no \[driver facts\] — igb has no ndo_set_vf_link_state" "$WORK/out" || fail "link state not refused"
grep -q "spoofCheck: yes \[driver facts + kernel\]" "$WORK/out" || fail "spoof check not confirmed by the kernel"
grep -q "trust: yes \[driver facts + kernel\]" "$WORK/out" || fail "trust not confirmed by the kernel"
grep -q "queryRSS: no" "$WORK/out" || fail "RSS query not refused"
expect 0 "$PLUMB" show --nic "$PF" --output json
python3 - "$WORK/out" <<'PY' || fail "JSON capabilities wrong"
import json, sys
s = json.load(open(sys.argv[1]))["sriov"]
by = {x["feature"]: x for x in s["settings"]}
assert s["driver"] == "igb" and s["totalVFs"] == 7 and s["vfDriver"] == "igbvf", s
assert by["linkState"]["support"] == "no" and by["minTxRate"]["support"] == "no" and by["vlanProto"]["support"] == "no", by
assert by["trust"]["support"] == "yes" and by["trust"]["source"] == "driver facts + kernel", by
PY
ok "capabilities shown"

step "a manifest asking igb for link state, a minimum rate, 802.1ad and RSS query: refused, naming igb and each setting"
cat >"$WORK/bad.yaml" <<YAML
version: 1
name: vfbad
nics:
  - name: $PF
    sriov: {numVFs: 2, vfs: [{index: 0, vlan: 12, vlanProto: 802.1ad, linkState: enable, minTxRate: 10, maxTxRate: 100, queryRSS: true}]}
YAML
expect 1 "$PLUMB" apply "$WORK/bad.yaml"
for s in "vlanProto: driver igb of $PF cannot set 802.1ad VF VLANs" "linkState: driver igb of $PF cannot set a VF's link state" \
         "minTxRate: driver igb of $PF cannot set a VF's minimum transmit rate" "queryRSS: driver igb of $PF cannot set a VF's RSS query permission"; do
  grep -qF "nics[0].sriov.vfs[0].$s" "$WORK/out" || fail "no refusal: $s"
done
[ "$(vf_line 0 | sed 's/^ *//')" = "$before0" ] || fail "vf 0 changed by a refused apply: $(vf_line 0)"
[ -z "$(ls /run/plumb/*.json 2>/dev/null)" ] || fail "a refused apply left a record"
ok "refused before any change"

step "every setting igb has, and the VF netdev's MTU: applied, re-planned as empty"
cat >"$WORK/ok.yaml" <<YAML
version: 1
name: vfok
nics:
  - name: $PF
    sriov:
      numVFs: 2
      vfs: [{index: 1, vlan: 12, qos: 3, mac: "02:00:00:00:00:31", spoofCheck: false, trust: true, maxTxRate: 100,
             minTxRate: 0, linkState: auto, queryRSS: false}]
containers:
  - {name: c1, netns: c1, interfaces: [{name: eth1, vf: {nic: $PF, index: 1}, mtu: 1400}]}
YAML
expect 0 "$PLUMB" apply --no-verify "$WORK/ok.yaml"
line=$(vf_line 1)
for want in "vlan 12, qos 3" "02:00:00:00:00:31" "max_tx_rate 100Mbps" "spoof checking off" "trust on"; do
  echo "$line" | grep -q "$want" || fail "vf 1 lacks '$want': $line"
done
[ "$(ip -n c1 -o link show eth1 | grep -o 'mtu [0-9]*')" = "mtu 1400" ] || fail "VF netdev mtu: $(ip -n c1 -o link show eth1)"
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/ok.yaml"
ok "applied: $line"

step "drift: trust off and the VF's MTU changed behind plumb's back → found, and repaired"
ip link set "$PF" vf 1 trust off
ip -n c1 link set eth1 mtu 1500
expect 2 "$PLUMB" plan --detailed-exitcode "$WORK/ok.yaml"
grep -q "vf 1 trust on" "$WORK/out" || fail "the plan does not restore trust"
grep -q "mtu 1400" "$WORK/out" || fail "the plan does not restore the MTU"
expect 0 "$PLUMB" apply --no-verify "$WORK/ok.yaml"
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/ok.yaml"
ok "repaired"

step "destroy: VF 1 home as $vf1 with its MTU, every PF-side setting as before"
expect 0 "$PLUMB" destroy "$WORK/ok.yaml"
[ "$(ls $DEV/virtfn1/net/ 2>/dev/null)" = "$vf1" ] || fail "VF 1 is not home as $vf1: $(ls $DEV/virtfn1/net/ 2>/dev/null)"
[ "$(cat /sys/class/net/$vf1/mtu)" = "$mtu_before" ] || fail "VF 1 mtu $(cat /sys/class/net/$vf1/mtu), was $mtu_before"
[ "$(vf_line 1 | sed 's/^ *//')" = "$before1" ] || fail "vf 1 not restored: before '$before1', after '$(vf_line 1 | sed 's/^ *//')'"
[ "$(cat $DEV/sriov_numvfs)" = 2 ] || fail "sriov_numvfs changed"
ok "restored: $(vf_line 1 | sed 's/^ *//')"
