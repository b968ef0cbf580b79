#!/usr/bin/env bash
# The appliance-x86_64 image under QEMU: first boot creates the store and the
# TLS key on the data disk and prints the root and the provisioned EAB key;
# lego --csr on the host gets a UPKI certificate through the guest's gateway
# (UPKI simulator and DNS on the host, reached through guestfwd); the ACPI
# power button shuts down cleanly; after the next boot the account, its
# orders and certificates are still there and a second certificate is issued.
. "$(dirname "$0")/../integration/lib.sh"
BOARD=appliance-x86_64
. "$ROOT/tests/qemu/lib-qemu.sh"

check "the image is built (make firmware PLATFORM=$BOARD)" test -s "$FW/kernel" -a -s "$FW/initrd.img"
[ -s "$FW/kernel" ] || finish

# --- the host side: UPKI simulator, DNS (answers every name with the guest's view of the web server)
D=$T/sim
PORT=$(free_port); PUB=$(free_port); SIMURL=https://127.0.0.1:$PUB
DNSPORT=$(free_port); HTTP01_PORT=$(free_port); HP=$(free_port)
"$SIM" init "$D" >/dev/null 2>&1
start_bg sim "$SIM" serve "$D" --listen "127.0.0.1:$PORT" --public-listen "127.0.0.1:$PUB" \
	--time-scale 0.01 --rate-limit-seconds 1 --delay-min 100 --delay-max 200
start_bg dns pebble-challtestsrv -defaultIPv6 "" -defaultIPv4 "$GUEST_WEB" -dns01 "127.0.0.1:$DNSPORT" \
	-http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$(free_port)"
check "sim starts" wait_port "$PORT" 10
check "DNS starts" wait_port "$DNSPORT" 10

# --- the data disk, as an operator would prepare it
mkdir -p "$T/disk/upki"
cp "$D/web-ca.pem" "$D/ra.pem" "$D/ra-key.pem" "$T/disk/upki/"
cat "$D/chain-rsa.pem" "$D/chain-ecc.pem" >"$T/disk/upki/chain.pem"
cat >"$T/disk/upki-acme.conf" <<CONF
listen = 0.0.0.0:443
base_url = https://127.0.0.1:$HP
data_dir = /data
log_level = 2
resolver = $GUEST_SVC:53
resolver_tcp = yes
upki_url = https://localhost/upki-odcert/
upki_connect = $GUEST_SVC:443
upki_ca = /data/upki/web-ca.pem
upki_client_cert = /data/upki/ra.pem
upki_client_key = /data/upki/ra-key.pem
upki_chain = /data/upki/chain.pem
upki_org = Example University
upki_state = Aichi
upki_locality = Nagoya
upki_admin_name = Yamada Taro
upki_admin_dept = ICT Center
upki_admin_email = taro@example.ac.jp
upki_poll_interval = 1
upki_expected_delay = 1
CONF
printf 'first *.example.ac.jp\n' >"$T/disk/eab-seed"
qemu_disk "$T/disk" "$T/data.img"
FWDS="$GUEST_SVC:443=$PORT $GUEST_SVC:53=$DNSPORT $GUEST_WEB:80=$HTTP01_PORT"

# --- first boot ---------------------------------------------------------------------------
t0=$(date +%s.%N)
qemu_boot 1 "$T/data.img" "$HP" "$FWDS"
check "first boot: the gateway serves the directory (-m $QEMU_MEM)" qemu_wait 1 "serving the ACME directory" 240
diag "boot to directory: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s with -m $QEMU_MEM, TCG"
check "first boot: the data disk was checked" qemu_wait 1 "(upki-data|/dev/vda): clean" 1
check "first boot: the store is created on the data disk" qemu_wait 1 "store at /data/db: created" 1
check "first boot: the TLS root is printed" qemu_wait 1 "END CERTIFICATE" 20
console_pem 1 >"$T/guest-ca.pem"
KID=$(console_field 1 kid); HMAC=$(console_field 1 hmac)
check "first boot: the provisioned EAB key is printed" test -n "$KID" -a -n "$HMAC"
check_eq "the directory answers through hostfwd, trusted by the printed root" 200 \
	"$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/guest-ca.pem" "https://127.0.0.1:$HP/directory")"

openssl req -new -newkey rsa:2048 -nodes -keyout "$T/www.key" -out "$T/www.csr" \
	-subj "/C=JP/ST=Aichi/L=Nagoya/O=Example University/CN=www.example.ac.jp" 2>/dev/null
lego_run() {   # lego_run CSR: lego --csr through the guest
	LEGO_CA_CERTIFICATES=$T/guest-ca.pem timeout 300 lego --accept-tos \
		--server "https://127.0.0.1:$HP/directory" --path "$T/lego" --email admin@example.ac.jp \
		--eab --kid="$KID" --hmac="$HMAC" \
		--http --http.port "127.0.0.1:$HTTP01_PORT" --csr "$1" run >>"$T/lego.out" 2>&1
}
lego_run "$T/www.csr"
crt=$T/lego/certificates/www.example.ac.jp.crt
check "lego --csr obtains a certificate through the guest" test -s "$crt"
[ -s "$crt" ] || { tail -20 "$T/lego.out"; tail -30 "$T/console.1.log"; }
check_match "... issued by the simulator's CA" "NII Open Domain CA" "$(openssl x509 -in "$crt" -noout -issuer 2>/dev/null)"

# --- clean shutdown by the ACPI power button ------------------------------------------------
qemu_monitor system_powerdown
check "the power button shuts the guest down" qemu_gone "$PID_qemu1" 60
check "... after the gateway stopped and the disk was synced" qemu_wait 1 "the data disk is clean" 1
check "the data disk is clean for e2fsck on the host" e2fsck -n -f "$T/data.img"

# --- second boot: the same account gets a second certificate --------------------------------
qemu_boot 2 "$T/data.img" "$HP" "$FWDS"
check "second boot: the gateway serves again" qemu_wait 2 "serving the ACME directory" 240
check "second boot: the store is opened, not created" test -z "$(grep 'store at /data/db: created' "$T/console.2.log")"
check "second boot: no EAB key is printed again" test -z "$(grep 'hmac:' "$T/console.2.log")"
mv "$crt" "$T/first.crt"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/www2.key" -out "$T/www2.csr" \
	-subj "/C=JP/ST=Aichi/L=Nagoya/O=Example University/CN=www.example.ac.jp" 2>/dev/null
lego_run "$T/www2.csr"
check "after the reboot the same lego account gets a new certificate" test -s "$crt"
check "... a different one" test "$(openssl x509 -in "$crt" -noout -serial)" != "$(openssl x509 -in "$T/first.crt" -noout -serial)"
check_eq "UPKI saw exactly two applications" 2 "$(sim_apps www.example.ac.jp)"
qemu_monitor system_powerdown
qemu_gone "$PID_qemu2" 60
finish
