# paylinks: `make dev` runs the whole system locally, `make test` runs every
# test against emulators it installs and starts itself.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

DDB_PORT ?= 18000
SQS_PORT ?= 19324
DEV_SQS_PORT ?= 19325
PORT ?= 8080
PAYLINKS_RUN_DIR ?= $(CURDIR)/.tools/run
export DDB_PORT SQS_PORT DEV_SQS_PORT PORT PAYLINKS_RUN_DIR
export AWS_REGION ?= us-east-1
export AWS_ACCESS_KEY_ID ?= local
export AWS_SECRET_ACCESS_KEY ?= local
export AWS_EC2_METADATA_DISABLED := true
ifndef AWS_ENDPOINT_URL
export AWS_ENDPOINT_URL_DYNAMODB ?= http://127.0.0.1:$(DDB_PORT)
export AWS_ENDPOINT_URL_SQS ?= http://127.0.0.1:$(SQS_PORT)
export AWS_ENDPOINT_URL_KMS ?= http://127.0.0.1:$(SQS_PORT)
export AWS_ENDPOINT_URL_SECRETS_MANAGER ?= http://127.0.0.1:$(SQS_PORT)
# moto's S3: the bank statements' bucket (make dev, the tests)
export AWS_ENDPOINT_URL_S3 ?= http://127.0.0.1:$(SQS_PORT)
endif
# moto's cognito-idp is the members' user pool in make dev and the tests (and
# beside LocalStack, whose free edition has no Cognito).
export AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER ?= http://127.0.0.1:$(SQS_PORT)
export TABLE_NAME ?= paylinks-dev

GO_TEST_FLAGS ?= -count=1 -timeout 25m

# make lint's tools, from the Go module proxy (installed into .tools/<tool>-<version>/)
STATICCHECK_VERSION ?= v0.8.2
GOCYCLO_VERSION ?= v0.6.0
REDOCLY_VERSION ?= 2.77.0
# the dashboard's ES modules: tsc --noEmit and eslint (from npm, exact versions)
TYPESCRIPT_VERSION ?= 7.0.2
ESLINT_VERSION ?= 10.15.0
ESLINT_JS_VERSION ?= 10.0.1
GLOBALS_VERSION ?= 17.14.0
export STATICCHECK_VERSION GOCYCLO_VERSION REDOCLY_VERSION TYPESCRIPT_VERSION ESLINT_VERSION ESLINT_JS_VERSION GLOBALS_VERSION
# the browser tests' accessibility audit (shared/testkit/browser.AxeVersion names the same)
AXE_CORE_VERSION ?= 4.14.1
# clients-go: the Go client's generator (infra/local/clients.sh go, from the Go module proxy)
OAPI_CODEGEN_VERSION ?= v2.8.2
export OAPI_CODEGEN_VERSION

.PHONY: localstack-start localstack-stop test-localstack dev dev-stop dev-reset test test-short soak unit tools browser-deps emulators-start emulators-stop fmt vet lint clients bench bench-heat build sizes synth deploy diff FORCE

