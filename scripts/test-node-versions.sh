#!/usr/bin/env bash
# Runs the install, the build, every test (`pnpm test:all`) and the main job (`pnpm example`) on
# other Node versions, each in its own clone of the repository, so this checkout's node_modules
# (and its better-sqlite3 build) is never touched. Not run by CI.
#
# Usage: scripts/test-node-versions.sh [--rev <git-rev>] [--keep] <node>...
#   <node>  a Node binary (/path/to/bin/node), or a version for `npm pack node-<os>-<arch>@<version>`
#           (22, 24, 22.23.5, ...), fetched once into $CAIRN_NODE_CACHE (default ~/.cache/cairn-node).
#   --rev   what to test: a commit of this repository (default HEAD; uncommitted changes are not tested).
#   --keep  keep each clone (printed) instead of deleting it.
#
# better-sqlite3 is built from source against the tested Node's headers (npm_config_nodedir, the
# package's include/node), so no network is needed beyond the npm registry. Integration tests use
# REDIS_URL / DATABASE_URL when set, else what `scripts/test-all.sh` finds. Every Node process runs
# with --trace-deprecation and its warnings redirected to <logs>/warnings.txt; the summary counts
# deprecation and experimental warnings there and in the logs.
# Prints one summary line per Node version; exits 1 if any step failed on any version.
set -uo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CAIRN_NODE_CACHE:-$HOME/.cache/cairn-node}"
rev=HEAD
keep=0
nodes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rev) rev="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) nodes+=("$1"); shift ;;
  esac
done
if [ ${#nodes[@]} -eq 0 ]; then
  echo "usage: $0 [--rev <git-rev>] [--keep] <node binary | version>..." >&2
  exit 2
fi
commit="$(git -C "$repo" rev-parse --verify "$rev^{commit}")" || exit 2

# Prints the directory of the unpacked `node-<os>-<arch>` npm package for a version spec, fetching it
# into the cache when missing. The package holds bin/node and include/node (the headers node-gyp needs).
fetch_node() {
  local spec="$1" os arch pkg version dir tmp
  os="$(uname -s | tr '[:upper:]' '[:lower:]')"
  case "$(uname -m)" in
    x86_64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) arch="$(uname -m)" ;;
  esac
  pkg="node-$os-$arch"
  version="$(npm view "$pkg@$spec" version --json 2>/dev/null)" || version=
  version="$(echo "$version" | tr -d '[]" \n' | tr ',' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -n1)"
  if [ -z "$version" ]; then
    echo "no npm package $pkg@$spec" >&2
    return 1
  fi
  dir="$cache/$pkg-$version"
  if [ ! -x "$dir/bin/node" ]; then
    echo "fetching $pkg@$version into $dir" >&2
    mkdir -p "$cache"
    tmp="$(mktemp -d "$cache/.fetch.XXXXXX")"
    if ! (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null && tar xzf ./*.tgz); then
      rm -rf "$tmp"
      return 1
    fi
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir"
}

# Runs one step of one version: output to $logdir/<name>.log; records "name ok (Ns)" or "name FAILED".
run_step() {
  local name="$1" start rc
  shift
  start=$SECONDS
  echo "  $name: $*" >&2
  (cd "$work" && "$@") >"$logdir/$name.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    steps+=("$name ok ($((SECONDS - start))s)")
  else
    steps+=("$name FAILED rc=$rc ($((SECONDS - start))s)")
    failed=1
  fi
  return $rc
}

summaries=()
status=0
for spec in "${nodes[@]}"; do
  if [ -f "$spec" ] && [ -x "$spec" ]; then
    node_bin="$(cd "$(dirname "$spec")" && pwd)/$(basename "$spec")"
    node_dir="$(dirname "$(dirname "$node_bin")")"
  elif node_dir="$(fetch_node "$spec")"; then
    node_bin="$node_dir/bin/node"
  else
    summaries+=("node $spec: FAILED to fetch")
    status=1
    continue
  fi
  version="$("$node_bin" --version)"
  if [ ! -f "$node_dir/include/node/node_version.h" ]; then
    echo "warning: $node_dir/include/node has no headers; node-gyp will try to download them" >&2
  fi

  work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-node-$version.XXXXXX")"
  logdir="$work/.node-test-logs"
  steps=()
  failed=0
  echo "== $version ($node_bin) in $work" >&2
  git clone --quiet --no-checkout "$repo" "$work/repo" && git -C "$work/repo" checkout --quiet --detach "$commit" \
    || { summaries+=("$version: FAILED to clone"); status=1; continue; }
  mkdir -p "$logdir"
  work="$work/repo"

  (
    # This Node first on PATH (pnpm, tsx, vitest and every spawned `node` use it); native addons
    # built against its headers and never fetched as prebuilt binaries (offline, and ~/.npmrc may
    # point nodedir at the system Node's headers).
    export PATH="$(dirname "$node_bin"):$PATH"
    export npm_config_nodedir="$node_dir"
    export npm_config_build_from_source=true
    # Warnings of every Node process (children whose stderr a test captures too) go to one file.
    export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--trace-deprecation --redirect-warnings=$logdir/warnings.txt"
    export CI=true
    [ "$(node --version)" = "$version" ] || { echo "PATH does not put $node_bin first" >&2; exit 1; }

    run_step install pnpm install --frozen-lockfile || { printf '%s\n' "${steps[@]}" >"$logdir/steps"; exit 1; }
    run_step sqlite node -e "const D = require('./packages/core/node_modules/better-sqlite3'); new D(':memory:').prepare('select 1').get()"
    run_step build pnpm -r build
    run_step test-all pnpm test:all
    run_step example pnpm example
    printf '%s\n' "${steps[@]}" >"$logdir/steps"
    exit "$failed"
  )
  rc=$?
  mapfile -t steps <"$logdir/steps" 2>/dev/null || steps=()
  deprecations="$(cat "$logdir"/*.log "$logdir"/warnings.txt 2>/dev/null | grep -c 'DeprecationWarning')"
  experimental="$(cat "$logdir"/*.log "$logdir"/warnings.txt 2>/dev/null | grep -c 'ExperimentalWarning')"
  tests="$(sed 's/\x1b\[[0-9;]*m//g' "$logdir/test-all.log" 2>/dev/null | grep -E '^ +Tests +[0-9]' | tail -n1 | sed -E 's/^ +Tests +//')"
  example="$(grep -o 'Succeeded after [0-9.]*s' "$logdir/example.log" 2>/dev/null | tail -n1 | sed 's/Succeeded after //')"
  line="$version: $(IFS=,; echo "${steps[*]}" | sed 's/,/, /g')${tests:+; tests: $tests}${example:+; example execution: $example}; warnings: $deprecations deprecation, $experimental experimental"
  [ $rc -eq 0 ] || { line="$line; logs in $logdir"; status=1; }
  summaries+=("$line")
  if [ $keep -eq 1 ] || [ $rc -ne 0 ]; then
    echo "kept $work (logs in $logdir)" >&2
  else
    rm -rf "$(dirname "$work")"
  fi
done

echo
printf '%s\n' "${summaries[@]}"
exit $status
