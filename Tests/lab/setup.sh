#!/bin/bash
# Prepare the emulated-82576 lab on a Debian 12 host (run as root; idempotent).
#
#  1. make sure apt knows bookworm-backports (same mirror as the existing sources)
#  2. install qemu-system-x86 from bookworm-backports (QEMU >= 8 has `-device igb`)
#     and the host tools the initramfs build needs (kmod for modinfo, cpio)
#  3. into $PLUMB_LAB_CACHE (default /var/cache/plumb-lab): download Debian's
#     linux-image-6.12.*-amd64 and busybox-static, unpack them, and build a
#     busybox initramfs that loads the needed modules in dependency order
#
# Everything is cached by kernel version; a second run only checks and prints.
# Tests/lab/run.sh reads $PLUMB_LAB_CACHE/lab.env written at the end.
set -eu   # no pipefail: several `producer | grep -q` checks below rely on early exit

CACHE=${PLUMB_LAB_CACHE:-/var/cache/plumb-lab}
START=$(date +%s)
export DEBIAN_FRONTEND=noninteractive

say() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"
[ -r /etc/os-release ] && . /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || say "warning: expected Debian 12 (bookworm), found ${PRETTY_NAME:-unknown}"

# Modules the guest needs. Anything built into the kernel (modules.builtin) or
# absent is skipped; dependencies are added from each module's `depends=`.
# virtio_rng (with run.sh's virtio-rng-pci) seeds the guest's entropy at boot:
# without it getrandom(2), which Swift's SystemRandomNumberGenerator uses, can
# block for tens of seconds under TCG. veth/bridge/dummy/nf_tables are for
# scenarios beyond SR-IOV (bridges, NAT) and cost little. vfio_pci (and the type1 IOMMU
# backend its group file opens) is for VFs bound to userspace (DPDK): loading it binds nothing.
# ipvlan for the ipvlan kind (this machine's kernel has none).
WANT_MODULES="virtio_pci virtio_net virtio_rng 9p 9pnet_virtio igb igbvf 8021q ipvlan veth bridge dummy
  nf_tables nft_chain_nat nft_masq nft_nat nft_ct nf_conntrack nf_nat vfio_pci vfio_iommu_type1"
# insmod parameters (dummy would otherwise create dummy0 at load)
declare -A MOD_PARAMS=([dummy]="numdummies=0")