## dev: the whole system on 127.0.0.1:$(PORT) with the sandbox PSP. Its SQS is ElasticMQ
## (queues and messages on disk); the emulators keep running when the dev server exits or
## crashes, with their data (make dev-stop stops them, make dev-reset wipes the data).
## Ctrl-C stops the dev server gracefully and make quietly; the stack (table, region,
## endpoints) is recorded in $(PAYLINKS_RUN_DIR)/stack.json for go run ./infra/admin.
## The dev server is built and then run by a shell that ignores Ctrl-C itself (the server
## takes it and stops gracefully; go run would exit with status 1 whatever the server's own
## status, and make say "Error 1"): make, interrupted too, then waits for that shell, which
## outlives the server. Run in the recipe's place (exec), the server could be gone before make
## handled the interrupt, and make 4.3 then stopped with "wait: No child processes".
dev:
	@infra/local/emulators.sh start
	@go build -o "$(PAYLINKS_RUN_DIR)/bin/devserver" ./infra/devserver
	@trap "" INT; $(if $(AWS_ENDPOINT_URL),,AWS_ENDPOINT_URL_SQS=http://127.0.0.1:$(DEV_SQS_PORT)) "$(PAYLINKS_RUN_DIR)/bin/devserver" -record

## dev-stop: stop the emulators (their data stays for the next make dev)
dev-stop:
	@infra/local/emulators.sh stop

## dev-reset: stop the emulators and wipe the local tables, queues, messages and dev secrets
dev-reset:
	@infra/local/emulators.sh reset

## test: make lint, make sizes, every test against the emulators (started and stopped here; the
## dashboard's browser tests after the other packages, alone beside the emulators on 2 cores), short
## fuzz runs, schemathesis against the running dev server; the figures are printed at the end
test: browser-deps
	@EMULATORS="ddb moto" infra/local/emulators.sh start
	@mkdir -p build; rm -f build/figures.txt; rc=0; \
	  $(MAKE) --no-print-directory lint || rc=1; \
	  PAYLINKS_FIGURES=$(CURDIR)/build/figures.txt infra/local/sizes.sh || rc=1; \
	  PAYLINKS_FIGURES=$(CURDIR)/build/figures.txt go test $(GO_TEST_FLAGS) $$(go list ./... | grep -v '/shared/dashboard$$') || rc=1; \
	  PAYLINKS_FIGURES=$(CURDIR)/build/figures.txt go test $(GO_TEST_FLAGS) ./shared/dashboard/ || rc=1; \
	  PAYLINKS_FIGURES=$(CURDIR)/build/figures.txt FUZZTIME=$${FUZZTIME:-4s} infra/local/fuzz.sh || rc=1; \
	  PAYLINKS_FIGURES=$(CURDIR)/build/figures.txt infra/local/cfnlint.sh || rc=1; \
	  ST_MAX_EXAMPLES=$${ST_MAX_EXAMPLES:-25} infra/local/schemathesis.sh 2>&1 | tee build/schemathesis.txt | sed -n '/SUMMARY/,$$p' || rc=1; \
	  infra/local/emulators.sh stop; \
	  $(MAKE) --no-print-directory test-localstack 2>&1 | tee build/localstack.txt || rc=1; \
	  grep '^localstack: ' build/localstack.txt | sed 's/^localstack: /localstack                   /' >>build/figures.txt; \
	  echo; echo "figures (build/figures.txt):"; cat build/figures.txt 2>/dev/null; \
	  grep ' generated, ' build/schemathesis.txt | sed 's/^ */schemathesis                 /'; \
	  exit $$rc

## soak: the long runs: fuzzing 60 s per target, 1,000 races, 10 redelivery rounds, more fault load,
## schemathesis with 300 examples per operation
soak:
	@EMULATORS="ddb moto" infra/local/emulators.sh start
	@mkdir -p build; rm -f build/soak-figures.txt; rc=0; \
	  PAYLINKS_SOAK=1 PAYLINKS_CONTRACT_PARTIAL=1 PAYLINKS_FIGURES=$(CURDIR)/build/soak-figures.txt \
	    go test -count=1 -timeout 120m ./tests/reliability/ || rc=1; \
	  PAYLINKS_FIGURES=$(CURDIR)/build/soak-figures.txt FUZZTIME=$${FUZZTIME:-60s} infra/local/fuzz.sh || rc=1; \
	  ST_MAX_EXAMPLES=$${ST_MAX_EXAMPLES:-300} infra/local/schemathesis.sh 2>&1 | tee build/schemathesis-soak.txt | sed -n '/SUMMARY/,$$p' || rc=1; \
	  infra/local/emulators.sh stop; \
	  echo; echo "figures (build/soak-figures.txt):"; cat build/soak-figures.txt 2>/dev/null; \
	  grep ' generated, ' build/schemathesis-soak.txt | sed 's/^ */schemathesis                 /'; \
	  exit $$rc

## test-short: the fast tier, go test -short: no emulator, browser, build or tool outside the
## process (under 2 minutes on 2 cores). Every AWS endpoint points at a closed port, so a test
## that reaches an emulator fails loudly instead of passing on one left running
test-short:
	AWS_ENDPOINT_URL=$(CLOSED) AWS_ENDPOINT_URL_DYNAMODB=$(CLOSED) AWS_ENDPOINT_URL_DYNAMODB_STREAMS=$(CLOSED) \
	  AWS_ENDPOINT_URL_SQS=$(CLOSED) AWS_ENDPOINT_URL_KMS=$(CLOSED) AWS_ENDPOINT_URL_SECRETS_MANAGER=$(CLOSED) \
	  AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=$(CLOSED) AWS_ENDPOINT_URL_SESV2=$(CLOSED) AWS_ENDPOINT_URL_SNS=$(CLOSED) \
	  AWS_ENDPOINT_URL_S3=$(CLOSED) go test -short -count=1 ./...

# nothing listens on port 1
CLOSED := http://127.0.0.1:1

## unit: test-short's former name
unit: test-short

tools:
	@infra/local/emulators.sh install

## browser-deps: Debian's chromium and axe-core (into .tools/axe-core-<version>) for the browser tests
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }
	@test -f .tools/axe-core-$(AXE_CORE_VERSION)/node_modules/axe-core/axe.min.js || { \
	  echo "installing axe-core $(AXE_CORE_VERSION) from npm for the browser tests"; \
	  mkdir -p .tools/axe-core-$(AXE_CORE_VERSION); \
	  npm install --prefix .tools/axe-core-$(AXE_CORE_VERSION) --no-save --ignore-scripts --no-audit --no-fund axe-core@$(AXE_CORE_VERSION) >/dev/null; }

