#!/bin/sh
# mkimage.sh BOARD BIN OUT: the appliance image for BOARD (appliance-x86_64 or
# appliance-aarch64) from Debian packages only, into the folder OUT:
#   OUT/kernel        the Debian cloud (x86_64) or arm64 kernel, as packaged
#   OUT/initrd.img    busybox-static, e2fsck.static, the kernel modules the
#                     board needs, firmware/init, the default config, BIN
#   OUT/data.img      an empty ext4 data disk (the store and the TLS key go
#                     there at first boot; `make firmware` never overwrites it)
# The .deb files are fetched with `apt-get download` into OUT/../deb (kept as
# a cache) and unpacked with dpkg-deb -x: nothing is installed on the host.
set -eu
BOARD=$1 BIN=$2 OUT=$3
HERE=$(cd "$(dirname "$0")" && pwd)
case $BOARD in
appliance-x86_64) DEBARCH=amd64 KPKG=linux-image-cloud-amd64 ;;
appliance-aarch64) DEBARCH=arm64 KPKG=linux-image-arm64 ;;
*) echo "mkimage.sh: unknown board '$BOARD'" >&2; exit 2 ;;
esac
DEB=$OUT/../deb/$DEBARCH
mkdir -p "$OUT" "$DEB"
OUT=$(cd "$OUT" && pwd) DEB=$(cd "$DEB" && pwd)

# fetch PKG...: each package's .deb for DEBARCH into the cache (once).
fetch() {
	for p in "$@"; do
		ls "$DEB/${p}_"*"_$DEBARCH.deb" "$DEB/${p}_"*"_all.deb" >/dev/null 2>&1 && continue
		(cd "$DEB" && apt-get download "$p:$DEBARCH" >/dev/null 2>&1) ||
			{ echo "mkimage.sh: apt-get download $p:$DEBARCH failed (run apt-get update?)" >&2; exit 1; }
	done
}
# The metapackage names the versioned kernel package.
KVER_PKG=$(apt-cache depends "$KPKG:$DEBARCH" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$KVER_PKG" ] || { echo "mkimage.sh: apt-cache knows no $KPKG:$DEBARCH (run apt-get update)" >&2; exit 1; }
KVER_PKG=${KVER_PKG%:*}
fetch "$KVER_PKG" busybox-static e2fsck-static

X=$OUT/unpack
rm -rf "$X" && mkdir -p "$X/kernel" "$X/busybox" "$X/e2fsck"
dpkg-deb -x "$(ls "$DEB/${KVER_PKG}_"*.deb | head -1)" "$X/kernel"
dpkg-deb -x "$(ls "$DEB/busybox-static_"*.deb | head -1)" "$X/busybox"
dpkg-deb -x "$(ls "$DEB/e2fsck-static_"*.deb | head -1)" "$X/e2fsck"
KV=$(ls "$X/kernel/lib/modules")
cp "$X/kernel/boot/vmlinuz-$KV" "$OUT/kernel"

R=$X/root
mkdir -p "$R/bin" "$R/sbin" "$R/etc" "$R/lib/modules" "$R/proc" "$R/sys" "$R/dev" "$R/run" \
	"$R/tmp" "$R/data" "$R/usr/sbin"
cp "$X/busybox/bin/busybox" "$R/bin/busybox"
cp "$X/e2fsck/sbin/e2fsck.static" "$R/sbin/e2fsck"
cp "$BIN" "$R/usr/sbin/upki-acme"
strip "$R/usr/sbin/upki-acme" 2>/dev/null || true
cp "$HERE/init" "$R/init"
cp "$HERE/upki-acme.conf" "$R/etc/upki-acme.conf"
# busybox acpid runs /etc/acpi/PWRF/00000080 for the power button (evdev events).
mkdir -p "$R/etc/acpi/PWRF"
printf '#!/bin/sh\nkill -USR2 1\n' >"$R/etc/acpi/PWRF/00000080"
chmod 755 "$R/etc/acpi/PWRF/00000080"
chmod 755 "$R/init" "$R/bin/busybox" "$R/usr/sbin/upki-acme"
# The modules the board needs, in load order (the init loads what is there).
# x86_64 (pc board): virtio PCI disk, network and entropy, the ACPI power
# button, the software watchdog (QEMU's pc has no watchdog the cloud kernel
# drives). aarch64 (virt board): the same over virtio-mmio/PCI.
MODS="virtio_pci virtio_mmio virtio_blk virtio_net virtio_rng evdev button softdog"
# modfile NAME: the .ko of a module (file names may spell '_' as '-').
modfile() {
	find "$X/kernel/lib/modules/$KV" \( -name "$1.ko" -o -name "$(echo "$1" | tr _ -).ko" \) | head -1
}
# addmod NAME: NAME after the modules it depends on (.modinfo "depends="), once each.
LOADED=" "
addmod() {
	local f d
	case $LOADED in *" $1 "*) return 0 ;; esac
	f=$(modfile "$1")
	[ -n "$f" ] || return 0   # built into this kernel, or not in it
	for d in $(objcopy -O binary --only-section=.modinfo "$f" /dev/stdout | tr '\0' '\n' |
	    sed -n 's/^depends=//p' | tr , ' '); do
		addmod "$d"
	done
	case $LOADED in *" $1 "*) return 0 ;; esac
	LOADED="$LOADED$1 "
	cp "$f" "$R/lib/modules/$1.ko"
	echo "$1" >>"$R/lib/modules/load"
}
: >"$R/lib/modules/load"
for m in $MODS; do addmod "$(echo "$m" | tr - _)"; done
(cd "$R" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 >"$OUT/initrd.img"
[ -f "$OUT/data.img" ] || { truncate -s 64M "$OUT/data.img" && mke2fs -q -t ext4 -L upki-data "$OUT/data.img"; }
rm -rf "$X"
echo "$OUT: kernel $KV, initrd $(wc -c <"$OUT/initrd.img") bytes, gateway $(wc -c <"$BIN") bytes (unstripped)"
