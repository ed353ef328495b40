#!/bin/bash
# Boot ONE lab guest (QEMU TCG, emulated Intel 82576 `igb` with SR-IOV plus a
# virtio-net peer on the same QEMU hub, no path out of QEMU) and run scenarios in it.
#
#   Tests/lab/run.sh                  # every Tests/lab/scenarios/*.sh, in order
#   Tests/lab/run.sh 00-smoke-ip ...  # by name (from scenarios/) or by path
#
# Env: PLUMB_BIN (default <repo>/.build/debug/plumb), PLUMB_LAB_CACHE (default
# /var/cache/plumb-lab, filled by setup.sh), LAB_SCENARIO_TIMEOUT (s, default 300),
# LAB_BOOT_TIMEOUT (s, default 180), LAB_SHOW_CONSOLE=1 (always print the guest
# console), LAB_SHOW_KMSG=1 (print each scenario's guest kernel messages; they are
# shown anyway for a failure or when they contain BUG/Oops/WARNING), LAB_KEEP=1
# (keep the temp dir: console log, results, each scenario's $LAB_OUT files).
#
# The guest sees the host's / read-only over 9p and chroots into it, so every
# path below (repo, plumb binary, scenarios) must be the same in the guest; the
# guest's /tmp and /run are fresh tmpfs, so those must not live there.
set -u

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$LAB_DIR/../.." && pwd -P)
CACHE=${PLUMB_LAB_CACHE:-/var/cache/plumb-lab}
PLUMB=${PLUMB_BIN:-$REPO/.build/debug/plumb}
SCENARIO_TIMEOUT=${LAB_SCENARIO_TIMEOUT:-300}
BOOT_TIMEOUT=${LAB_BOOT_TIMEOUT:-180}