# ---------------------------------------------------------------- 1. apt sources
backports_configured() {
  # one-line format
  grep -hsE '^[[:space:]]*deb[[:space:]].*[[:space:]]bookworm-backports([[:space:]]|$)' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list | grep -q . && return 0
  # deb822 format
  grep -hsiE '^[[:space:]]*Suites:.*(^|[[:space:]])bookworm-backports([[:space:]]|$)' \
    /etc/apt/sources.list.d/*.sources | grep -q . && return 0
  return 1
}

# Prints "URI SIGNED_BY" of the first enabled entry that serves the plain
# `bookworm` suite (the main archive, not -security).
main_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && suites ~ /(^| )bookworm( |$)/ && uri != "") {
          print uri, (signed == "" ? "-" : signed); found = 1; exit
        }
        types = ""; suites = ""; uri = ""; signed = ""; enabled = ""
      }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
        if (key == "types") types = $0
        else if (key == "suites") suites = $0
        else if (key == "uris") { split($0, u, " "); uri = u[1] }
        else if (key == "signed-by") signed = $0
        else if (key == "enabled") enabled = tolower($0) }
      END { if (!found) flush() }
    ' "$f" | head -n1 | grep . && return 0
  done
  grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
    awk '{ i = 2; opts = "-"
           if ($2 ~ /^\[/) { opts = ""; while ($i !~ /\]$/) { opts = opts $i " "; i++ } opts = opts $i; i++ }
           if ($(i + 1) == "bookworm") {
             s = "-"; if (match(opts, /signed-by=[^] ]+/)) s = substr(opts, RSTART + 10, RLENGTH - 10)
             print $i, s; exit } }' | grep . && return 0
  return 1
}

apt_updated=0
if backports_configured; then
  say "apt: bookworm-backports already configured"
else
  read -r uri signed < <(main_mirror) || die "no enabled 'bookworm' entry in apt sources to take the mirror from"
  src=/etc/apt/sources.list.d/plumb-lab-backports.sources
  {
    echo "# added by plumb Tests/lab/setup.sh (same mirror as the bookworm entry)"
    echo "Types: deb"
    echo "URIs: $uri"
    echo "Suites: bookworm-backports"
    echo "Components: main"
    [ "$signed" != "-" ] && echo "Signed-By: $signed"
  } >"$src"
  say "apt: added bookworm-backports from $uri ($src)"
  apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null
  apt_updated=1
fi
if ! apt-cache policy 2>/dev/null | grep -q 'bookworm-backports'; then
  [ "$apt_updated" = 1 ] && die "apt does not see bookworm-backports after update"
  say "apt: updating package lists"
  apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null
  apt_updated=1
fi

# ---------------------------------------------------------------- 2. host packages
installed_version() { dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$1" 2>/dev/null | awk '$1 == "ii" { print $2 }'; }

qv=$(installed_version qemu-system-x86)
if [[ "$qv" == *bpo* ]] && qemu-system-x86_64 -device help 2>/dev/null | grep -q '"igb"'; then
  say "qemu: qemu-system-x86 $qv (backports) already installed"
else
  say "qemu: installing qemu-system-x86 from bookworm-backports"
  apt-get install -y -q -o DPkg::Lock::Timeout=600 -t bookworm-backports --no-install-recommends qemu-system-x86 >/dev/null
  qv=$(installed_version qemu-system-x86)
  qemu-system-x86_64 -device help 2>/dev/null | grep -q '"igb"' || die "installed QEMU $qv has no igb device"
  say "qemu: installed qemu-system-x86 $qv"
fi

missing=""
for p in kmod cpio xz-utils zstd make gcc-12; do
  [ -n "$(installed_version "$p")" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
  say "host tools: installing$missing"
  apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends $missing >/dev/null
else
  say "host tools: kmod cpio xz-utils zstd make gcc-12 already installed"
fi

# ---------------------------------------------------------------- 3. kernel + busybox
mkdir -p "$CACHE/debs"
cd "$CACHE/debs"

# Newest linux-image-6.12.*-amd64 in backports, signed or -unsigned (both carry
# the modules; the guest boots with -kernel so the signature does not matter).
# Newest version first; the first one whose .deb really holds igb.ko wins.
# PLUMB_LAB_KERNEL_PACKAGE=<name> pins one package instead.
if [ -n "${PLUMB_LAB_KERNEL_PACKAGE:-}" ]; then
  names=$PLUMB_LAB_KERNEL_PACKAGE
else
  names=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+.*-amd64(-unsigned)?$' | awk '{ print $1 }' |
    grep -vE -- '-(dbg|rt|cloud)-' | grep -vE -- '-dbg$')
fi
[ -n "$names" ] || die "apt-cache search found no linux-image-6.12.*-amd64 package"
# "version package" for every one of them that bookworm-backports offers, newest first
mapfile -t kernel_cands < <(
  apt-cache madison $names 2>/dev/null |
    awk -F'|' '$3 ~ /bookworm-backports/ { gsub(/ /, "", $1); gsub(/ /, "", $2); print $2, $1 }' |
    sort -V -r -k1,1 -k2,2)
[ "${#kernel_cands[@]}" -gt 0 ] || die "bookworm-backports offers none of: $names"

deb_has_modules() {  # deb [unpacked dir]
  if [ -e "$2/.unpacked" ]; then ls -d "$2"/lib/modules/*/kernel/drivers/net/ethernet/intel/igb/igb.ko* >/dev/null 2>&1
  else dpkg-deb -c "$1" 2>/dev/null | grep -qE '/kernel/drivers/net/ethernet/intel/igb/igb\.ko'; fi
}

