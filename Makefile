# fazhi - GNU Makefile.
#
#   make            the program, optimised: build/rel/fazhi
#   make demo       dependencies, build, demo database, server on :8080
#   make check      dependencies, sanitizer build, format check, every test
#                   (the browser tests of tests/browser/ too: `npm ci` first)
#   make asan       the program and tests built with ASan + UBSan
#   make format     reformat the sources with clang-format
#
# Two build trees: build/rel (-O2) and build/asan (AddressSanitizer and
# UndefinedBehaviorSanitizer, what the tests run). Header dependencies come
# from -MMD; generated sources live in build/gen.

.DEFAULT_GOAL := all
SHELL := /bin/bash

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libmicrohttpd jansson sqlite3 libsodium xlsxwriter expat md4c pangocairo fontconfig libzip \
        libqrencode libcurl
TEST_PKGS := cmocka

# Tables (routes, metrics, case types) are written positionally and leave
# trailing members out, which C zero-fills: -Wextra's
# missing-field-initializers would flag every such row.
WARN := -std=c11 -Wall -Wextra -Wno-missing-field-initializers -Wshadow -Wstrict-prototypes \
	-Wformat=2 -Wvla -Werror
CPPFLAGS += -Isrc -Ibuild/gen
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lpthread -lm
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS))
TEST_LIBS = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

REL_FLAGS := -O2 -g
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

SRCS := $(sort $(shell find src -name '*.c'))
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
MIGRATIONS := $(sort $(shell find src -path '*/migrations/*.sql'))
CONF_FILES := $(sort $(shell find conf -type f 2>/dev/null))
ASSET_FILES := $(sort $(shell find assets -type f ! -name '.*' ! -name '*~' 2>/dev/null))
GEN_SRCS := build/gen/migrations.c build/gen/embedded.c build/gen/assets.c
UNIT_TESTS := $(sort $(wildcard tests/unit/test_*.c))
API_TESTS := $(sort $(wildcard tests/api/test_*.c))
API_HELPERS := $(filter-out $(API_TESTS),$(wildcard tests/api/*.c))
FORMAT_FILES := $(shell find src tests tools fuzz bench -name '*.[ch]' 2>/dev/null)

objs = $(patsubst src/%.c,$(1)/%.o,$(LIB_SRCS)) $(1)/gen/migrations.o $(1)/gen/embedded.o \
       $(1)/gen/assets.o

REL_OBJS := $(call objs,build/rel)
ASAN_OBJS := $(call objs,build/asan)
UNIT_BINS := $(patsubst tests/unit/%.c,build/asan/tests/unit/%,$(UNIT_TESTS))
API_BINS := $(patsubst tests/api/%.c,build/asan/tests/api/%,$(API_TESTS))
FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(sort $(wildcard fuzz/fuzz_*.c)))
FUZZ_BINS := $(patsubst %,build/asan/fuzz/%,$(FUZZ_TARGETS))


.PHONY: all asan demo check deps format format-check clean tests browser-check
all: build/rel/fazhi

deps:
	@scripts/deps.sh

build/tools/embed: tools/embed.c
	@mkdir -p $(@D)
	$(CC) -O1 -Wall -Wextra -o $@ $<

build/gen/migrations.c: build/tools/embed $(MIGRATIONS)
	@mkdir -p $(@D)
	build/tools/embed migrations $@ $(MIGRATIONS)

# Every file under conf/ (catalogs, templates) is compiled into the program
# (core/embedded.h), so that it runs from any directory.
build/gen/embedded.c: build/tools/embed $(CONF_FILES)
	@mkdir -p $(@D)
	build/tools/embed files $@ conf $(CONF_FILES)

# Templates and static files (assets/) are compiled in the same way, as a
# second array, web_asset_files[] (src/web/web.h); `fazhi serve --dev` reads
# assets/ from disk instead.
build/gen/assets.c: build/tools/embed $(ASSET_FILES)
	@mkdir -p $(@D)
	build/tools/embed files --symbol web_asset_files $@ assets $(ASSET_FILES)

# --- optimised build ---
build/rel/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(REL_FLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
build/rel/gen/%.o: build/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(REL_FLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
build/rel/fazhi: build/rel/main.o $(REL_OBJS)
	$(CC) $(REL_FLAGS) -o $@ $^ $(PKG_LIBS)

# --- sanitizer build: the program and the tests ---
build/asan/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(ASAN_FLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
build/asan/gen/%.o: build/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(ASAN_FLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
build/asan/fazhi: build/asan/main.o $(ASAN_OBJS)
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(PKG_LIBS)
build/asan/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(ASAN_FLAGS) $(CPPFLAGS) -Itests $(PKG_CFLAGS) $(TEST_CFLAGS) -MMD -MP -c $< -o $@
build/asan/tests/unit/%: build/asan/tests/unit/%.o $(ASAN_OBJS)
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS)
build/asan/tests/api/%: build/asan/tests/api/%.o $(patsubst tests/%.c,build/asan/tests/%.o,$(API_HELPERS)) $(ASAN_OBJS)
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS)

asan: build/asan/fazhi $(UNIT_BINS) $(API_BINS) $(FUZZ_BINS)

# --- checks ---
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) || \
	    { echo "format: run 'make format' (clang-format) and commit the result" >&2; exit 1; }

check: deps
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory -j$$(nproc) asan build/rel/fazhi node_modules/.package-lock.json
	@FAZHI_BIN=$(CURDIR)/build/asan/fazhi scripts/run-tests.sh $(UNIT_BINS) $(FUZZ_BINS) $(API_BINS) \
	    tests/browser/run.sh

# The browser tests' one npm package (playwright-core, locked in
# package-lock.json; it drives Debian's /usr/bin/chromium and downloads no
# browser). npm ci writes node_modules/.package-lock.json, so the install
# runs again only when node_modules is missing or the lock file is newer.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Only the browser tests (tests/browser/run.sh FILE runs one file).
browser-check: node_modules/.package-lock.json
	@$(MAKE) --no-print-directory -j$$(nproc) build/asan/fazhi
	@FAZHI_BIN=$(CURDIR)/build/asan/fazhi scripts/run-tests.sh tests/browser/run.sh

demo: deps
	@$(MAKE) --no-print-directory -j$$(nproc) build/rel/fazhi
	@scripts/demo.sh build/rel/fazhi

clean:
	rm -rf build


# --- fuzz targets (src/http parsers; see fuzz/README.md) ---
# Each fuzz/fuzz_<name>.c is linked with fuzz/replay.c and the sanitizer
# objects; `make fuzz-replay` runs every target over fuzz/corpus/fuzz_<name>/.

build/asan/fuzz/%: fuzz/%.c fuzz/replay.c $(ASAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(ASAN_FLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -o $@ fuzz/$*.c fuzz/replay.c $(ASAN_OBJS) $(PKG_LIBS)

.PHONY: fuzz-replay
fuzz-replay: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do build/asan/fuzz/$$t || exit 1; done

.PRECIOUS: build/asan/tests/%.o
-include $(shell find build -name '*.d' 2>/dev/null)
