#!/usr/bin/env bash
# serve's web page in a real browser (Debian's chromium, headless): against `lab serve
# refused` on loopback, the DOM holds the SVG with ns2's address data-status="lame" and every
# other address "ok"; the headline names the server; the browser logs no error for the page
# (no CSP violation, no failed load, no script error). A screenshot of the page is written to
# $PTRTRACE_BROWSER_OUT (default target/browser/page-refused.png). Fails, not skips, when
# chromium cannot be installed. Run by .ci/run; by hand: bash tests/browser/run.sh
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

# Free ports: the kernel picks them (bound and released here, then used at once).
port() { python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1"; }
dns=$(port 127.0.53.1)
http=$(port 127.0.0.1)

# lab serve keeps running while its stdout is read: a reader keeps the pipe open.
TMPDIR=$work "$bin" lab serve refused --port "$dns" > "$work/lab.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q -- '--root-hints' "$work/lab.out" && break; sleep 0.1; done
hints=$(grep -o -- '--root-hints [^ ]*' "$work/lab.out" | cut -d' ' -f2)
anchor=$(grep -o -- '--trust-anchor [^ ]*' "$work/lab.out" | cut -d' ' -f2)
cat > "$work/serve.toml" <<TOML
listen = "127.0.0.1:$http"
interval = "60m"
[trace]
root_hints = "$hints"
trust_anchor = "$anchor"
port = $dns
timeout = "1s"
[probe]
per_client_interval = "1ms"
[[targets]]
addresses = ["203.0.113.25"]
TOML
"$bin" serve "$work/serve.toml" > "$work/serve.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q 'serving metrics' "$work/serve.out" && break; sleep 0.1; done

url="http://127.0.0.1:$http/?target=203.0.113.25"
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-extensions
       --disable-component-update --disable-sync --no-first-run --no-default-browser-check
       --hide-scrollbars --user-data-dir="$work/profile" --enable-logging=stderr --v=0)
chromium "${flags[@]}" --virtual-time-budget=30000 --dump-dom "$url" > "$work/dom.html" 2> "$work/dom.log"
chromium "${flags[@]}" --window-size=1280,1600 --screenshot="$out/page-refused.png" "$url" > /dev/null 2> "$work/shot.log"
python3 tests/browser/check.py "$work/dom.html" "$work/dom.log" "$work/shot.log" "$out/page-refused.png"
