# mstreams: see README.md.  `make demo` and `make check` install what they
# need from Debian's packages first (scripts/deps.sh).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
WARN = -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2
ifeq ($(WERROR),1)
WARN += -Werror
endif
BSD_CFLAGS := $(shell pkg-config --cflags libbsd-overlay 2>/dev/null)
BSD_LIBS := $(shell pkg-config --libs libbsd-overlay 2>/dev/null)
PCRE_CFLAGS := $(shell pkg-config --cflags libpcre2-8 2>/dev/null)
PCRE_LIBS := $(shell pkg-config --libs libpcre2-8 2>/dev/null)
SQLITE_CFLAGS := $(shell pkg-config --cflags sqlite3 2>/dev/null)
SQLITE_LIBS := $(shell pkg-config --libs sqlite3 2>/dev/null)
RDKAFKA_CFLAGS := $(shell pkg-config --cflags rdkafka 2>/dev/null)
RDKAFKA_LIBS := $(shell pkg-config --libs rdkafka 2>/dev/null)
ALL_CPPFLAGS = -D_GNU_SOURCE $(BSD_CFLAGS) $(PCRE_CFLAGS) $(SQLITE_CFLAGS) $(RDKAFKA_CFLAGS) -Ilib $(CPPFLAGS)
# The tools load librdkafka only for a kafka:// log (lib/rdk.h): they
# include its header and do not link it.  dlopen() is in glibc's libc
# from 2.34 on, in libdl before (libdl.a is an empty stub since).
DL_LIBS ?= $(if $(filter Linux,$(shell uname -s)),-ldl)
LIBS = $(PCRE_LIBS) $(SQLITE_LIBS) $(BSD_LIBS) $(DL_LIBS) -lm
ALL_CFLAGS = $(WARN) $(CFLAGS) $(SAN)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)

# Objects and binaries; check-asan points these elsewhere.
O ?= build
B ?= bin
LIBA ?= lib/libmlog.a

