# upki-acme: plain GNU Makefile, out-of-tree builds into build/$(PLATFORM)/.
#   make [PLATFORM=host]   build         make run     deps + build + run demo
#   make check             deps + tests  make bench   figures
#   make defconfig | menuconfig | fuzz | clean
PLATFORM ?= host
O        := build/$(PLATFORM)
PY       := /usr/bin/python3
KCONFIG  := Kconfig
export srctree := $(CURDIR)

ifeq ($(wildcard platform/$(PLATFORM)/platform.mk),)
$(error unknown PLATFORM '$(PLATFORM)': no platform/$(PLATFORM)/platform.mk)
endif

# Targets that do not need a configured tree.
NOCONFIG_GOALS := clean distclean deps deps-test deps-run help
ifneq ($(filter-out $(NOCONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
-include $(O)/.config
endif

CC       ?= cc
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wsign-compare -Wformat=2 -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE $(WARN) -fno-common
ifneq ($(WERROR),)
CFLAGS   += -Werror
endif
CPPFLAGS += -I$(O)/include -Isrc -MMD -MP
LDLIBS   := -levent -lbearssl -llmdb -lcares

include platform/$(PLATFORM)/platform.mk

# Each module lists its files in src/<m>/module.mk as <m>-y (and <m>-$(CONFIG_X)),
# and the modules it needs as <m>-deps. Whole files are chosen by Kconfig there.
MODULES := util json jose x509 store tls http validate upki mail acme admin
$(foreach m,$(MODULES),$(eval $(m)-y :=)$(eval $(m)-deps :=))
include $(wildcard $(foreach m,$(MODULES),src/$(m)/module.mk))
MODULES := $(foreach m,$(MODULES),$(if $(strip $($(m)-y)),$(m)))

define module_lib
$(O)/lib/lib$(1).a: $(patsubst %.c,$(O)/obj/%.o,$($(1)-y))
	@mkdir -p $$(dir $$@)
	$$(AR) rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call module_lib,$(m))))

# Link order: a module before the modules it depends on.
ALL_LIBS := $(foreach m,acme admin mail upki validate http tls store x509 jose json util,\
              $(if $(filter $(m),$(MODULES)),$(O)/lib/lib$(m).a))
