#!/usr/bin/env bash
# Runs every check: typecheck, lint, build, and all tests (unit, type, integration, end-to-end).
# Integration tests need Redis and PostgreSQL: REDIS_URL / DATABASE_URL when set; otherwise the
# local servers on their standard ports (started here if installed but stopped); otherwise the
# tests fall back to testcontainers (needs a Docker engine).
set -euo pipefail
cd "$(dirname "$0")/.."

start_redis() {
  command -v redis-cli >/dev/null 2>&1 || return 0
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return 0
  command -v redis-server >/dev/null 2>&1 || return 0
  echo "starting redis-server on 127.0.0.1:6379"
  mkdir -p /tmp/cairn-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp/cairn-redis >/dev/null
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && return 0; sleep 0.1; done
}

start_postgres() {
  command -v pg_isready >/dev/null 2>&1 || return 0
  pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && return 0
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 100); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && return 0; sleep 0.1; done
  fi
}

if [ -z "${REDIS_URL:-}" ]; then
  start_redis
  if command -v redis-cli >/dev/null 2>&1 && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    export REDIS_URL=redis://127.0.0.1:6379
  fi
fi
if [ -z "${DATABASE_URL:-}" ]; then
  start_postgres
  if command -v pg_isready >/dev/null 2>&1 && pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    for role in postgres root "$(id -un)"; do
      if psql -h 127.0.0.1 -U "$role" -d test -c 'select 1' >/dev/null 2>&1; then
        export DATABASE_URL="postgres://$role@127.0.0.1:5432/test"
        break
      fi
    done
  fi
fi
echo "REDIS_URL=${REDIS_URL:-<testcontainers>} DATABASE_URL=${DATABASE_URL:-<testcontainers>}"

export AWS_EC2_METADATA_DISABLED=true
pnpm typecheck
pnpm lint
# The built CLI (dist/) is tested too: that it runs on plain Node, without tsx or the AWS SDK.
pnpm build
CAIRN_TEST_BUILT_CLI=1 pnpm vitest run