emulators-start:
	@infra/local/emulators.sh start

emulators-stop:
	@infra/local/emulators.sh stop

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	go vet ./...

## lint: gofmt, go vet, a go mod tidy diff, staticcheck, gocyclo -over 20, redocly on openapi.json, tsc --noEmit
## and eslint on the dashboard's modules (each runs; any failure fails)
lint:
	@infra/local/lint.sh

## clients: regenerate the API clients from shared/openapi/openapi.json (infra/local/clients.sh)
clients:
	@infra/local/clients.sh

## bench: the benchmarks against the emulators (started here when they do not answer, and then
## stopped), stage by stage (infra/local/bench.sh): the operations, the key-heat stage (HEAT_SCALE),
## the cold starts beside a hello-world floor, the sweep, throughput, clicks, the sweep among
## BENCH_SWEEP_TOTAL links, a bank statement of BENCH_RECONCILE_ENTRIES entries reconciled; the
## report on stdout, and its tables into docs/performance.md
bench:
	@infra/local/bench.sh all

## bench-heat: only what the key-heat and cost tables need (the operations, then the key-heat
## stage), for before/after comparisons of a key layout (writes no page)
bench-heat:
	@infra/local/bench.sh heat

CDK_VERSION ?= 2.1148.1
CDK := npx --yes aws-cdk@$(CDK_VERSION)
# every directory under functions/, so a new function is built without editing this file
FUNCTIONS := $(patsubst functions/%/,%,$(sort $(wildcard functions/*/)))

## build: build/functions/<name>.zip per function (bootstrap for provided.al2023 on arm64,
## reproducible zips); one target each, so make -j build builds them in parallel
build: $(FUNCTIONS:%=build/functions/%.zip)

build/functions/%.zip: FORCE
	@infra/local/buildfn.sh $*

FORCE:

## sizes: make -j build, then each function's linked packages, binary and zip size (fails at 12 MB)
sizes:
	@infra/local/sizes.sh

## synth: the CloudFormation template (cdk.out/), from the CDK app in Go
synth: build
	$(CDK) synth --quiet -c stage=$${STAGE:-dev}

## diff / deploy: against the account in your AWS credentials
diff: build
	$(CDK) diff -c stage=$${STAGE:-dev}

deploy: build
	$(CDK) deploy -c stage=$${STAGE:-dev} --require-approval broadening

## localstack-start / localstack-stop: LocalStack on 127.0.0.1:$(LOCALSTACK_PORT) without Docker
## (pinned into .tools/localstack; Lambda runs each bootstrap under aws-lambda-rie), moto beside it for SES v2
## and cognito-idp (the team members' user pool)
LOCALSTACK_PORT ?= 4599
LOCALSTACK_SES_PORT ?= 19724
export LOCALSTACK_PORT
localstack-start:
	@SQS_PORT=$(LOCALSTACK_SES_PORT) infra/local/localstack.sh start

localstack-stop:
	@SQS_PORT=$(LOCALSTACK_SES_PORT) infra/local/localstack.sh stop

## test-localstack: start LocalStack, deploy the real CDK stack into it (cdklocal, functions built
## for this machine), drive it (go test ./infra/localstack), run every integration test against it
## (AWS_ENDPOINT_URL), stop it; prints each step's duration
test-localstack:
	@rc=0; export SQS_PORT=$(LOCALSTACK_SES_PORT); \
	  if infra/local/localstack.sh start && infra/local/localstack.sh deploy; then \
	    infra/local/localstack.sh drive || rc=1; \
	    infra/local/localstack.sh integration || rc=1; \
	  else rc=1; fi; \
	  infra/local/localstack.sh stop; exit $$rc
