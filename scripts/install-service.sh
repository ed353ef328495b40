#!/usr/bin/env bash
# Installs Plumb as a node's boot service (run as root):
#   the release binary         → $DESTDIR/usr/local/sbin/plumb
#   systemd/plumb.service,
#   systemd/plumb-watch.service → $DESTDIR/etc/systemd/system/ (ExecStart rewritten to that binary)
#   the manifest directory     → $DESTDIR/etc/plumb/ (created empty; existing manifests are kept)
# then `systemctl daemon-reload`, only when systemd runs this machine (PID 1): in a
# container, a chroot or a package build (DESTDIR set) there is no manager to tell.
# It does not enable or start anything: `systemctl enable --now plumb.service` is the
# operator's decision, once /etc/plumb/ holds the manifests wanted at boot.
#
# Not run by scripts/demo.sh: the demo is meant to leave the machine as it found it, and
# this changes what the machine does at its next boot.
#
# Environment: PLUMB_BIN (the binary to install; default .build/release/plumb, built when
# missing), DESTDIR (a staging root; default /).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dest=${DESTDIR:-}
sbin=/usr/local/sbin/plumb     # the path the units name on the installed machine

[ "$(id -u)" = 0 ] || [ -n "$dest" ] || { echo "install-service: run as root" >&2; exit 1; }

bin=${PLUMB_BIN:-$repo/.build/release/plumb}
if [ -z "${PLUMB_BIN:-}" ] && [ ! -x "$bin" ]; then
  echo "install-service: building the release binary (swift build -c release)"
  (cd "$repo" && swift build -c release --product plumb)
fi
[ -x "$bin" ] || { echo "install-service: no executable plumb at $bin" >&2; exit 1; }
# A binary whose Swift runtime cannot be found would fail at every boot, silently until
# someone reads the journal: refuse it now (build on the node, or with the toolchain at
# the same path).
if missing=$(ldd "$bin" | grep "not found"); then
  echo "install-service: $bin cannot run here, libraries not found:" >&2
  echo "$missing" >&2
  exit 1
fi

install -D -m 0755 "$bin" "$dest$sbin"
install -d -m 0755 "$dest/etc/systemd/system"
for unit in plumb.service plumb-watch.service; do
  # Only the command's path changes; the units in the repository name /usr/sbin/plumb,
  # where a distribution package puts it.
  sed "s#^\(Exec[A-Za-z]*=\)/usr/sbin/plumb #\1$sbin #" "$repo/systemd/$unit" >"$dest/etc/systemd/system/$unit.tmp"
  chmod 0644 "$dest/etc/systemd/system/$unit.tmp"
  mv "$dest/etc/systemd/system/$unit.tmp" "$dest/etc/systemd/system/$unit"
  grep -q "^ExecStart=$sbin " "$dest/etc/systemd/system/$unit" ||
    { echo "install-service: $unit: ExecStart was not rewritten to $sbin" >&2; exit 1; }
done
install -d -m 0755 "$dest/etc/plumb"

if [ -z "$dest" ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
  systemctl daemon-reload
  echo "install-service: installed $sbin and the units; systemd reloaded"
else
  echo "install-service: installed $dest$sbin and the units in $dest/etc/systemd/system (systemd is not PID 1 here: no daemon-reload)"
fi
echo "install-service: put manifests in /etc/plumb/, then: systemctl enable --now plumb.service"
