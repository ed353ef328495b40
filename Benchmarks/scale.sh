#!/usr/bin/env bash
# Benchmarks/scale.sh N BRIDGES [NOFILE] — N containers over BRIDGES bridges in a fresh
# sandbox, with the descriptor limit (soft and hard) set to NOFILE (default: as is):
# apply, verify, re-apply, plan, destroy; per phase ms, ms/container, peak RSS and the
# peak number of descriptors plumb held. Figures, not a test: nothing here asserts a speed.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}; b=${2:-2}; nofile=${3:-}
[ "$(id -u)" = 0 ] || { echo "scale: run as root (sandbox namespaces)" >&2; exit 1; }
swift build -c release --product plumb 2>&1 | tail -1
bin="$(swift build -c release --show-bin-path)/plumb"
work=$(mktemp -d /tmp/plumb-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT
Benchmarks/gen-scale.sh "$n" "$b" > "$work/scale.yaml"
scripts/sandbox.sh /bin/bash -c '
  bin=$1; m=$2; out=$3; nofile=$4
  [ -z "$nofile" ] || ulimit -n "$nofile"
  phase() { name=$1; shift
    s=$(date +%s%N)
    /usr/bin/time -f %M -o "$out/$name.rss" "$@" > "$out/$name.log" 2>&1 &
    tpid=$!; peak=0
    while kill -0 $tpid 2>/dev/null; do
      p=$(pgrep -P $tpid -x plumb | head -1)
      [ -n "$p" ] && c=$(ls /proc/$p/fd 2>/dev/null | wc -l) && [ "$c" -gt "$peak" ] && peak=$c
      sleep 0.02
    done
    wait $tpid || echo "$name: exit $?" >> "$out/errors"
    e=$(date +%s%N); echo $(( (e - s) / 1000 )) > "$out/$name.us"; echo $peak > "$out/$name.fds"; }
  echo "descriptor limit: soft $(ulimit -Sn), hard $(ulimit -Hn)" > "$out/limits"
  phase apply   "$bin" apply --no-verify "$m"
  phase verify  "$bin" verify "$m"
  phase reapply "$bin" apply --no-verify "$m"
  phase plan    "$bin" plan --detailed-exitcode "$m"
  phase destroy "$bin" destroy "$m"
  ip -o link | wc -l > "$out/links-left"; ip netns list | wc -l > "$out/netns-left"
' scale "$bin" "$work/scale.yaml" "$work" "$nofile"
echo
echo "scale: N=$n containers over $b bridges ($(nproc) cores, kernel $(uname -r)); $(cat "$work/limits")"
printf '%-10s %10s %14s %10s %10s\n' phase ms ms/container "RSS MB" "peak fds"
for p in apply verify reapply plan destroy; do
  us=$(cat "$work/$p.us"); rss=$(grep -E '^[0-9]+$' "$work/$p.rss" | tail -1 || echo 0)
  printf '%-10s %10.0f %14.3f %10.1f %10s\n' "$p" "$(echo "$us / 1000" | bc -l)" "$(echo "$us / 1000 / $n" | bc -l)" \
    "$(echo "${rss:-0} / 1024" | bc -l)" "$(cat "$work/$p.fds")"
done
echo "verify: $(tail -1 "$work/verify.log")"
echo "plan after re-apply: $(head -1 "$work/plan.log")"
echo "left after destroy: $(cat "$work/links-left") links (lo), $(cat "$work/netns-left") netns"
[ ! -s "$work/errors" ] || { echo "scale: phases failed:"; cat "$work/errors"; for f in "$work"/*.log; do echo "== $f"; tail -5 "$f"; done; exit 1; }
