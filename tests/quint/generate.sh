#!/usr/bin/env bash
# Regenerates raft_election.itf.json with the real Quint tool (npm package
# @informalsystems/quint), installed into a cache directory outside the repository.
# The Rust tests read the checked-in file, so they need neither npm nor Quint; this script is
# how that file was made, and how to remake it. Without npm it says so and exits 0.
#
#   tests/quint/generate.sh            # writes tests/quint/raft_election.itf.json
#   QUINT_VERSION=0.33.1 QUINT_CACHE=/tmp/q tests/quint/generate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${QUINT_VERSION:-0.33.1}"
cache="${QUINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/raftspec/quint-$version}"

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    echo "generate.sh: npm/node not found: kept the checked-in raft_election.itf.json" >&2
    exit 0
fi
if [ ! -x "$cache/node_modules/.bin/quint" ]; then
    mkdir -p "$cache"
    # antlr4ts 0.5.0-dev (a later pre-release that Quint's "^0.5.0-alpha.4" admits) breaks
    # Quint at start-up: pin the release Quint was built with.
    cat > "$cache/package.json" <<JSON
{ "private": true,
  "dependencies": { "@informalsystems/quint": "$version" },
  "overrides": { "antlr4ts": "0.5.0-alpha.4" } }
JSON
    (cd "$cache" && npm install --no-audit --no-fund --loglevel=error >&2)
fi
quint="$cache/node_modules/.bin/quint"
echo "generate.sh: $("$quint" --version | head -1) from $cache" >&2
cd "$here"
out="$(mktemp -d)/raft_election.itf.json"
# The TypeScript simulator needs no download and no JVM (the Rust one is fetched from GitHub;
# Apalache, a JVM tool, is only for `quint verify`). A fixed seed makes the trace the same on
# every run; the run stops at the first state violating notReplicated.
set +e
"$quint" run --backend typescript --seed 11 --max-steps 20 --mbt \
    --invariant notReplicated --out-itf "$out" raft_election.qnt >"$out.log" 2>&1
rc=$?
set -e
if [ ! -s "$out" ]; then
    echo "generate.sh: quint wrote no trace (exit $rc)" >&2
    exit 1
fi
cp "$out" raft_election.itf.json
echo "generate.sh: wrote $here/raft_election.itf.json ($rc: the invariant was violated, as intended)" >&2