PROGS = $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
LIBSRC = $(wildcard lib/*.c)
LIBOBJ = $(LIBSRC:lib/%.c=$(O)/lib/%.o)
HELPERS = $(patsubst tests/helpers/%.c,$(O)/helpers/%,$(filter-out tests/helpers/faultinject.c,$(wildcard tests/helpers/*.c)))
# Fuzz targets: tests/fuzz/NAME.c, with inputs to replay in tests/fuzz/regress/NAME/.
FUZZ = jscan expr segment index offsets meta time linesrc
FUZZTIME ?= 60
FUZZ_SECONDS ?= $(FUZZTIME)
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_LINK = tests/fuzz/logdir.c
BINS = $(PROGS:%=$(B)/%)

.PHONY: all check check-asan test bench demo install uninstall clean deps lint \
	fuzz fuzz-smoke fuzz-run
.SUFFIXES:
.DELETE_ON_ERROR:

all: $(LIBA) $(BINS)

$(O)/lib/%.o: lib/%.c lib/mlog.h lib/internal.h lib/expr.h lib/window.h lib/view.h lib/join.h lib/rdk.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIBA): $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(O)/cmd/%.o: cmd/%.c lib/mlog.h lib/expr.h lib/window.h lib/view.h lib/join.h lib/rdk.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(B)/%: $(O)/cmd/%.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(LIBS)

$(O)/helpers/%: tests/helpers/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(HELPER_LIBS) $(LIBS)

# kafka-mock runs librdkafka's mock cluster, which has no place in the table.
HELPER_LIBS =
$(O)/helpers/kafka-mock: HELPER_LIBS = $(RDKAFKA_LIBS)

# A fuzz target with a main() that replays files (make test), and with
# libFuzzer's (make fuzz, which builds everything with clang's -fsanitize=fuzzer-no-link).
$(O)/fuzz/%-replay: tests/fuzz/%.c tests/fuzz/replay.c $(FUZZ_LINK) tests/fuzz/fuzz.h lib/expr.h lib/internal.h $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< tests/fuzz/replay.c $(FUZZ_LINK) $(LIBA) $(LIBS)

$(O)/fuzz/%-fuzz: tests/fuzz/%.c $(FUZZ_LINK) tests/fuzz/fuzz.h lib/expr.h lib/internal.h $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LINK) $(LIBA) $(LIBS)

$(O)/helpers/faultinject.so: tests/helpers/faultinject.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

deps:
	@sh scripts/deps.sh

test: all $(HELPERS) $(O)/helpers/faultinject.so $(FUZZ:%=$(O)/fuzz/%-replay)
	$(O)/helpers/unit
	for t in $(FUZZ); do $(O)/fuzz/$$t-replay tests/fuzz/regress/$$t || exit 1; done
	MLOG_BIN=$(abspath $(B)) MLOG_HELPERS=$(abspath $(O)/helpers) bats tests

lint:
	mandoc -Tlint -Wwarning man/*.1 man/*.5 man/*.7

check: deps
	$(MAKE) lint
	$(MAKE) test

# The loops that repeat one behaviour run a quarter of their iterations
# (MLOG_TEST_SCALE, tests/test_helper.bash): check ran them all.
check-asan: deps
	MLOG_TEST_SCALE=25 $(MAKE) test O=build-asan B=build-asan/bin LIBA=build-asan/libmlog.a CFLAGS="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"

# The binaries under valgrind: tests/valgrind/, a few invocations of each.
.PHONY: check-valgrind
check-valgrind: deps
	@sh scripts/deps.sh valgrind
	$(MAKE) all
	MLOG_BIN=$(abspath $(B)) MLOG_HELPERS=$(abspath $(O)/helpers) bats tests/valgrind

# libFuzzer runs of FUZZ_SECONDS seconds per target (FUZZTIME is the old
# name), in build-fuzz/: corpus-NAME keeps what they find, crashes/ what
# fails (a crash ends a target's run; an out-of-memory or a timeout is
# recorded and the run goes on).  It fails while crashes/ holds a crash,
# leak or out-of-memory; timeouts and slow units are only listed.
# fuzz-smoke is the short pass CI makes: FUZZ_SMOKE_SECONDS per target,
# without libFuzzer's fork mode (quicker to start; anything found fails).
# The seeds come from a log that bin/mlog-append writes.
# Not part of check: it needs clang.
FUZZ_FORK ?= -fork=1 -ignore_ooms=1 -ignore_timeouts=1
FUZZ_MAKE = $(MAKE) fuzz-run O=build-fuzz LIBA=build-fuzz/libmlog.a CC=clang \
	CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"

fuzz:
	@sh scripts/deps.sh fuzz
	$(MAKE) $(B)/mlog-append $(B)/mlog-tail
	$(FUZZ_MAKE) FUZZ_SECONDS=$(FUZZ_SECONDS)

fuzz-smoke:
	@sh scripts/deps.sh fuzz
	$(MAKE) $(B)/mlog-append $(B)/mlog-tail
	$(FUZZ_MAKE) FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) FUZZ_FORK=

fuzz-run: $(FUZZ:%=$(O)/fuzz/%-fuzz)
	sh tests/fuzz/seeds.sh $(O) $(B)
	@mkdir -p $(O)/crashes
	st=0; for t in $(FUZZ); do \
		mkdir -p $(O)/corpus-$$t; \
		$(O)/fuzz/$$t-fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
			-rss_limit_mb=1024 -timeout=10 $(FUZZ_FORK) \
			-dict=tests/fuzz/$$t.dict -artifact_prefix=$(O)/crashes/$$t- \
			$(O)/corpus-$$t $(O)/seed-$$t tests/fuzz/regress/$$t || st=1; \
	done; \
	ls -l $(O)/crashes; \
	if ls $(O)/crashes | grep -Eqv '^[a-z]+-(timeout|slow-unit)-'; then st=1; fi; exit $$st

# A sub-make: pkg-config may only just have been installed by deps.
bench: deps
	$(MAKE) all
	sh bench/log.sh
	sh bench/expr.sh
	sh bench/window.sh
	sh bench/view.sh
	sh bench/join.sh
	sh bench/check.sh
	sh bench/compact.sh

demo: deps
	$(MAKE) all
	sh scripts/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7
	install -m 644 $(PROGS:%=completions/bash/%) $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 $(PROGS:%=completions/zsh/_%) $(DESTDIR)$(ZSHCOMPDIR)

uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(BINDIR)/%) $(PROGS:%=$(DESTDIR)$(MANDIR)/man1/%.1) \
		$(DESTDIR)$(MANDIR)/man5/mlog.5 $(DESTDIR)$(MANDIR)/man7/mstreams.7 \
		$(DESTDIR)$(MANDIR)/man7/mstreams-expr.7 \
		$(PROGS:%=$(DESTDIR)$(BASHCOMPDIR)/%) $(PROGS:%=$(DESTDIR)$(ZSHCOMPDIR)/_%)

clean:
	rm -rf build build-asan build-fuzz bin lib/libmlog.a
