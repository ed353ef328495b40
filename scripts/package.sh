#!/usr/bin/env bash
# Builds the Debian package a node installs without a Swift toolchain:
#   .build/package/plumb_VERSION_ARCH.deb (older plumb_*.deb there are removed first)
# containing
#   /usr/sbin/plumb                          the release binary, Swift runtime linked in statically
#   /usr/lib/cni/plumb, /opt/cni/bin/plumb   the CNI plugin (links to it: a CNI plugin when CNI_COMMAND is set)
#   /usr/lib/systemd/system/plumb*.service   the units of systemd/ (installed, never enabled)
#   /usr/share/{bash-completion,zsh,fish}/…  completions, generated from the command definitions
#   /usr/share/man/man8/plumb.8.gz           the manual, generated from the command definitions
#   /etc/plumb/                              the manifest directory (empty)
# Depends: is computed from the binary's shared libraries (dpkg-shlibdeps), so it names
# exactly Debian's libnl, libnftables and C runtime packages the binary links.
# Needs dpkg-dev (scripts/install.sh) and swift on PATH; root is not needed
# (dpkg-deb --root-owner-group makes every file root's).
# Environment: PLUMB_PACKAGE_DIR (where the .deb goes), PLUMB_MAINTAINER ("Name <email>").
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${PLUMB_PACKAGE_DIR:-$repo/.build/package}
maintainer=${PLUMB_MAINTAINER:-Plumb maintainers <plumb@example.org>}
cd "$repo"

say() { echo "package: $*"; }
fail() { echo "package: $*" >&2; exit 1; }

# 1. The binary: the Swift runtime, Foundation and libstdc++ linked in, so only system
# libraries remain (scripts/release-build.sh says why each flag). generate-manual is
# swift-argument-parser's own tool (what its GenerateManual plugin runs), built with the same
# flags so the two builds share one build plan.
. "$repo/scripts/release-build.sh"
say "${build[*]}"
"${build[@]}" --product plumb 2>&1 | tail -1
"${build[@]}" --product generate-manual 2>&1 | tail -1
bin=$("${build[@]}" --show-bin-path)/plumb
manual=$("${build[@]}" --show-bin-path)/generate-manual
toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
libs=$(ldd "$bin")
if grep -q "not found" <<<"$libs" || grep -qF "$toolchain" <<<"$libs" || grep -qi "swift" <<<"$libs"; then
  fail "$bin still needs the toolchain's libraries:"$'\n'"$libs"
fi
version=$("$bin" --version)
[[ $version =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || fail "plumb --version printed '$version', not a package version"
arch=$(dpkg --print-architecture)

# 2. The tree, under a scratch directory removed on exit.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/debian/plumb       # the layout dpkg-shlibdeps expects (debian/PACKAGE)
install -D -m 0755 --strip "$bin" "$root/usr/sbin/plumb"
install -d -m 0755 "$root/usr/lib/cni" "$root/opt/cni/bin" "$root/etc/plumb"
# Debian's CNI plugins live in /usr/lib/cni (containernetworking-plugins, podman's default);
# upstream runtimes (containerd, Multus, kubelet's default) look in /opt/cni/bin.
ln -s ../../sbin/plumb "$root/usr/lib/cni/plumb"
ln -s /usr/sbin/plumb "$root/opt/cni/bin/plumb"
install -D -m 0644 -t "$root/usr/lib/systemd/system" systemd/plumb.service systemd/plumb-watch.service
grep -q '^ExecStart=/usr/sbin/plumb ' "$root/usr/lib/systemd/system/plumb.service" ||
  fail "systemd/plumb.service does not run /usr/sbin/plumb"

# Completions: swift-argument-parser writes them from the same definitions `--help` reads.
install -d -m 0755 "$root/usr/share/bash-completion/completions" \
  "$root/usr/share/zsh/vendor-completions" "$root/usr/share/fish/vendor_completions.d"
# bash-completion sources the file: a #! line in it is only noise (lintian says so).
"$bin" --generate-completion-script bash | sed '1{/^#!/d}' >"$root/usr/share/bash-completion/completions/plumb"
"$bin" --generate-completion-script zsh >"$root/usr/share/zsh/vendor-completions/_plumb"
"$bin" --generate-completion-script fish >"$root/usr/share/fish/vendor_completions.d/plumb.fish"

# The manual: section 8 (system administration: plumb runs as root), one page with every
# subcommand, from the binary's own command definitions (--experimental-dump-help). mdoc
# reads an empty line as a stray blank (a warning from man); .Pp is the paragraph break meant.
install -d -m 0755 "$root/usr/share/man/man8"
"$manual" "$bin" --section 8 --date "$(date -u -r "$bin" +%F)" --output-directory "$work"
sed 's/^$/.Pp/' "$work/plumb.8" | gzip -9n >"$root/usr/share/man/man8/plumb.8.gz"

install -d -m 0755 "$root/usr/share/doc/plumb"
cp README.md "$root/usr/share/doc/plumb/README.md"
# A native package's changelog: which commit this build is (dpkg and apt read none of it).
{
  printf 'plumb (%s) unstable; urgency=medium\n\n' "$version"
  printf '  * Built by scripts/package.sh from commit %s.\n\n' "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -r "$bin")"
} | gzip -9n >"$root/usr/share/doc/plumb/changelog.gz"
find "$root" -type f -path '*/share/*' -exec chmod 0644 {} +

# 3. Depends: from the shared libraries the binary links (dpkg-shlibdeps reads the
# shlibs/symbols files of the packages that own them, with the minimum versions they say).
mkdir -p "$root/DEBIAN"
printf 'Source: plumb\n\nPackage: plumb\nArchitecture: any\n' >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O debian/plumb/usr/sbin/plumb | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || fail "dpkg-shlibdeps found no dependencies for $bin"

# 4. Control files and maintainer scripts.
cat >"$root/DEBIAN/control" <<EOF
Package: plumb
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: nftables, iproute2
Section: net
Priority: optional
Description: declarative container networking and SR-IOV for Linux
 Plumb provisions bridges, veths, network namespaces, SR-IOV virtual functions,
 VLANs, routes and NAT from a YAML manifest, through netlink and libnftables,
 verifies that packets flow, and removes everything it made. It is also a CNI
 plugin (/usr/lib/cni/plumb, /opt/cni/bin/plumb) and ships systemd units that
 apply and watch the manifests in /etc/plumb (installed, not enabled).
EOF
# systemd learns of new or removed units only when told; outside systemd (a container,
# a chroot, a build root) there is nobody to tell. Nothing is enabled or started.
for script in postinst postrm; do
  cat >"$root/DEBIAN/$script" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
EOF
  chmod 0755 "$root/DEBIAN/$script"
done

# 5. The package.
mkdir -p "$out"
rm -f "$out"/plumb_*.deb       # one package there, the one just built (PackageTests takes it)
deb=$out/plumb_${version}_${arch}.deb
dpkg-deb --build --root-owner-group -Zxz "$root" "$deb" >/dev/null
say "$deb ($(du -h "$deb" | cut -f1); Depends: $depends)"
