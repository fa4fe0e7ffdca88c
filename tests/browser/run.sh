#!/usr/bin/env bash
# serve's web page in a real browser (Debian's chromium, headless). Fails, not skips, when
# chromium cannot be installed. Run by .ci/run; by hand: bash tests/browser/run.sh
#
# 1. `lab serve refused`, in detail: the DOM holds the SVG with ns2's address
#    data-status="lame" and every other address "ok"; the headline names the server; the
#    browser logs no error for the page (no CSP violation, no failed load, no script error).
#    A screenshot of the page is written to $PTRTRACE_BROWSER_OUT (default target/browser).
# 2. Every built-in scenario (`ptrtrace lab list`): its `lab serve`, `serve` on it, and a
#    fresh trace of its target in the browser render whole, without an error
#    (tests/browser/scenario.sh, four at a time).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PTRTRACE_FORBID_BUILTIN_HINTS=1
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (Debian) for the browser test"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
# The debug build `cargo test` made (CI runs this after it): no second, release build.
cargo build --quiet
bin=$PWD/target/debug/ptrtrace
out=${PTRTRACE_BROWSER_OUT:-$PWD/target/browser}
mkdir -p "$out"
work=$(mktemp -d /tmp/ptrtrace-browser.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
source tests/browser/lib.sh

echo "== refused, in detail"
mkdir -p "$work/refused"
lab_and_serve refused "$work/refused" 203.0.113.25
# The round's report (kept, no trace) and a fresh trace are the same page but for the
# progress list: the fresh one is the one checked, the kept one is the screenshot.
url="http://127.0.0.1:$http/?target=203.0.113.25"
chromium_flags "$work"
chromium "${flags[@]}" --virtual-time-budget=30000 --dump-dom "$url&fresh=1" > "$work/dom.html" 2> "$work/dom.log"
chromium "${flags[@]}" --window-size=1280,1600 --screenshot="$out/page-refused.png" "$url&fresh=1" > /dev/null 2> "$work/shot.log"
python3 tests/browser/check.py "$work/dom.html" "$work/dom.log" "$work/shot.log" "$out/page-refused.png"

echo "== every scenario's page"
"$bin" lab list | awk 'NF >= 3 && $1 ~ /^[a-z0-9-]+$/ && $2 ~ /[:.]/ { print $1, $2 }' > "$work/scenarios"
total=$(wc -l < "$work/scenarios")
xargs -P 4 -n 2 bash tests/browser/scenario.sh "$bin" "$work/each" < "$work/scenarios" | tee "$work/each.log" || true
passed=$(grep -c '^PASS ' "$work/each.log" || true)
echo "browser: $passed of $total scenarios' pages render without an error"
[ "$passed" -eq "$total" ]
