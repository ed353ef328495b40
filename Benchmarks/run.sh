#!/usr/bin/env bash
# Benchmarks/run.sh [N] — N containers (netns + veth + bridge + address + route),
# side by side: plumb (release build) and scripts/ip-baseline.sh doing the same with
# `ip`, each in its own fresh sandbox (scripts/sandbox.sh). Prints ms per container
# per phase and plumb's peak RSS. Figures, not a test: nothing here asserts a speed.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
[ "$(id -u)" = 0 ] || { echo "bench: run as root (sandbox namespaces)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
swift build -c release --product plumb 2>&1 | tail -1
bin="$(swift build -c release --show-bin-path)/plumb"
work=$(mktemp -d /tmp/plumb-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
Benchmarks/gen-manifest.sh "$n" > "$work/bench.yaml"

# One sandbox: apply (no verify), verify, re-apply, destroy; each timed, each RSS taken.
scripts/sandbox.sh /bin/sh -c '
  bin=$1; m=$2; out=$3
  phase() { name=$1; shift
    s=$(date +%s%N)
    /usr/bin/time -f %M -o "$out/$name.rss" "$@" > "$out/$name.log" 2>&1 || echo "$name: exit $?" >> "$out/errors"
    e=$(date +%s%N); echo $(( (e - s) / 1000 )) > "$out/$name.us"; }
  phase apply   "$bin" apply --no-verify "$m"
  phase verify  "$bin" verify "$m"
  phase reapply "$bin" apply --no-verify "$m"
  phase plan    "$bin" plan --detailed-exitcode "$m"
  phase destroy "$bin" destroy "$m"
  ip -o link | wc -l > "$out/links-left"
' bench "$bin" "$work/bench.yaml" "$work"

# The baseline exits 1 when some of its pings fail (see its note on the ARP table);
# its timings still count, and the failure is shown below.
base=$(scripts/sandbox.sh scripts/ip-baseline.sh "$n" 2>&1 || true)

per() { awk -v us="$1" -v n="$n" 'BEGIN { printf "%.3f", us / 1000 / n }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.0f", us / 1000 }'; }
field() { echo "$base" | grep '^ip-baseline: apply_ms' | tr ' ' '\n' | sed -n "s/^$1=//p"; }
rss=$(cat "$work"/*.rss | grep -E '^[0-9]+$' | sort -n | tail -1)
echo
echo "bench: N=$n containers on one bridge ($(nproc) cores, kernel $(uname -r))"
printf '%-24s %12s %16s %18s\n' phase "plumb ms" "plumb ms/cont" "ip script ms/cont"
for p in apply verify reapply plan destroy; do
  us=$(cat "$work/$p.us"); b=""
  case $p in apply) b=$(field apply_ms);; verify) b=$(field verify_ms);; destroy) b=$(field destroy_ms);; esac
  printf '%-24s %12s %16s %18s\n' "$p" "$(ms "$us")" "$(per "$us")" "${b:+$(awk -v b="$b" -v n="$n" 'BEGIN { printf "%.3f", b / n }')}"
done
a=$(cat "$work/apply.us"); v=$(cat "$work/verify.us")
printf '%-24s %12s %16s\n' "apply+verify" "$(ms $((a + v)))" "$(per $((a + v)))"
echo "plumb peak RSS: $((rss / 1024)) MB ($rss KB)"
echo "plan after re-apply: $(head -1 "$work/plan.log")"
echo "verify: $(tail -1 "$work/verify.log")"
echo "links left in the sandbox after destroy: $(cat "$work/links-left") (lo)"
echo "ip baseline: $(echo "$base" | tr '\n' ' ')"
[ ! -s "$work/errors" ] || { echo "bench: phases failed:"; cat "$work/errors"; exit 1; }
