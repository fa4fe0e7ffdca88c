#!/usr/bin/env bash
# One built-in scenario's page in headless chromium: `lab serve SCENARIO`, `serve` on it, and a
# fresh trace of TARGET (`/?target=TARGET&fresh=1`, the page that streams while it traces).
# tests/browser/check.py --any judges the DOM and the browser's log. Usage (from run.sh):
#   bash tests/browser/scenario.sh BIN WORKDIR SCENARIO TARGET
set -uo pipefail
cd "$(dirname "$0")/../.."
bin=$1 work=$2 scenario=$3 target=$4
dir=$work/$scenario
mkdir -p "$dir"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
source tests/browser/lib.sh
if ! lab_and_serve "$scenario" "$dir" "$target" > "$dir/setup.log" 2>&1; then
  echo "FAIL $scenario: could not start: $(tail -3 "$dir/setup.log" | tr '\n' ' ')"
  exit 1
fi
chromium_flags "$dir"
url="http://127.0.0.1:$http/?target=$target&fresh=1"
timeout 120 chromium "${flags[@]}" --virtual-time-budget=60000 --dump-dom "$url" > "$dir/dom.html" 2> "$dir/dom.log"
python3 tests/browser/check.py --any "$scenario" "$dir/dom.html" "$dir/dom.log"