PLAT_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(PLATFORM_SRCS))
BIN       := $(O)/upki-acme
SIM       := $(O)/upki-sim
SIM_SRCS  := $(wildcard tests/upki-sim/*.c)

.DEFAULT_GOAL := all
.PHONY: all run check test unit integration bench fuzz fuzz-build defconfig menuconfig savedefconfig \
        deps deps-test deps-run clean distclean help
all: $(BIN) $(if $(SIM_SRCS),$(SIM))

# A change of compiler or flags (e.g. WERROR=1) rebuilds every object: the stamp
# is rewritten only when the flags differ from the last build's.
FLAGS_STAMP := $(O)/.flags
FLAGS_NOW   := $(CC) $(CPPFLAGS) $(CFLAGS)
$(shell mkdir -p $(O); [ "$$(cat $(FLAGS_STAMP) 2>/dev/null)" = '$(FLAGS_NOW)' ] || printf '%s\n' '$(FLAGS_NOW)' > $(FLAGS_STAMP))

$(O)/obj/%.o: %.c $(O)/include/autoconf.h $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BIN): $(O)/obj/src/main.o $(ALL_LIBS) $(PLAT_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(O)/obj/src/main.o $(ALL_LIBS) $(PLAT_OBJS) $(LDLIBS)

# The appliance links statically (no NSS, no dlopen); the host can too, for figures.
$(O)/upki-acme-static: $(O)/obj/src/main.o $(ALL_LIBS) $(PLAT_OBJS)
	$(CC) -static $(LDFLAGS) -o $@ $(O)/obj/src/main.o $(ALL_LIBS) $(PLAT_OBJS) $(LDLIBS) -lpthread

$(SIM): $(patsubst %.c,$(O)/obj/%.o,$(SIM_SRCS)) $(ALL_LIBS) $(PLAT_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- configuration (Debian's python3-kconfiglib) ----------------------------
KCONFIG_FILES := $(shell find Kconfig src platform -name 'Kconfig*' 2>/dev/null)
$(O)/.config: | platform/$(PLATFORM)/defconfig
	@mkdir -p $(O)
	@command -v $(PY) >/dev/null && $(PY) -c 'import kconfiglib' 2>/dev/null || $(MAKE) --no-print-directory deps
	KCONFIG_CONFIG=$@ $(PY) -m defconfig --kconfig $(KCONFIG) platform/$(PLATFORM)/defconfig

$(O)/include/autoconf.h: $(O)/.config $(KCONFIG_FILES) platform/kconfig-header.py
	@mkdir -p $(dir $@)
	KCONFIG_CONFIG=$(O)/.config $(PY) -m olddefconfig $(KCONFIG) >/dev/null
	$(PY) platform/kconfig-header.py $(KCONFIG) $(O)/.config $@

defconfig:
	@mkdir -p $(O)
	KCONFIG_CONFIG=$(O)/.config $(PY) -m defconfig --kconfig $(KCONFIG) platform/$(PLATFORM)/defconfig
menuconfig: $(O)/.config
	KCONFIG_CONFIG=$(O)/.config MENUCONFIG_STYLE=aquatic $(PY) -m menuconfig $(KCONFIG)
savedefconfig: $(O)/.config
	KCONFIG_CONFIG=$(O)/.config $(PY) -m savedefconfig --kconfig $(KCONFIG) --out $(O)/defconfig
	@echo "wrote $(O)/defconfig"

# ---- Debian packages ---------------------------------------------------------
DEPS_BUILD := gcc make libc6-dev libevent-dev libbearssl-dev libjsmn-dev liblmdb-dev \
              libc-ares-dev python3 python3-kconfiglib
DEPS_RUN   := openssl pebble
DEPS_TEST  := libcmocka-dev curl openssl valgrind clang libclang-rt-14-dev lmdb-utils procps \
              certbot lego uacme dehydrated pebble python3-minimal python3-cryptography \
              util-linux iproute2 binutils groff-base
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing missing Debian packages:" $$missing; \
	  if [ "$$(id -u)" != 0 ]; then echo "error: run as root to install: $$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	    || { echo "error: apt-get install failed for: $$missing" >&2; exit 1; }; \
	fi
endef
deps:
	$(call apt_install,$(DEPS_BUILD))
deps-test: deps
	$(call apt_install,$(DEPS_TEST))
deps-run: deps
	$(call apt_install,$(DEPS_RUN))

# ---- run ---------------------------------------------------------------------
# The gateway with the UPKI simulator as backend, on loopback, state in ./var.
run: deps-run
	@$(MAKE) --no-print-directory all
	@O=$(O) BIN=$(BIN) SIM=$(SIM) platform/$(PLATFORM)/run-demo

# ---- tests -------------------------------------------------------------------
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRCS))
# tests/unit/test_<module>[_what].c links only <module>, its <module>-deps (full list, in
# link order) and util, so one module's unfinished work does not stop another's tests.
test_mod  = $(firstword $(subst _, ,$(patsubst test_%,%,$(1))))
test_libs = $(foreach d,$(call test_mod,$(1)) $($(call test_mod,$(1))-deps) util,$(O)/lib/lib$(d).a)
define unit_rule
$(O)/tests/$(1): $(O)/obj/tests/unit/$(1).o $(call test_libs,$(1)) $(PLAT_OBJS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS) -lcmocka
endef
$(foreach t,$(patsubst tests/unit/%.c,%,$(UNIT_SRCS)),$(eval $(call unit_rule,$(t))))

check: deps-test
	@$(MAKE) --no-print-directory WERROR=1 all $(UNIT_BINS) fuzz-build
	@O=$(O) BIN=$(BIN) SIM=$(SIM) FUZZ_SECONDS=$(or $(FUZZ_SECONDS),5) tests/run-all $(TESTS)
# make test T=NAME [T=...]: one unit test (tests/unit/test_NAME.c) or integration
# script (tests/integration/t_NAME.sh) by name; without T, the same as check.
test: deps-test
ifeq ($(T),)
	@$(MAKE) --no-print-directory check
else
	@$(MAKE) --no-print-directory WERROR=1 all $(UNIT_BINS)
	@O=$(O) BIN=$(BIN) SIM=$(SIM) tests/run-all $(T)
endif
unit: $(UNIT_BINS)
	@O=$(O) tests/run-all unit

# ---- fuzzing: every module built again with clang, libFuzzer, ASan and UBSan ----
FUZZ_O     := $(O)/fuzz
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(FUZZ_O)/%,$(FUZZ_SRCS))
LIB_SRCS   := $(foreach m,$(MODULES),$($(m)-y)) $(PLATFORM_SRCS)
$(FUZZ_O)/obj/%.o: %.c $(O)/include/autoconf.h
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=c11 -D_GNU_SOURCE $(FUZZ_FLAGS) -c -o $@ $<
$(FUZZ_O)/libfuzz.a: $(patsubst %.c,$(FUZZ_O)/obj/%.o,$(LIB_SRCS))
	$(AR) rcs $@ $^
$(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_O)/libfuzz.a
	clang $(CPPFLAGS) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -o $@ $< $(FUZZ_O)/libfuzz.a $(LDLIBS)
fuzz-build: $(FUZZ_BINS)
fuzz: deps-test
	@$(MAKE) --no-print-directory fuzz-build
	@O=$(O) tests/fuzz/run $(or $(FUZZ_SECONDS),60)

bench: deps-test all $(O)/upki-acme-static
	@O=$(O) BIN=$(BIN) SIM=$(SIM) bench/run
	@echo "--- static build (as on the appliance) ---"
	@O=$(O) BIN=$(O)/upki-acme-static SIM=$(SIM) bench/run
	@echo "--- CPU per full http-01 issuance, side by side with pebble ---"
	@O=$(O) BIN=$(O)/upki-acme-static SIM=$(SIM) bench/cpu
	@echo "--- UPKI: 100 jobs, 30 s issuance, default rate limit ---"
	@O=$(O) BIN=$(BIN) SIM=$(SIM) bench/upki
	@echo "--- UPKI faults: first job after start, steady state, sustained (RUNS=5 for five) ---"
	@O=$(O) BIN=$(BIN) SIM=$(SIM) RUNS=$(or $(RUNS),1) bench/faults

clean:
	rm -rf $(O)
distclean:
	rm -rf build var

help:
	@sed -n '1,5p' Makefile

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
