# brefimg: build, test, lint and a demo that needs no network and no Docker.
GO ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
GORELEASER ?= github.com/goreleaser/goreleaser/v2@v2.15.1
BIN := bin/brefimg

.PHONY: build test lint demo

## build: compile the CLI to bin/brefimg
build:
	$(GO) build -o $(BIN) ./cmd/brefimg

## test: every test, against the in-process registry, with the race detector
test:
	$(GO) test -race -count=1 ./...

## lint: gofmt, go vet, staticcheck, and go.mod as go mod tidy leaves it
lint:
	$(GO) mod tidy -diff
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

.PHONY: release-snapshot release-check

## release-snapshot: the release archives and checksums.txt in dist/, as a tag would publish them (GoReleaser)
release-snapshot:
	$(GO) run $(GORELEASER) release --snapshot --clean --skip=publish

## release-check: build the release twice and check that the archives are the same bytes
release-check: release-snapshot
	mkdir -p bin
	cp dist/checksums.txt bin/checksums.first
	$(GO) run $(GORELEASER) release --snapshot --clean --skip=publish
	diff bin/checksums.first dist/checksums.txt || (echo "the release is not reproducible"; exit 1)
	@echo "reproducible: $$(wc -l < dist/checksums.txt) archives, same SHA-256 twice"

.PHONY: image

IMAGE ?=
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt

## image: brefimg itself as a minimal image, built by brefimg (image/Dockerfile): -t $(IMAGE) if set, and oci:dist/image
image:
	mkdir -p dist/image-context
	CGO_ENABLED=0 $(GO) build -trimpath -o dist/image-context/brefimg ./cmd/brefimg
	cp $(CA_BUNDLE) dist/image-context/ca-certificates.crt
	dist/image-context/brefimg build -f image/Dockerfile --platform linux/$$($(GO) env GOARCH) -o oci:dist/image $(if $(IMAGE),-t $(IMAGE)) dist/image-context

.PHONY: buildkit

## buildkit: what the BuildKit tests need: runc and busybox-static from Debian (as root), and bin/buildkitd built at go.mod's BuildKit version
buildkit:
	GO=$(GO) scripts/buildkit-deps.sh
