# Shared by tests/browser/run.sh and tests/browser/scenario.sh: free ports, `lab serve` and
# `serve` on loopback, chromium's flags. Expects $bin (the ptrtrace binary) and a `pids` array.

# A free port on address $1: the kernel picks it (bound and released here, then used at once).
port() { python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1"; }

# Waits (at most 10 s) until file $1 holds pattern $2; fails otherwise.
await_line() {
  for _ in $(seq 100); do grep -q -- "$2" "$1" && return 0; sleep 0.1; done
  echo "no '$2' in $1:"; cat "$1"; return 1
}

# `lab serve $1` with its files under directory $2, then `serve` on it tracing target $3 every
# hour: sets $http (serve's port). lab serve keeps running while its stdout is read: its
# output goes to a file.
lab_and_serve() {
  local scenario=$1 dir=$2 target=$3 dns hints anchor
  dns=$(port 127.0.53.1)
  http=$(port 127.0.0.1)
  TMPDIR=$dir "$bin" lab serve "$scenario" --port "$dns" > "$dir/lab.out" 2>&1 &
  pids+=($!)
  await_line "$dir/lab.out" '--root-hints' || return 1
  hints=$(grep -o -- '--root-hints [^ ]*' "$dir/lab.out" | cut -d' ' -f2)
  anchor=$(grep -o -- '--trust-anchor [^ ]*' "$dir/lab.out" | cut -d' ' -f2)
  cat > "$dir/serve.toml" <<TOML
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
addresses = ["$target"]
TOML
  "$bin" serve "$dir/serve.toml" > "$dir/serve.out" 2>&1 &
  pids+=($!)
  await_line "$dir/serve.out" 'serving metrics'
}

# chromium's flags for profile directory $1.
chromium_flags() {
  flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-extensions
         --disable-component-update --disable-sync --no-first-run --no-default-browser-check
         --hide-scrollbars --user-data-dir="$1/profile" --enable-logging=stderr --v=0)
}
