# brefimg: build, test, lint and a demo that needs no network and no Docker.
GO ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
BIN := bin/brefimg

.PHONY: build test lint demo

## build: compile the CLI to bin/brefimg
build:
	$(GO) build -o $(BIN) ./cmd/brefimg

## test: every test, against the in-process registry, with the race detector
test:
	$(GO) test -race -count=1 ./...

## lint: gofmt, go vet and staticcheck
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## demo: start a local registry seeded with Bref-like images, build testdata/app with redis and gmp, push, show the result
demo: build
	$(GO) run ./internal/cmd/demo -brefimg $(BIN) testdata/app

.PHONY: bench

## bench: side-by-side benchmark of brefimg, buildah and a crane script (cold, warm, no-op; app at 1x, 4x, 10x); writes BENCHMARKS.md
bench: build
	GO=$(GO) scripts/bench.sh
