# crn — common tasks. `make help` lists them.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go
PKGS ?= ./...
# Flags for `make test`, e.g. make test GOTESTFLAGS='-count=1 -run TestSearch -v' PKGS=./internal/search/...
GOTESTFLAGS ?= -count=1 -p 2 -timeout 20m
BENCHFLAGS ?=
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS = -s -w -X github.com/crn-dev/crn/internal/version.Version=$(VERSION)
# staticcheck 2026.2.2; needs and supports Go 1.26.
STATICCHECK_VERSION := v0.8.2
# Starts/locates PostgreSQL, Redis and Meilisearch and sets CRN_TEST_* for the command.
SERVICES := bash .ci/services.sh

.PHONY: help run build test bench lint vet fmt-check staticcheck compose-check generate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

run: ## run the server (go run ./cmd/crn serve)
	$(GO) run ./cmd/crn serve

build: ## build a static binary into bin/crn
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/crn ./cmd/crn

test: ## all unit and integration tests against real services (GOTESTFLAGS, PKGS)
	$(SERVICES) $(GO) test $(GOTESTFLAGS) $(PKGS)

bench: ## benchmarks against real services (BENCHFLAGS, PKGS)
	$(SERVICES) $(GO) test -run '^$$' -bench . -benchmem $(BENCHFLAGS) $(PKGS)

lint: vet fmt-check staticcheck compose-check ## go vet, gofmt, staticcheck, compose file check

vet: ## go vet
	$(GO) vet $(PKGS)

fmt-check: ## fail if any Go file needs gofmt
	@files="$$(git ls-files -z --cached --others --exclude-standard -- '*.go' | xargs -0 -r gofmt -l)"; \
	if [ -n "$$files" ]; then echo "these files need gofmt -w:"; echo "$$files"; exit 1; fi

staticcheck: ## staticcheck (pinned version, installed when missing)
	@bin="$$($(GO) env GOBIN)"; bin="$${bin:-$$($(GO) env GOPATH)/bin}"; \
	if ! "$$bin/staticcheck" -version 2>/dev/null | grep -qF "($(STATICCHECK_VERSION:v%=%))"; then \
		echo "installing staticcheck $(STATICCHECK_VERSION) into $$bin"; \
		GOBIN="$$bin" $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); \
	fi; \
	echo "staticcheck $(PKGS)"; "$$bin/staticcheck" $(PKGS)

compose-check: ## validate docker-compose.yml (Debian's docker-compose, installed when missing)
	@if ! command -v docker-compose >/dev/null; then \
		echo "installing docker-compose (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; \
	fi
	docker-compose -f docker-compose.yml config -q

generate: ## regenerate ent code and write a new migration: make generate NAME=add_widgets
	$(if $(NAME),,$(error NAME is required, e.g. make generate NAME=add_widgets))
	$(GO) generate ./ent
	$(GO) run ./internal/database/migrategen -name $(NAME)

clean: ## remove build and coverage output
	rm -rf bin/ coverage.out coverage.html cover.out *.coverprofile
	find . -name '*.test' -type f -not -path './.git/*' -delete

.PHONY: screenshots vendor-web
screenshots: ## PNGs of the main pages, desktop and phone width, into ./artifacts (chromium and fonts installed when missing)
	@missing=""; command -v chromium >/dev/null || missing="chromium"; \
	fc-list 2>/dev/null | grep -qi "wqy\|noto sans cjk" || missing="$$missing fonts-wqy-zenhei"; \
	fc-list 2>/dev/null | grep -qi "emoji" || missing="$$missing fonts-noto-color-emoji"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	CRN_SCREENSHOTS_DIR=$(CURDIR)/artifacts $(GO) test -count=1 -run '^TestScreenshots$$' -v ./internal/webui/ | grep -E 'wrote|FAIL|ok'

vendor-web: ## re-fetch the web app's third-party JavaScript from npm and check it against the pinned checksums
	bash scripts/vendor-web.sh

.PHONY: loadtest
loadtest: ## load test a seeded crn with wrk, SQLite then PostgreSQL (LOADTEST_*; see .ci/loadtest.sh)
	bash .ci/loadtest.sh
