#!/usr/bin/env bash
# The README's second command: the whole test suite, as root.
#   unit tests (no privileges) and root tests (each in a private namespace it
#   creates) via `swift test`; then the lab (emulated Intel 82576 under QEMU)
#   when Tests/lab is present. Exit non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "test: run as root: the root tests create network namespaces" >&2; exit 1; }
scripts/install.sh
scripts/install-runtimes.sh   # crun, runc, podman, the reference CNI plugins: the runtime tests drive them
swift build --build-tests 2>&1 | tail -1
# The Debian package (a static release build, ~3 min from scratch): PackageTests installs it.
scripts/package.sh
# The engine's unit tests need no privileges (they run on a fake kernel): prove it by
# running them as nobody, before the suite runs them as root.
xctest=$(swift build --show-bin-path)/PlumbPackageTests.xctest
setpriv --reuid 65534 --regid 65534 --clear-groups -- "$xctest" --testing-library swift-testing --filter PlumbEngineTests \
  2>&1 | grep -aE "Test run with|✘" | sed 's/^/as nobody: /'
[ "${PIPESTATUS[0]}" = 0 ] || { echo "test: the engine unit tests failed as nobody"; exit 1; }
# Not under -e/pipefail: a failing run must still reach the lines below that say why.
set +e
swift test --skip-build 2>&1 | tee /tmp/plumb-swift-test.log | grep -vE '^\[|^Test Suite|^Test Case' | tail -40
status=${PIPESTATUS[0]}
set -e
# The reliability campaign's counts, for the CI log (the log may hold NULs: -a).
grep -aE '^(fault-injection|crash|concurrency|fuzz|cni-fuzz|hook-fuzz|hostile):' /tmp/plumb-swift-test.log || true
if [ "$status" != 0 ]; then
  # The tail above shows which tests failed; the CI log also needs why.
  echo "test: what the failing tests recorded:"
  grep -a -A8 "recorded an issue" /tmp/plumb-swift-test.log | cut -c1-400 | head -150
  echo "test: swift test failed (full log: /tmp/plumb-swift-test.log)"; exit "$status"
fi
if [ -x Tests/lab/run.sh ] && [ "${PLUMB_SKIP_LAB:-0}" != 1 ]; then
  Tests/lab/setup.sh
  Tests/lab/run.sh
fi
