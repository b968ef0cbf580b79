# Shared by the appliance boards' platform.mk: the shim, a static binary built
# for size, and the build's date for platform_clock_sane().
PLATFORM_SRCS := platform/appliance/appliance.c platform/common/linux.c
UPKI_BUILD_EPOCH := $(or $(SOURCE_DATE_EPOCH),$(shell git log -1 --format=%ct 2>/dev/null),1767225600)
CFLAGS   := $(filter-out -O2,$(CFLAGS)) -Os -ffunction-sections -fdata-sections \
            -Wno-format-truncation  # -Os sees more bounded snprintf()s; truncation there is by design
LDFLAGS  += -static -Wl,--gc-sections
$(O)/obj/platform/appliance/appliance.o: CPPFLAGS += -DUPKI_BUILD_EPOCH=$(UPKI_BUILD_EPOCH)
