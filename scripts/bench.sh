#!/usr/bin/env bash
# Runs every benchmark, one after the other (each prints one JSON line, then a summary; see
# bench/*/README.md). The benchmarks run the TypeScript sources; the distributed one also starts
# `cairn scheduler` from dist/, which it builds first when missing or stale.
# The distributed benchmark needs Redis and PostgreSQL: REDIS_URL / DATABASE_URL, else the local servers.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { node --conditions=@cairn/source --import tsx "$@"; }
uptime
run bench/compile/compile.bench.ts
run bench/embedded/embedded.bench.ts
run bench/store/store.bench.ts
run bench/distributed/distributed.bench.ts
