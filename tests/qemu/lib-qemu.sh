# Helpers for the appliance tests: boot an image under QEMU (-accel tcg: no
# KVM here) with user-mode networking that reaches nothing but what a test
# forwards: restrict=on, hostfwd bound to 127.0.0.1, and guestfwd rules that
# run `busybox nc` to a loopback port on the host for each guest connection.
# Needs: . tests/integration/lib.sh first; BOARD (appliance-x86_64 ...).
FW=${FW:-build/$BOARD/firmware}
QEMU_MEM=${QEMU_MEM:-128}
case $BOARD in
appliance-x86_64) QEMU=qemu-system-x86_64 QEMU_MACHINE="-machine pc" ;;
appliance-aarch64) QEMU=qemu-system-aarch64 QEMU_MACHINE="-machine virt -cpu cortex-a57" ;;
esac
# Guest-side addresses of the host services (user-mode network 10.0.2.0/24).
GUEST_SVC=10.0.2.100     # the UPKI simulator (443) and the DNS server (53, TCP)
GUEST_WEB=10.0.2.101     # where DNS points the names to validate (http-01 on 80)

# qemu_disk DIR IMG: a 64 MiB ext4 data disk holding the files of DIR.
qemu_disk() {
	rm -f "$2" && truncate -s 64M "$2" && mke2fs -q -t ext4 -L upki-data -d "$1" "$2"
}

# qemu_boot N IMG HOSTPORT FWDS: boot the image with data disk IMG; the
# gateway's 443 is forwarded from 127.0.0.1:HOSTPORT; FWDS is a list of
# "guestaddr:port=hostport". Console in $T/console.N.log, monitor socket
# $T/mon.sock, PID in PID_qemuN.
qemu_boot() {
	local n=$1 img=$2 hp=$3 fwds=$4 net f
	net="user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$hp-:443"
	for f in $fwds; do
		net="$net,guestfwd=tcp:${f%%=*}-cmd:/bin/busybox nc 127.0.0.1 ${f##*=}"
	done
	rm -f "$T/mon.sock"
	start_bg "qemu$n" $QEMU -accel tcg $QEMU_MACHINE -m "$QEMU_MEM" -nographic -no-reboot \
		-kernel "$FW/kernel" -initrd "$FW/initrd.img" \
		-append "console=${QEMU_CONSOLE:-ttyS0} panic=-1 quiet" \
		-drive "file=$img,if=virtio,format=raw" -netdev "$net" -device virtio-net-pci,netdev=n0 \
		-device virtio-rng-pci -monitor "unix:$T/mon.sock,server,nowait" \
		-serial "file:$T/console.$n.log"
}

# qemu_wait N REGEX SECONDS: wait until console N shows REGEX.
qemu_wait() {
	local i
	for i in $(seq $(($3 * 5))); do
		grep -qE "$2" "$T/console.$1.log" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# qemu_monitor CMD: one human-monitor command.
qemu_monitor() {
	/usr/bin/python3 - "$T/mon.sock" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
time.sleep(0.3)
s.close()
PY
}

# qemu_gone PID SECONDS: wait for QEMU to exit by itself.
qemu_gone() {
	local i
	for i in $(seq $(($2 * 5))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
	return 1
}

# console_pem N: the appliance's TLS root as printed at first boot.
console_pem() {
	sed -n 's/^upki-acme-init: //p' "$T/console.$1.log" | tr -d '\r' |
		sed -n '/^-----BEGIN CERTIFICATE-----$/,/^-----END CERTIFICATE-----$/p'
}
# console_field N KEY: "KEY: value" as printed by the init (kid, hmac).
console_field() {
	sed -n "s/^upki-acme-init: $2: //p" "$T/console.$1.log" | tr -d '\r' | head -1
}
