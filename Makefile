# vfmgr build. `make` builds the program, `make check` runs every test tier, `make deps`
# installs what both need on Debian 12 (the whole lab: for a development machine), `make
# build-deps` only what building needs (for a host that runs vfmgr), `make demo` shows the
# main job in the QEMU lab.
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
UDEVDIR  ?= /usr/lib/udev/rules.d
UNITDIR  ?= /usr/lib/systemd/system
# libvirt (>= 6.5) runs every executable in its hooks/qemu.d, whatever PREFIX vfmgr has.
LIBVIRT_HOOKDIR ?= /etc/libvirt/hooks/qemu.d
# Where bash-completion loads completions on demand (its pkg-config file says; else Debian's).
BASHCOMPDIR ?= $(or $(shell $(PKG_CONFIG) --variable=completionsdir bash-completion 2>/dev/null),/usr/share/bash-completion/completions)
BUILD    ?= build
CC       ?= cc
PKG_CONFIG ?= pkg-config

# libpci: PCI enumeration and pci.ids names; libnl: rtnetlink; libudev: hotplug monitor;
# libyaml: the policy; jansson: --json output and the state file (see README "Dependencies").
PKGS := libpci libnl-3.0 libnl-route-3.0 libudev yaml-0.1 jansson

# Read when make starts: `make demo` and `make check` install them first (deps), then build in
# a sub-make, which reads them afresh. A build without them stops and names what is missing.
PKGS_MISSING := $(strip $(foreach p,$(PKGS),$(if $(shell $(PKG_CONFIG) --exists $(p) 2>/dev/null && echo y),,$(p))))
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

OPT      ?= -O2
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -Wmissing-prototypes
CFLAGS   ?= -g $(OPT)
ALL_CFLAGS = -std=gnu11 $(WARN) -I. $(PKG_CFLAGS) -D_GNU_SOURCE $(CFLAGS) $(SANFLAGS)
LDLIBS_ALL = $(PKG_LIBS) $(LDLIBS)

# FAULTS=1: the test build, with the fault drills' hooks (util/fault.h); never installed.
ifeq ($(FAULTS),1)
CFLAGS_FAULTS := -DVFMGR_FAULTS
endif
ALL_CFLAGS += $(CFLAGS_FAULTS)

ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif

