#!/usr/bin/env bash
# Installs what Plumb needs to build and test on Debian 12 (run as root).
# Swift itself is expected on PATH (Swift 6.x toolchain); everything else comes
# from Debian's packages. Idempotent.
set -euo pipefail
pkgs=(
  pkg-config libnl-3-dev libnl-route-3-dev libnl-genl-3-dev   # netlink (libnl)
  libnl-nf-3-dev                                              # conntrack (ctnetlink): verify's forwarding checks
  libnftables-dev nftables                                    # NAT (libnftables); nft only checks tests
  iproute2 iputils-ping ethtool util-linux procps             # tests check the kernel independently
  python3-minimal time strace                                 # traffic peers in tests; benchmark RSS; undo-failure injection
  containernetworking-plugins                                 # host-local, static, bridge: CNI tests (IPAM, the reference plugin)
  ansible-core                                                # the Ansible module's tests (ansible/)
  systemd-container                                           # systemd-nspawn: BootTests boot a real systemd with plumb.service
  prometheus curl                                             # promtool checks plumb metrics; curl scrapes --listen in tests
  dpkg-dev xz-utils binutils                                  # scripts/package.sh (dpkg-shlibdeps: the .deb's Depends); readelf checks them
  libstdc++-12-dev                                            # libstdc++.a: the release binary links the C++ runtime in (scripts/release-build.sh)
)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "install: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "install: swift is not on PATH (need a Swift 6 toolchain, e.g. /opt/swift/usr/bin)" >&2; exit 1; }
echo "install: dependencies present"
