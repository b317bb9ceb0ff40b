# paylinks: `make dev` runs the whole system locally, `make test` runs every
# test against emulators it installs and starts itself.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

DDB_PORT ?= 18000
SQS_PORT ?= 19324
PORT ?= 8080
export DDB_PORT SQS_PORT PORT
export AWS_REGION ?= us-east-1
export AWS_ACCESS_KEY_ID ?= local
export AWS_SECRET_ACCESS_KEY ?= local
export AWS_EC2_METADATA_DISABLED := true
export AWS_ENDPOINT_URL_DYNAMODB ?= http://127.0.0.1:$(DDB_PORT)
export AWS_ENDPOINT_URL_SQS ?= http://127.0.0.1:$(SQS_PORT)
export TABLE_NAME ?= paylinks-dev

GO_TEST_FLAGS ?= -count=1 -timeout 25m

.PHONY: dev test unit tools browser-deps emulators-start emulators-stop fmt vet bench

## dev: the whole system on 127.0.0.1:$(PORT) with the sandbox PSP
dev:
	@infra/local/emulators.sh start
	@trap 'infra/local/emulators.sh stop' EXIT; go run ./infra/devserver

## test: vet, unit, integration and browser tests against the emulators (started and stopped here)
test: browser-deps
	@infra/local/emulators.sh start
	@rc=0; \
	  test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; rc=1; }; \
	  go vet ./... || rc=1; \
	  go test $(GO_TEST_FLAGS) ./... || rc=1; \
	  infra/local/emulators.sh stop; \
	  exit $$rc

## unit: the tests that need no emulator
unit:
	go test -count=1 ./shared/money/ ./shared/domain/ ./shared/validate/

tools:
	@infra/local/emulators.sh install

## browser-deps: Debian's chromium for the browser tests
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }

emulators-start:
	@infra/local/emulators.sh start

emulators-stop:
	@infra/local/emulators.sh stop

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	go vet ./...

## bench: the benchmarks against the emulators (started and stopped here)
bench:
	@infra/local/emulators.sh start
	@rc=0; go test -run '^$$' -bench . -benchtime $${BENCHTIME:-200x} ./... | grep -v '^{' || rc=1; \
	  infra/local/emulators.sh stop; exit $$rc