kpkg="" kdeb=""
for c in "${kernel_cands[@]}"; do
  v=${c%% *} p=${c#* }
  deb=$(ls -1 "${p}_${v//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
  if [ -z "$deb" ]; then
    say "kernel: downloading $p $v"
    apt-get download -q -o APT::Sandbox::User=root "$p=$v" >/dev/null 2>&1 || { say "kernel: download of $p failed, trying next"; continue; }
    deb=$(ls -1 "${p}_${v//:/%3a}_"*.deb | head -n1)
  fi
  if deb_has_modules "$deb" "$CACHE/kernel/${deb%.deb}"; then
    kpkg=$p kdeb=$deb
    break
  fi
  say "kernel: $deb has no modules, trying next"
done
[ -n "$kpkg" ] || die "no linux-image-6.12.*-amd64 package from bookworm-backports contains the igb module"

bdeb=$(ls -1 busybox-static_*.deb 2>/dev/null | head -n1 || true)
if [ -z "$bdeb" ]; then
  say "busybox: downloading busybox-static"
  apt-get download -q -o APT::Sandbox::User=root busybox-static >/dev/null
  bdeb=$(ls -1 busybox-static_*.deb | head -n1)
fi

# Unpack (cached by package file name).
kroot="$CACHE/kernel/${kdeb%.deb}"
if [ ! -e "$kroot/.unpacked" ]; then
  rm -rf "$kroot"; mkdir -p "$kroot"
  dpkg -x "$kdeb" "$kroot"
  touch "$kroot/.unpacked"
  say "kernel: unpacked $kdeb"
fi
broot="$CACHE/busybox/${bdeb%.deb}"
if [ ! -e "$broot/.unpacked" ]; then
  rm -rf "$broot"; mkdir -p "$broot"
  dpkg -x "$bdeb" "$broot"
  touch "$broot/.unpacked"
  say "busybox: unpacked $bdeb"
fi
BUSYBOX="$broot/bin/busybox"
[ -x "$BUSYBOX" ] || die "no bin/busybox in $bdeb"

kver=$(ls -1 "$kroot/lib/modules" | head -n1)
VMLINUZ="$kroot/boot/vmlinuz-$kver"
MODDIR="$kroot/lib/modules/$kver"
[ -f "$VMLINUZ" ] && [ -d "$MODDIR/kernel" ] || die "unexpected layout in $kdeb (no vmlinuz-$kver or modules)"
say "kernel: $kpkg ($kdeb), version $kver"

# ---------------------------------------------------------------- initramfs
# The /init below is kept in this script; its hash is part of the cache key, so
# editing it rebuilds the image. It only prepares the guest; the work itself
# is done by Tests/lab/guest.sh, which run.sh puts into the share, so changing
# the scenarios or the guest runner never needs a rebuild.
read -r -d '' INIT <<'EOF' || true
#!/bin/busybox sh
# plumb lab initramfs /init
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "lab-init: loading modules"
while read -r m params; do
  insmod "/modules/$m.ko" $params || echo "lab-init: insmod $m failed"
done </modules/order
fail() { echo "lab-init: FATAL: $*"; echo "LAB-GUEST-FAILED"; sync; poweroff -f; sleep 5; echo o >/proc/sysrq-trigger; }
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /newroot || fail "cannot mount host root"
for d in proc sys dev tmp run; do [ -d /newroot/$d ] || fail "host root has no /$d"; done
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
mount -t tmpfs -o mode=755 tmpfs /newroot/run
mkdir -p /newroot/run/lab
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 labshare /newroot/run/lab || fail "cannot mount lab share"
# The repository is also exported on its own and mounted at its host path, so a
# clone under /tmp or /run (which the guest covers with tmpfs) is still visible.
repo=$(sed -n 's/.*plumb_repo=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "$repo" ]; then
  mkdir -p "/newroot$repo" 2>/dev/null
  mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose labrepo "/newroot$repo" || fail "cannot mount the repository at $repo"
fi
[ -f /newroot/run/lab/guest.sh ] || fail "no guest.sh in the lab share"
echo "lab-init: chroot into the host root, running guest.sh"
chroot /newroot /bin/sh /run/lab/guest.sh
echo "lab-init: guest.sh exited with $?"
sync
umount /newroot/run/lab 2>/dev/null
[ -n "$repo" ] && umount "/newroot$repo" 2>/dev/null
poweroff -f
sleep 5
echo o >/proc/sysrq-trigger
EOF

declare -A KO=()   # module name ('-' -> '_') -> path of its .ko[.xz|.zst|.gz]
while IFS= read -r p; do
  n=${p##*/}; n=${n%.xz}; n=${n%.zst}; n=${n%.gz}; n=${n%.ko}; n=${n//-/_}
  KO[$n]=$p
done < <(find "$MODDIR/kernel" -name '*.ko*')
mod_path() { echo "${KO[${1//-/_}]:-}"; }
is_builtin() {
  local n=${1//-/_}
  [ -f "$MODDIR/modules.builtin" ] && sed 's#.*/##; s#\.ko$##; s#-#_#g' "$MODDIR/modules.builtin" | grep -qx "$n"
}
mod_depends() {
  local p=$1
  if command -v modinfo >/dev/null; then
    modinfo -F depends "$p" 2>/dev/null
  else  # fallback: read depends= out of the .modinfo strings
    case $p in *.xz) xz -dc "$p" ;; *.zst) zstd -qdc "$p" ;; *.gz) gzip -dc "$p" ;; *) cat "$p" ;; esac |
      tr '\0' '\n' | sed -n 's/^depends=//p' | head -n1
  fi | tr ',' ' '
}

# Depth-first resolution: a module is appended after all its dependencies.
declare -A STATE=()
ORDER=()
resolve() {
  local m=${1//-/_} p d
  [ "${STATE[$m]:-}" = "done" ] && return 0
  [ "${STATE[$m]:-}" = active ] && die "module dependency cycle at $m"
  p=$(mod_path "$m")
  if [ -z "$p" ]; then
    STATE[$m]="done"
    is_builtin "$m" || say "initramfs: module $m not found (not modular in $kver?), skipped"
    return 0
  fi
  STATE[$m]=active
  if [ "$m" = libcrc32c ]; then resolve crc32c_generic; fi  # libcrc32c needs a crc32c provider first
  for d in $(mod_depends "$p"); do resolve "$d"; done
  STATE[$m]="done"
  ORDER+=("$m")
}
# ---------------------------------------------------------------- netdevsim
# A second SR-IOV driver for the lab: netdevsim is a PF whose VFs accept every
# PF-side setting (link state, min/max rate, trust, spoof check, VLAN with
# 802.1ad, query RSS) and which has a devlink eswitch (legacy|switchdev). Debian
# builds its kernel without it (CONFIG_NETDEVSIM is not set), so it is built
# here out of tree from the kernel's own source package, against the headers of
# exactly that kernel build (same version: modversions must match), and cached.
# It is loaded at boot but creates nothing until a scenario writes to
# /sys/bus/netdevsim/new_device. Unsigned: the guest kernel logs a taint, no more.
build_netdevsim() {
  local kv=$1 v=$2 base=${1%-amd64} out="$CACHE/netdevsim/$1"
  [ -f "$out/netdevsim.ko" ] && { say "netdevsim: $out/netdevsim.ko already built"; return 0; }
  local pkgs="linux-source-$(echo "$kv" | cut -d. -f1-2)=$v linux-headers-$kv=$v linux-headers-$base-common=$v linux-kbuild-$base=$v"
  local src="$CACHE/netdevsim/src-$kv"
  if [ ! -e "$src/.unpacked" ]; then
    rm -rf "$src"; mkdir -p "$src/debs" "$src/root"
    say "netdevsim: downloading $pkgs"
    (cd "$src/debs" && apt-get download -q -o APT::Sandbox::User=root $pkgs >/dev/null) ||
      die "netdevsim: cannot download $pkgs (the kernel source and headers of $kv)"
    for d in "$src"/debs/*.deb; do dpkg -x "$d" "$src/root"; done
    tar -xf "$src"/root/usr/src/linux-source-*.tar.xz -C "$src" --wildcards '*/drivers/net/netdevsim'
    # The headers' Makefile includes the -common tree by its absolute /usr/src path;
    # point it at the unpacked copy instead of installing packages on the host.
    sed -i "s#/usr/src/linux-headers-$base-common#$src/root/usr/src/linux-headers-$base-common#" \
      "$src/root/usr/src/linux-headers-$kv/Makefile"
    rm -rf "$src"/root/usr/src/linux-source-*.tar.xz "$src/debs"
    touch "$src/.unpacked"
  fi
  local build; build=$(mktemp -d "$CACHE/netdevsim/.build.XXXXXX")
  cp "$src"/linux-source-*/drivers/net/netdevsim/* "$build/"
  # No BTF for the module: that needs pahole, and nothing here reads it.
  make -s -C "$src/root/usr/src/linux-headers-$kv" M="$build" CONFIG_NETDEVSIM=m \
    CONFIG_DEBUG_INFO_BTF_MODULES= modules >"$build/make.log" 2>&1 ||
    { tail -20 "$build/make.log" >&2; die "netdevsim: the out-of-tree build failed (log above)"; }
  strip --strip-debug "$build/netdevsim.ko"   # 7 MB of DWARF the guest never reads
  mkdir -p "$out"; mv "$build/netdevsim.ko" "$out/netdevsim.ko"; rm -rf "$build"
  say "netdevsim: built $out/netdevsim.ko for $kv"
}
kernel_version=$(dpkg-deb -f "$CACHE/debs/$kdeb" Version)
build_netdevsim "$kver" "$kernel_version"
KO[netdevsim]="$CACHE/netdevsim/$kver/netdevsim.ko"
WANT_MODULES="$WANT_MODULES netdevsim"

for m in $WANT_MODULES; do resolve "$m"; done

key=$( { echo "$INIT"; echo "${ORDER[*]}"; declare -p MOD_PARAMS; echo "$bdeb"; } | sha256sum | cut -c1-12)
INITRD="$CACHE/initramfs-$kver-$key.cpio.gz"
if [ -f "$INITRD" ]; then
  say "initramfs: $INITRD already built (${#ORDER[@]} modules)"
else
  tmp=$(mktemp -d "$CACHE/.initramfs.XXXXXX")
  trap 'rm -rf "$tmp" "$tmp.cpio.gz"' EXIT
  mkdir -p "$tmp/bin" "$tmp/modules"
  cp "$BUSYBOX" "$tmp/bin/busybox"
  printf '%s\n' "$INIT" >"$tmp/init"
  chmod 755 "$tmp/init"
  : >"$tmp/modules/order"
  for m in "${ORDER[@]}"; do
    p=$(mod_path "$m")
    case $p in
      *.xz) xz -dc "$p" ;; *.zst) zstd -qdc "$p" ;; *.gz) gzip -dc "$p" ;; *) cat "$p" ;;
    esac >"$tmp/modules/$m.ko"
    echo "$m ${MOD_PARAMS[$m]:-}" >>"$tmp/modules/order"
  done
  (cd "$tmp" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$tmp.cpio.gz"
  mv "$tmp.cpio.gz" "$INITRD"
  rm -rf "$tmp"; trap - EXIT
  say "initramfs: built $INITRD ($(du -h "$INITRD" | cut -f1), ${#ORDER[@]} modules)"
fi
say "initramfs: module order: ${ORDER[*]}"

# irqbalance for the guest (scenario 22-rxpath), unpacked and never installed: installing it
# would start it on this host and move the host's own interrupts. The guest chroots into this
# root, so it finds the binary here; its libraries (glib, numa, cap-ng) are the host's.
if [ ! -x "$CACHE/irqbalance/usr/sbin/irqbalance" ]; then
  mkdir -p "$CACHE/debs" && (cd "$CACHE/debs" && apt-get download -q irqbalance >/dev/null 2>&1)
  deb=$(ls -t "$CACHE"/debs/irqbalance_*.deb | head -1)
  rm -rf "$CACHE/irqbalance" && dpkg -x "$deb" "$CACHE/irqbalance"
  say "irqbalance: unpacked $(basename "$deb") under $CACHE/irqbalance"
else
  say "irqbalance: $CACHE/irqbalance/usr/sbin/irqbalance already there"
fi

cat >"$CACHE/lab.env.$$" <<EOF
# written by Tests/lab/setup.sh
LAB_KERNEL_PACKAGE=$kpkg
LAB_KERNEL_VERSION=$kver
LAB_KERNEL=$VMLINUZ
LAB_INITRD=$INITRD
EOF
mv "$CACHE/lab.env.$$" "$CACHE/lab.env"
say "wrote $CACHE/lab.env"

# Drop what an older kernel or busybox left in the cache.
for f in "$CACHE"/initramfs-*.cpio.gz "$CACHE"/debs/linux-image-*.deb "$CACHE"/debs/busybox-static_*.deb \
         "$CACHE"/kernel/* "$CACHE"/busybox/* "$CACHE"/netdevsim/*; do
  [ -e "$f" ] || continue
  case $f in "$INITRD"|"$CACHE/debs/$kdeb"|"$CACHE/debs/$bdeb"|"$kroot"|"$broot") continue ;; esac
  case $f in "$CACHE/netdevsim/$kver"|"$CACHE/netdevsim/src-$kver") continue ;; esac
  rm -rf "$f" && say "cache: removed stale $f"
done
say "done in $(( $(date +%s) - START )) s"
