#!/bin/sh
# prism.sh runs Prism's mock server of the same listing Driftwood serves
# (api/drift-openapi.yaml) beside Driftwood, on the same requests (bench's
# contacts scenario), and compares throughput, startup and peak memory.
# Needs Node and npm: Prism (@stoplight/prism-cli) comes from the npm
# registry into $PRISM_DIR on first use. Linux only (reads /proc).
#
#   bench/prism.sh                 # 10s, 32 clients
#   DURATION=5s CLIENTS=8 bench/prism.sh
set -eu
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CLIENTS=${CLIENTS:-32}
PRISM_DIR=${PRISM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/driftwood-bench/prism}
PORT=${PRISM_PORT:-4010}
out=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$out"' EXIT
pid=

prism="$PRISM_DIR/node_modules/.bin/prism"
if [ ! -x "$prism" ]; then
	echo "installing @stoplight/prism-cli into $PRISM_DIR" >&2
	npm install --silent --prefix "$PRISM_DIR" @stoplight/prism-cli@5 >&2
fi

echo "driftwood: contacts scenario ($CLIENTS clients, $DURATION)" >&2
go run ./bench --baselines=false --scenarios contacts --clients "$CLIENTS" --duration "$DURATION" --json "$out/driftwood.json" >/dev/null

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
start=$(now_ms)
"$prism" mock --host 127.0.0.1 --port "$PORT" --verboseLevel error api/drift-openapi.yaml >"$out/prism.log" 2>&1 &
pid=$!
until curl -s -o /dev/null -H 'Authorization: Bearer x' "http://127.0.0.1:$PORT/contacts/1"; do
	kill -0 "$pid" 2>/dev/null || { cat "$out/prism.log" >&2; exit 1; }
	sleep 0.01
done
ready=$(( $(now_ms) - start ))

echo "prism: contacts scenario ($CLIENTS clients, $DURATION)" >&2
go run ./bench --baselines=false --scenarios contacts --clients "$CLIENTS" --duration "$DURATION" \
	--target "http://127.0.0.1:$PORT" --token x --json "$out/prism.json" >/dev/null

# Peak RSS of Prism's process and its children, in MB.
rss=0
for p in $pid $(pgrep -P "$pid" || true); do
	kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
	rss=$(( rss + ${kb:-0} ))
done

node - "$out/driftwood.json" "$out/prism.json" "$ready" "$rss" <<'JS'
const fs = require('fs');
const [dw, pr] = process.argv.slice(2, 4).map(f => JSON.parse(fs.readFileSync(f)));
const [prismReadyMs, prismRssKB] = process.argv.slice(4).map(Number);
const d = dw.results.find(r => r.scenario === 'contacts'), p = pr.results.find(r => r.scenario === 'contacts');
const s = dw.startup[0];
const row = (what, a, b, better) => console.log(`${what.padEnd(22)} ${String(a).padStart(10)} ${String(b).padStart(10)}   ${better}`);
console.log(`${''.padEnd(22)} ${'driftwood'.padStart(10)} ${'prism'.padStart(10)}   driftwood vs prism (target)`);
row('req/s', d.rps, p.rps, `${(d.rps / p.rps).toFixed(1)}x (>= 5x)`);
row('p99 ms', d.p99Ms, p.p99Ms, '');
row('errors', d.errors, p.errors, '');
row('startup ms', s.existingMs, prismReadyMs, `${(prismReadyMs / s.existingMs).toFixed(1)}x faster (>= 20x)`);
row('peak RSS MB', d.server.peakRssMB, (prismRssKB / 1024).toFixed(1), `${(prismRssKB / 1024 / d.server.peakRssMB).toFixed(1)}x less (>= 10x)`);
JS
