# appliance-x86_64: QEMU's pc board (or any x86_64 box), static, glibc.
include platform/appliance/appliance.mk
FW_ARCH      := x86_64
FW_DEB_ARCH  := amd64
FW_KERNEL    := linux-image-cloud-amd64
