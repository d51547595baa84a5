# llmr — build, test, demo, install.
PREFIX ?= /usr/local
SWIFT ?= swift
# lld with packed relative relocations and no exported symbols: the loader has
# ~2 MB less relocation table to read and far fewer symbols to search at start-up.
# libstdc++ and libgcc are linked from their archives (the -L directory holds
# only libstdc++.a, so -lstdc++ finds it before the shared one); libsqlite3 and
# libyaml are static in every build (Package.swift). Debug info is left out of
# the installed binary; its symbols stay for profilers and backtraces.
# Concrete type metadata through accessor functions rather than mangled names
# spares the runtime's demangler at first use: 1.1 M fewer instructions per ask.
STATIC_DIR = .build/static-libs
RELEASE_FLAGS = -c release --static-swift-stdlib -Xswiftc -use-ld=lld \
	-Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic \
	-Xswiftc -L$(STATIC_DIR) -Xswiftc -Xclang-linker -Xswiftc -static-libgcc \
	-Xlinker --strip-debug \
	-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man/man1

.PHONY: all deps build release test demo bench compat install uninstall lint-man clean

all: build

# The apt packages the build links against, installed only when missing.
deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	@scripts/static-libs.sh $(STATIC_DIR)
	$(SWIFT) build $(RELEASE_FLAGS)

test: deps
	SWIFT=$(SWIFT) scripts/test.sh

demo: build
	scripts/demo.sh

bench: release
	scripts/bench-ask.sh
	scripts/bench-stream.sh
	scripts/bench-breaker.sh
	scripts/bench-hedge.sh
	scripts/bench-stats.sh
	scripts/bench-interrupt.sh
	scripts/bench-rss.sh
	scripts/bench-side-by-side.sh
	scripts/bench-wrk.sh

# Against real servers (llama.cpp's, the LiteLLM proxy), installed once into
# ~/.cache/llmr-compat; not part of make test.
compat: deps
	scripts/compat.sh

lint-man:
	mandoc -Tlint -W warning man/llmr.1

install: release
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	install -m 755 .build/release/llmr $(DESTDIR)$(BINDIR)/llmr
	install -m 755 .build/release/llmr-serve $(DESTDIR)$(BINDIR)/llmr-serve
	install -m 644 man/llmr.1 $(DESTDIR)$(MANDIR)/llmr.1
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 644 completions/llmr.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/llmr
	install -d $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 644 completions/_llmr $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_llmr
	install -d $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 644 completions/llmr.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/llmr.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/llmr $(DESTDIR)$(BINDIR)/llmr-serve $(DESTDIR)$(MANDIR)/llmr.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/llmr \
	  $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_llmr \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/llmr.fish

clean:
	rm -rf .build