die() { echo "lab: error: $*" >&2; echo "lab: 0 passed, 1 failed"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (QEMU exports the host root over 9p)"
[ -r "$CACHE/lab.env" ] || die "no $CACHE/lab.env: run Tests/lab/setup.sh first"
. "$CACHE/lab.env"
[ -r "$LAB_KERNEL" ] && [ -r "$LAB_INITRD" ] || die "kernel or initramfs missing in $CACHE: run Tests/lab/setup.sh"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not installed: run Tests/lab/setup.sh"
case $PLUMB in /*) ;; *) PLUMB=$(pwd -P)/$PLUMB ;; esac

# Scenario list: "name path" lines.
hidden_in_guest() { case $1 in /tmp/*|/run/*|/proc/*|/sys/*|/dev/*) return 0 ;; esac; return 1; }
declare -a NAMES=() PATHS=()
add_scenario() {
  local p=$1 n
  if [ ! -f "$p" ]; then
    if [ -f "$LAB_DIR/scenarios/$1" ]; then p=$LAB_DIR/scenarios/$1
    elif [ -f "$LAB_DIR/scenarios/$1.sh" ]; then p=$LAB_DIR/scenarios/$1.sh
    else die "no scenario '$1' (looked in $LAB_DIR/scenarios)"; fi
  fi
  p=$(cd "$(dirname "$p")" && pwd -P)/$(basename "$p")
  case $p in "$REPO"/*) ;; *) hidden_in_guest "$p" && die "scenario $p is outside the repository and under a path the guest replaces with tmpfs; put it elsewhere" ;; esac
  n=$(basename "$p" .sh)
  NAMES+=("$n"); PATHS+=("$p")
}
if [ $# -gt 0 ]; then
  for a in "$@"; do add_scenario "$a"; done
else
  for p in "$LAB_DIR"/scenarios/*.sh; do [ -f "$p" ] && add_scenario "$p"; done
fi
[ ${#NAMES[@]} -gt 0 ] || die "no scenarios to run"
case $REPO in *" "*) die "the repository path $REPO has a space: the guest cannot be told where to mount it" ;; esac

WORK=$(mktemp -d /tmp/plumb-lab.XXXXXX)
SHARE=$WORK/share
mkdir -p "$SHARE/results" "$SHARE/work"
QEMU_PID=""
cleanup() {
  if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null; fi
  if [ "${LAB_KEEP:-0}" = 1 ]; then echo "lab: kept $WORK (console.log, share/results, share/work)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'echo "lab: interrupted"; exit 130' INT TERM

cp "$LAB_DIR/guest.sh" "$SHARE/guest.sh"
for i in "${!NAMES[@]}"; do echo "${NAMES[$i]} ${PATHS[$i]}"; done >"$SHARE/scenarios"
{
  printf 'LAB_REPO=%q\n' "$REPO"
  printf 'LAB_DIR=%q\n' "$LAB_DIR"
  printf 'PLUMB=%q\n' "$PLUMB"
  printf 'LAB_SCENARIO_TIMEOUT=%q\n' "$SCENARIO_TIMEOUT"
} >"$SHARE/env"

TOTAL_TIMEOUT=$((BOOT_TIMEOUT + ${#NAMES[@]} * (SCENARIO_TIMEOUT + 15) + 30))
echo "lab: kernel $LAB_KERNEL_VERSION, ${#NAMES[@]} scenario(s): ${NAMES[*]}"
echo "lab: repo $REPO, plumb $PLUMB$([ -x "$PLUMB" ] || echo ' (not built)')"
echo "lab: booting guest (TCG, overall timeout ${TOTAL_TIMEOUT} s)"

# Networking: two hub ports on one QEMU hub, nothing else (no user/tap netdev).
# QEMU's emulated IOMMU (intel-iommu, before the devices it translates for; the guest's
# intel_iommu=on) gives every VF an IOMMU group, so a VF can be bound to vfio-pci (Debian's
# kernel has no vfio no-IOMMU mode).
# One TCG thread for both vCPUs: with multi-threaded TCG, QEMU 10.0 aborted once while the
# guest resized the igb's SR-IOV BARs (`iotlb_to_section: Assertion section_index <
# d->map.sections_nb`: another vCPU thread used a stale memory map).
T0=$(date +%s.%N)
timeout -k 10 "$TOTAL_TIMEOUT" qemu-system-x86_64 \
  -accel tcg,thread=single -M q35,kernel-irqchip=split -m 1024 -smp 2 -nodefaults -nographic -no-reboot \
  -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" \
  -append "console=ttyS0 panic=-1 quiet rdinit=/init plumb_repo=$REPO intel_iommu=on" \
  -serial "file:$WORK/console.log" -monitor none \
  -netdev hubport,id=hp0,hubid=0 -netdev hubport,id=hp1,hubid=0 \
  -device intel-iommu,intremap=on \
  -device pcie-root-port,id=rp1,chassis=1 \
  -device igb,bus=rp1,netdev=hp0,mac=52:54:00:12:76:01,romfile= \
  -device pcie-root-port,id=rp2,chassis=2 \
  -device virtio-net-pci,bus=rp2,netdev=hp1,mac=52:54:00:12:76:02,romfile= \
  -device virtio-rng-pci \
  -virtfs local,path=/,mount_tag=hostroot,readonly=on,security_model=none,multidevs=remap \
  -virtfs "local,path=$SHARE,mount_tag=labshare,security_model=none" \
  -virtfs "local,path=$REPO,mount_tag=labrepo,readonly=on,security_model=none,multidevs=remap" \
  </dev/null >"$WORK/qemu.out" 2>&1 &
QEMU_PID=$!
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Progress while the guest runs: boot, then each scenario's result as it lands.
BOOT_S="" reported=0
while kill -0 "$QEMU_PID" 2>/dev/null; do
  if [ -z "$BOOT_S" ] && [ -f "$SHARE/booted-uptime" ]; then
    BOOT_S=$(elapsed "$T0" "$(date +%s.%N)")
    echo "lab: guest up after $BOOT_S s (guest uptime $(cat "$SHARE/booted-uptime") s)"
  fi
  while [ $reported -lt ${#NAMES[@]} ] && [ -f "$SHARE/results/${NAMES[$reported]}.rc" ]; do
    n=${NAMES[$reported]}
    echo "lab: $n exited $(cat "$SHARE/results/$n.rc") after $(cat "$SHARE/results/$n.time" 2>/dev/null) s"
    reported=$((reported + 1))
  done
  sleep 0.5
done
wait "$QEMU_PID"
QEMU_RC=$?
QEMU_PID=""
T1=$(date +%s.%N)

passed=0 failed=0 show_console=${LAB_SHOW_CONSOLE:-0}
for n in "${NAMES[@]}"; do
  log=$SHARE/results/$n.log rcf=$SHARE/results/$n.rc
  echo
  echo "===== $n"
  [ -f "$log" ] && cat "$log"
  if [ -f "$rcf" ]; then
    rc=$(cat "$rcf")
    kmsg=$SHARE/results/$n.kmsg
    if [ "$rc" = 0 ] && [ -f "$kmsg" ] && { [ "${LAB_SHOW_KMSG:-0}" = 1 ] || grep -qE 'BUG:|Oops|WARNING:|Call Trace' "$kmsg"; }; then
      cat "$kmsg"
    fi
    if [ "$rc" = 0 ]; then
      echo "===== $n: PASS ($(cat "$SHARE/results/$n.time") s)"
      passed=$((passed + 1))
    else
      [ -f "$SHARE/results/$n.kmsg" ] && cat "$SHARE/results/$n.kmsg"
      echo "===== $n: FAIL (exit $rc, $(cat "$SHARE/results/$n.time") s)"
      failed=$((failed + 1))
    fi
  else
    echo "===== $n: FAIL (the guest did not report a result)"
    failed=$((failed + 1)); show_console=1
  fi
done
echo
if [ ! -f "$SHARE/done" ]; then
  show_console=1
  case $QEMU_RC in
    124|137) echo "lab: the guest did not finish within ${TOTAL_TIMEOUT} s (killed)" ;;
    *) echo "lab: the guest stopped without reporting completion (QEMU exit $QEMU_RC)" ;;
  esac
  [ -f "$SHARE/guest-error" ] && echo "lab: guest: $(cat "$SHARE/guest-error")"
  [ -f "$SHARE/current" ] && echo "lab: it was running scenario $(cat "$SHARE/current")"
elif [ "$QEMU_RC" != 0 ]; then
  echo "lab: note: QEMU exited with $QEMU_RC after the guest finished"
fi
if [ "$show_console" = 1 ]; then
  echo "----- QEMU output"; cat "$WORK/qemu.out"
  echo "----- guest console"   # (minus the firmware's terminal escape sequences)
  sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' "$WORK/console.log" 2>/dev/null
  echo "----- end of console"
fi
if [ ! -f "$SHARE/done" ] && [ "$failed" = 0 ]; then
  failed=1   # every scenario reported, but the guest did not finish cleanly: still a failure
  echo "lab: counting the unfinished guest as a failure"
fi
echo "lab: QEMU ran $(elapsed "$T0" "$T1") s${BOOT_S:+ (guest up after $BOOT_S s)}"
echo "lab: $passed passed, $failed failed"
[ "$failed" = 0 ]