LIB_SRCS := $(sort $(wildcard util/*.c policy/*.c rss/*.c passthrough/*.c sriov/*.c) \
	$(filter-out vfmgr/main.c,$(wildcard vfmgr/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(wildcard tests/unit/test-*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TEST_SUPPORT := $(filter-out $(TEST_SRCS),$(wildcard tests/unit/*.c))
VMPROG_SRCS := $(wildcard tests/vm/progs/*.c)
VMPROG_BINS := $(VMPROG_SRCS:tests/vm/progs/%.c=$(BUILD)/vmprogs/%)
# Programs for the VM the lab guest boots (busybox only there): static, never sanitized.
GUESTPROG_SRCS := $(wildcard tests/vm/guestprogs/*.c)
GUESTPROG_BINS := $(GUESTPROG_SRCS:tests/vm/guestprogs/%.c=$(BUILD)/guestprogs/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
# Programs the lab benchmarks run inside the guest (libc only: the floor vfmgr is measured against).
LABBENCH_SRCS := $(wildcard bench/lab/*.c)
LABBENCH_BINS := $(LABBENCH_SRCS:bench/lab/%.c=$(BUILD)/bench/lab/%)

.PHONY: FORCE all check soak unit deps build-deps demo install uninstall clean fuzz fuzz-short bench format tests-build
all: $(BUILD)/vfmgr $(BUILD)/vfmgr-test $(VMPROG_BINS) $(GUESTPROG_BINS) $(LABBENCH_BINS)

# V=1 shows the full commands.
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: %.c
	$(if $(PKGS_MISSING),$(error pkg-config finds no $(PKGS_MISSING): run 'sudo make build-deps' (README, Dependencies)))
	@mkdir -p $(dir $@)
	@$(if $(V),:,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libvfmgr.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/vfmgr: $(BUILD)/obj/vfmgr/main.o $(BUILD)/libvfmgr.a
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

# The lab's fault drills run this one: the same sources with the fault hooks compiled in.
$(BUILD)/vfmgr-test: FORCE
	$(Q)$(MAKE) -s --no-print-directory BUILD=$(BUILD)/faults FAULTS=1 $(BUILD)/faults/vfmgr
	$(Q)cmp -s $(BUILD)/faults/vfmgr $@ || cp $(BUILD)/faults/vfmgr $@
FORCE:

$(BUILD)/tests/%: tests/unit/%.c $(TEST_SUPPORT) $(BUILD)/libvfmgr.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit '-DTOP_SRCDIR="$(CURDIR)"' -o $@ $< $(TEST_SUPPORT) $(BUILD)/libvfmgr.a $(LDLIBS_ALL) $(CMOCKA_LIBS)

$(BUILD)/vmprogs/%: tests/vm/progs/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS_ALL)

$(BUILD)/guestprogs/%: tests/vm/guestprogs/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 $(WARN) -D_GNU_SOURCE $(CFLAGS) -static -o $@ $<

$(BUILD)/bench/lab/%: bench/lab/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<

$(BUILD)/bench/%: bench/%.c $(BUILD)/libvfmgr.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libvfmgr.a $(LDLIBS_ALL)

# libFuzzer needs clang and instruments the library sources too, so build them in directly.
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	$(Q)clang -std=gnu11 -g -O1 -I. $(PKG_CFLAGS) -D_GNU_SOURCE \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $< $(LIB_SRCS) $(LDLIBS_ALL)

tests-build: $(TEST_BINS)

# Runs the unit tests of this build; used by tests/check.sh for the plain and sanitizer builds.
unit: $(TEST_BINS)
	@tests/unit/run.sh $(TEST_BINS)

# deps first, then a sub-make: this make read PKG_CFLAGS before deps installed the packages.
check: deps
	@$(MAKE) --no-print-directory all
	@tests/check.sh

deps:
	@tests/vm/deps.sh

# A compiler, pkg-config and the -dev libraries; no QEMU, kernels, libvirt or test tools.
build-deps:
	@tests/vm/deps.sh --build

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/vm/demo.sh

fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh long $(FUZZ_BINS)

fuzz-short: $(FUZZ_BINS)
	@tests/fuzz/run.sh short $(FUZZ_BINS)

# The fault drills' injection rounds 10 times and the kill drill's kill points 3 times in one
# lab boot (tests/vm/soak/), to catch what hangs or fails only some of the time; too long for
# every `make check`.
soak: all
	@tests/vm/run.sh -t 6000 -k stable tests/vm/soak/fault-soak.sh:4200 \
		tests/vm/soak/kill-soak.sh:1500

# The lab benchmarks run even when a host benchmark misses its target; either fails the target.
bench: $(BENCH_BINS) all
	@rc=0; bench/run.sh $(BENCH_BINS) || rc=1; bench/lab.sh || rc=1; exit $$rc

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

install: $(BUILD)/vfmgr
	install -D -m 755 $(BUILD)/vfmgr $(DESTDIR)$(SBINDIR)/vfmgr
	for m in $(wildcard man/*.[1-8]); do \
		s=$${m##*.}; install -D -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	# The rules, the unit and the libvirt hook name the installed binary.
	for f in $(wildcard udev-rules/*.rules); do mkdir -p $(DESTDIR)$(UDEVDIR); \
		sed 's|@SBINDIR@|$(SBINDIR)|g' $$f >$(DESTDIR)$(UDEVDIR)/$${f##*/}; done
	for f in $(wildcard systemd/*.service); do mkdir -p $(DESTDIR)$(UNITDIR); \
		sed 's|@SBINDIR@|$(SBINDIR)|g' $$f >$(DESTDIR)$(UNITDIR)/$${f##*/}; done
	install -D -m 644 contrib/bash-completion/vfmgr $(DESTDIR)$(BASHCOMPDIR)/vfmgr
	mkdir -p $(DESTDIR)$(LIBVIRT_HOOKDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' contrib/libvirt-hook >$(DESTDIR)$(LIBVIRT_HOOKDIR)/vfmgr
	chmod 755 $(DESTDIR)$(LIBVIRT_HOOKDIR)/vfmgr

# What install put in place (same PREFIX and DESTDIR); the policy and the state stay.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/vfmgr $(DESTDIR)$(BASHCOMPDIR)/vfmgr $(DESTDIR)$(LIBVIRT_HOOKDIR)/vfmgr
	for m in $(wildcard man/*.[1-8]); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	for f in $(wildcard udev-rules/*.rules); do rm -f $(DESTDIR)$(UDEVDIR)/$${f##*/}; done
	for f in $(wildcard systemd/*.service); do rm -f $(DESTDIR)$(UNITDIR)/$${f##*/}; done

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
