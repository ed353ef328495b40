#!/usr/bin/env bash
# Installs the container runtimes the client tests drive (docs/ARCHITECTURE.md §7 "clients") on
# Debian 12, as root, and prints their versions. Idempotent: installs only what is missing.
#
#   crun, runc                    OCI runtimes that run Plumb as a createRuntime/poststop hook
#   podman, conmon                a CNI runtime (network_backend = "cni") driving Plumb as a plugin
#   containerd                    1.6: `ctr run --cni` attaches tasks through go-cni, as its CRI
#                                 plugin does for kubelet's pods. The tests start a daemon of their
#                                 own (own root, state and socket); on a host that runs systemd the
#                                 package also enables containerd.service, which they never use
#   containernetworking-plugins   the reference bridge and host-local IPAM plugins (/usr/lib/cni);
#                                 pulls in iptables, which the reference bridge's ipMasq uses
#   busybox-static                the containers' whole userland (one static binary, no registry)
#
# --no-install-recommends keeps netavark, slirp4netns, fuse-overlayfs, buildah and uidmap out:
# the tests run rootful podman on the CNI backend with vfs storage.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-runtimes: run as root" >&2; exit 1; }
pkgs=(crun runc podman conmon golang-github-containers-common containerd containernetworking-plugins busybox-static iptables)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-runtimes: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for f in /usr/lib/cni/bridge /usr/lib/cni/host-local /bin/busybox /usr/bin/containerd /usr/bin/ctr; do
  [ -x "$f" ] || { echo "install-runtimes: $f is missing after install" >&2; exit 1; }
done
echo "install-runtimes: $(crun --version | head -1)"
echo "install-runtimes: $(runc --version | head -1)"
echo "install-runtimes: $(podman --version)"
echo "install-runtimes: $(conmon --version | head -1)"
echo "install-runtimes: $(containerd --version)"
echo "install-runtimes: containernetworking-plugins $(dpkg-query -W -f='${Version}' containernetworking-plugins)"
echo "install-runtimes: busybox $(/bin/busybox | head -1 | awk '{print $2}')"
