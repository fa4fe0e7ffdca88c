#!/usr/bin/env bash
# Interop suite: ptrtrace against real BIND 9, NSD and Knot servers, judged by a real
# validating resolver (Unbound) and a real receiving mail server (Postfix).
#
# Installs the software from Debian if missing (services are not started by the packages),
# creates a network namespace of its own, puts documentation addresses (IPv4 and IPv6) on that
# namespace's loopback, starts a small reverse and forward hierarchy there with its own root
# (whose servers also serve arpa., as real root servers do), runs ptrtrace inside the
# namespace with --root-hints, and asserts its findings (tests/interop/check.py). Then Unbound,
# validating from the same trust anchor, resolves every target (and, pointed at one server
# address at a time with a stub zone, the signed reverse zones), and Postfix with
# reject_unknown_client_hostname receives an SMTP connection from every target address;
# check.py asserts that ptrtrace predicted both. Everything it started is stopped by pid at the
# end, also on failure. It fails, never skips, when something is missing. Needs root
# (namespaces, port 53). Run: bash tests/interop/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ns="ptrtrace-interop-$$"
work="$(mktemp -d /tmp/ptrtrace-interop.XXXXXX)"
# Postfix's daemons run as the postfix user: they must be able to traverse the work directory.
chmod 711 "$work"
pids=()

die() { echo "interop: FAIL: $*" >&2; exit 1; }

cleanup() {
  local rc=$?
  # Each server runs in a process group of its own (setsid): stop it whole, forks included.
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  # Postfix's master leaves the process group: anything still running in the namespace goes.
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "/etc/netns/$ns"
  if [ "$rc" -ne 0 ]; then
    echo "interop: server logs follow" >&2
    for f in "$work"/*.log; do [ -s "$f" ] && { echo "== $f" >&2; tail -n 8 "$f" >&2; }; done
    true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || die "needs root (network namespace, port 53)"

need=()
command -v named >/dev/null || need+=(bind9)
command -v nsd >/dev/null || need+=(nsd)
command -v knotd >/dev/null || need+=(knot)
command -v dig >/dev/null || need+=(dnsutils)
command -v dnssec-signzone >/dev/null || need+=(bind9-utils)
command -v ip >/dev/null || need+=(iproute2)
command -v unbound >/dev/null || need+=(unbound)
command -v postfix >/dev/null || need+=(postfix)
command -v prometheus >/dev/null || need+=(prometheus)
command -v tcpdump >/dev/null || need+=(tcpdump)
if [ "${#need[@]}" -gt 0 ]; then
  echo "interop: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # No package may start its service on the host (Unbound would fetch a root trust anchor
  # from the Internet): policy-rc.d says no for the duration of the install.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    policy=/usr/sbin/policy-rc.d
  fi
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || die "cannot install ${need[*]}"
  [ -n "$policy" ] && rm -f "$policy"
fi
for tool in named nsd knotd dig ip python3 unbound postfix; do
  command -v "$tool" >/dev/null || die "$tool is not available"
done

bin="$repo/target/debug/ptrtrace"
(cd "$repo" && cargo build --quiet) || die "cargo build failed"

ip netns add "$ns" || die "cannot create network namespace $ns"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
for a in 192.0.2.1 192.0.2.2 192.0.2.11 192.0.2.21 192.0.2.31 198.51.100.53 198.51.100.54 \
         198.51.100.55 198.51.100.56 198.51.100.80 198.51.100.99; do
  in_ns ip addr add "$a/32" dev lo
done
for a in 2001:db8:53::1 2001:db8:5300::54; do
  in_ns ip -6 addr add "$a/128" dev lo nodad
done
# The traced addresses, so that Postfix (192.0.2.250, 2001:db8:25::250) can receive an SMTP
# connection from each of them.
targets="203.0.113.25 203.0.113.26 203.0.113.130 192.0.2.25 198.51.100.25 198.51.1.25 198.51.2.25 2001:db8::25 203.0.114.1 198.51.3.25 198.51.4.26 2001:db8:0:2::25 198.51.5.25 2001:db8:0:3::25"
for a in $targets 192.0.2.250 2001:db8:25::250; do
  case "$a" in
    *:*) in_ns ip -6 addr add "$a/128" dev lo nodad ;;
    *) in_ns ip addr add "$a/32" dev lo ;;
  esac
done

# DNSSEC: BIND's dnssec-signzone signs the root (NSEC), arpa. (NSEC3 with a salt and 5
# iterations) and in-addr.arpa. (NSEC3 with opt-out), ECDSA P-256, one key each; the zones below
# stay unsigned, so their delegations are insecure, proven by NSEC from BIND (the root), by a
# matching NSEC3 from NSD (arpa.) and by an opt-out NSEC3 from Knot (in-addr.arpa.). The root's
# DS is the trust anchor given to ptrtrace.
zones="$work/zones"
mkdir -p "$zones" "$work/keys"
cp "$here"/zones/*.zone "$zones/"
command -v dnssec-signzone >/dev/null || die "dnssec-signzone (bind9-utils) is not available"
sign() { # origin file [dnssec-signzone options]
  local origin=$1 file=$2; shift 2
  # One key per zone: copies of a zone (primary and stale secondary) share it.
  if ! ls "$work/keys/K$origin+"*.key >/dev/null 2>&1; then
    dnssec-keygen -q -K "$work/keys" -a ECDSAP256SHA256 -f KSK -n ZONE "$origin" >/dev/null \
      || die "dnssec-keygen failed for $origin"
  fi
  dnssec-signzone -q -S -K "$work/keys" -d "$work/keys" -z "$@" -o "$origin" \
    -f "$zones/$file.signed" "$zones/$file" >/dev/null || die "dnssec-signzone failed for $origin"
  mv "$zones/$file.signed" "$zones/$file"
}
# The reverse zone: BIND (ns1) and NSD (ns2) serve it freshly signed; Knot (ns3), the secondary
# with the old serial, serves a copy whose signatures expired ten days ago (signed 40 days ago,
# -P: dnssec-signzone would refuse to verify it) — the one-bad-secondary case.
sign 113.0.203.in-addr.arpa. r113.zone
sign 113.0.203.in-addr.arpa. r113-old.zone -P -s "$(date -u -d '40 days ago' +%Y%m%d%H%M%S)" \
  -e "$(date -u -d '10 days ago' +%Y%m%d%H%M%S)"
cat "$work/keys/dsset-113.0.203.in-addr.arpa." >> "$zones/in-addr.zone"
# 1.51.198.in-addr.arpa. is signed, but in-addr.arpa. publishes the DS of a key that signs
# nothing: bogus for every validator, whichever server it asks.
sign 1.51.198.in-addr.arpa. r1-51-198.zone
mkdir -p "$work/otherkeys"
other=$(dnssec-keygen -q -K "$work/otherkeys" -a ECDSAP256SHA256 -f KSK -n ZONE 1.51.198.in-addr.arpa.) \
  || die "dnssec-keygen failed"
dnssec-dsfromkey -2 "$work/otherkeys/$other.key" >> "$zones/in-addr.zone" || die "dnssec-dsfromkey failed"
# A wide reverse zone: 18.198.in-addr.arpa. (a /16 zone, RFC 2544's benchmarking network) with
# PTRs for 198.18.0.0/22 and their forward names, unsigned, on BIND, NSD and Knot, which all
# refuse transfers: a batch there is spread over the three (docs/findings.md "Spread probing").
{
  echo '$TTL 3600'
  echo '18.198.in-addr.arpa. SOA ns1.isp.example. hostmaster.example. 2026120100 3600 600 86400 300'
  for n in 1 2 3; do echo "18.198.in-addr.arpa. NS ns$n.isp.example."; done
  for x in 0 1 2 3; do for y in $(seq 0 255); do
    echo "$y.$x.18.198.in-addr.arpa. PTR h-$x-$y.wide.isp.example."
  done; done
} > "$zones/r18.zone"
for x in 0 1 2 3; do for y in $(seq 0 255); do
  echo "h-$x-$y.wide.isp.example. A 198.18.$x.$y"
done; done >> "$zones/isp.zone"
for n in 1 2 3; do echo "18.198.in-addr.arpa. NS ns$n.isp.example." >> "$zones/in-addr.zone"; done
# Its twin 19.198.in-addr.arpa. (198.19.0.0/22), where Knot (ns3) serves an old copy that names
# another host for 1 name in 16 (y % 16 = 7; never the chunks' first targets, y = 0), same
# serial: the sample must catch it and every such target must name ns3.
sed -e 's/18\.198\.in-addr/19.198.in-addr/' -e 's/\.wide\.isp/.wide19.isp/' "$zones/r18.zone" > "$zones/r19.zone"
awk '{ if ($1 ~ /^[0-9]+\.[0-3]\.19\.198/) { split($1, l, "."); if (l[1] % 16 == 7) sub(/\.wide19\./, ".old19.", $3) } print }' \
  "$zones/r19.zone" > "$zones/r19-old.zone"
for x in 0 1 2 3; do for y in $(seq 0 255); do
  echo "h-$x-$y.wide19.isp.example. A 198.19.$x.$y"
done; done >> "$zones/isp.zone"
for n in 1 2 3; do echo "19.198.in-addr.arpa. NS ns$n.isp.example." >> "$zones/in-addr.zone"; done
# A renumbered block (RFC 6672): 3.51.198.in-addr.arpa. is a DNAME at its apex into
# 4.51.198.in-addr.arpa., both signed by dnssec-signzone, both on BIND, NSD and Knot, which
# answer with the signed DNAME and a synthesized CNAME without RRSIG.
for z in 3 4; do
  sign "$z.51.198.in-addr.arpa." "r$z-51-198.zone"
  cat "$work/keys/dsset-$z.51.198.in-addr.arpa." >> "$zones/in-addr.zone"
done
# A zone cut below the last referral: in-addr.arpa. delegates 5.51.198.in-addr.arpa., whose
# servers also serve its signed child at one address's own name, 25.5.51.198.in-addr.arpa.;
# they answer from the child, and no referral shows its cut.
sign 25.5.51.198.in-addr.arpa. r25-5-51-198.zone
cat "$work/keys/dsset-25.5.51.198.in-addr.arpa." >> "$zones/r5-51-198.zone"
sign 5.51.198.in-addr.arpa. r5-51-198.zone
cat "$work/keys/dsset-5.51.198.in-addr.arpa." >> "$zones/in-addr.zone"
sign in-addr.arpa. in-addr.zone -3 - -A
cat "$work/keys/dsset-in-addr.arpa." >> "$zones/arpa.zone"
# The IPv6 reverse zone: two algorithms at once (ECDSA P-256, 13, and RSA/SHA-256, 8; a zone
# in an algorithm rollover) and NSEC3, served by BIND and NSD.
v6z=8.b.d.0.1.0.0.2.ip6.arpa.
dnssec-keygen -q -K "$work/keys" -a ECDSAP256SHA256 -f KSK -n ZONE "$v6z" >/dev/null || die "dnssec-keygen failed"
dnssec-keygen -q -K "$work/keys" -a RSASHA256 -b 2048 -f KSK -n ZONE "$v6z" >/dev/null || die "dnssec-keygen failed"
sign "$v6z" v6.zone -3 beef -H 1
cat "$work/keys/dsset-$v6z" >> "$zones/arpa.zone"
sign arpa. arpa.zone -3 c0ffee -H 5
cat "$work/keys/dsset-arpa." >> "$zones/root.zone"
sign . root.zone
anchor="$work/keys/dsset-."

# Zone transfers (AXFR, RFC 5936): every server of 113.0.203.in-addr.arpa. allows them, as
# some ISPs' servers do, so batches read later targets' answers from each server's own copy;
# every other zone refuses them (the servers' defaults).
xfr_zone=113.0.203.in-addr.arpa.
xfr_bind() { [ "$1" = "$xfr_zone" ] && echo " allow-transfer { any; };"; true; }

# BIND 9: one named per server identity.
start_bind() { # name v4 v6 zone:file...
  local name=$1 v4=$2 v6=$3; shift 3
  local d="$work/$name"; mkdir -p "$d"
  {
    echo "options { directory \"$d\"; pid-file \"$d/named.pid\"; session-keyfile \"$d/session.key\";"
    echo "  managed-keys-directory \"$d\"; listen-on { $v4; };"
    if [ "$v6" != "-" ]; then echo "  listen-on-v6 { $v6; };"; else echo "  listen-on-v6 { none; };"; fi
    echo "  recursion no; dnssec-validation no; notify no; allow-transfer { none; };"
    # ns1 rate-limits identical responses as ISC's example configuration does (RRL).
    if [ "$name" = ns1 ]; then echo "  rate-limit { responses-per-second 5; window 5; slip 2; };"; fi
    echo "};"
    echo "controls { };"
    for z in "$@"; do
      echo "zone \"${z%%:*}\" { type primary; file \"$zones/${z#*:}\";$(xfr_bind "${z%%:*}") };"
    done
  } > "$d/named.conf"
  setsid ip netns exec "$ns" named -g -c "$d/named.conf" > "$work/$name.log" 2>&1 &
  pids+=($!)
}

# NSD: one nsd per server identity.
start_nsd() { # name addrs(comma) zone:file...
  local name=$1 addrs=$2; shift 2
  local d="$work/$name"; mkdir -p "$d"
  {
    echo "server:"
    for a in ${addrs//,/ }; do echo "  ip-address: $a"; done
    echo "  port: 53"; echo "  username: \"\""; echo "  chroot: \"\""; echo "  zonesdir: \"$zones\""
    echo "  pidfile: \"$d/nsd.pid\""; echo "  database: \"\""; echo "  xfrdfile: \"$d/xfrd.state\""
    echo "  zonelistfile: \"$d/zone.list\""; echo "  verbosity: 1"
    echo "remote-control:"; echo "  control-enable: no"
    for z in "$@"; do
      echo "zone:"; echo "  name: \"${z%%:*}\""; echo "  zonefile: \"${z#*:}\""
      if [ "${z%%:*}" = "$xfr_zone" ]; then
        echo "  provide-xfr: 0.0.0.0/0 NOKEY"; echo "  provide-xfr: ::0/0 NOKEY"
      fi
    done
  } > "$d/nsd.conf"
  setsid ip netns exec "$ns" nsd -d -c "$d/nsd.conf" > "$work/$name.log" 2>&1 &
  pids+=($!)
}

# Knot DNS: one knotd per server identity.
start_knot() { # name addrs(comma) zone:file...
  local name=$1 addrs=$2; shift 2
  local d="$work/$name"; mkdir -p "$d/db"
  {
    echo "server:"; echo "    rundir: \"$d\""; echo "    user: root:root"
    echo "    listen: [ $(for a in ${addrs//,/ }; do printf '%s@53, ' "$a"; done | sed 's/, $//') ]"
    echo "database:"; echo "    storage: \"$d/db\""
    echo "log:"; echo "  - target: stderr"; echo "    any: warning"
    echo "template:"; echo "  - id: default"; echo "    storage: \"$zones\""
    echo "    semantic-checks: off"; echo "    zonefile-sync: -1"; echo "    journal-content: none"
    echo "acl:"; echo "  - id: xfr"; echo "    address: [ 0.0.0.0/0, ::/0 ]"; echo "    action: transfer"
    echo "zone:"
    for z in "$@"; do
      echo "  - domain: \"${z%%:*}\""; echo "    file: \"${z#*:}\""
      if [ "${z%%:*}" = "$xfr_zone" ]; then echo "    acl: xfr"; fi
    done
  } > "$d/knot.conf"
  setsid ip netns exec "$ns" knotd -c "$d/knot.conf" > "$work/$name.log" 2>&1 &
  pids+=($!)
}

# The root servers also serve arpa. (RFC 9120), as on the real Internet: their referrals go
# straight to in-addr.arpa. and skip the arpa. cut. a.ns.arpa. (NSD) is never reached by a
# referral.
start_bind root 192.0.2.1 2001:db8:53::1 ".:root.zone" "arpa.:arpa.zone"
start_nsd  broot 192.0.2.2 ".:root.zone" "arpa.:arpa.zone"
start_nsd  arpa 192.0.2.11 "arpa.:arpa.zone"
start_knot inaddr 192.0.2.31 "in-addr.arpa.:in-addr.zone"
start_knot example 192.0.2.21 "example.:example.zone"
start_bind ns1 198.51.100.53 - "113.0.203.in-addr.arpa.:r113.zone" "2.0.192.in-addr.arpa.:r192.zone" \
  "8.b.d.0.1.0.0.2.ip6.arpa.:v6.zone" "isp.example.:isp.zone" "1.51.198.in-addr.arpa.:r1-51-198.zone" \
  "18.198.in-addr.arpa.:r18.zone" "19.198.in-addr.arpa.:r19.zone" \
  "3.51.198.in-addr.arpa.:r3-51-198.zone" "4.51.198.in-addr.arpa.:r4-51-198.zone" \
  "5.51.198.in-addr.arpa.:r5-51-198.zone" "25.5.51.198.in-addr.arpa.:r25-5-51-198.zone"
start_nsd  ns2 198.51.100.54,2001:db8:5300::54 "113.0.203.in-addr.arpa.:r113.zone" \
  "100.51.198.in-addr.arpa.:r198.zone" "8.b.d.0.1.0.0.2.ip6.arpa.:v6.zone" "isp.example.:isp.zone" \
  "18.198.in-addr.arpa.:r18.zone" "19.198.in-addr.arpa.:r19.zone" \
  "3.51.198.in-addr.arpa.:r3-51-198.zone" "4.51.198.in-addr.arpa.:r4-51-198.zone" \
  "5.51.198.in-addr.arpa.:r5-51-198.zone" "25.5.51.198.in-addr.arpa.:r25-5-51-198.zone"
start_knot ns3 198.51.100.55 "113.0.203.in-addr.arpa.:r113-old.zone" "100.51.198.in-addr.arpa.:r198.zone" \
  "isp.example.:isp.zone" "18.198.in-addr.arpa.:r18.zone" "19.198.in-addr.arpa.:r19-old.zone" \
  "3.51.198.in-addr.arpa.:r3-51-198.zone" "4.51.198.in-addr.arpa.:r4-51-198.zone" \
  "5.51.198.in-addr.arpa.:r5-51-198.zone" "25.5.51.198.in-addr.arpa.:r25-5-51-198.zone"
start_knot customer 198.51.100.80 "customer.example.:customer.zone" \
  "128-26.113.0.203.in-addr.arpa.:classless.zone"
start_nsd  ns4 198.51.100.56 "isp.example.:isp.zone"

# Wait until every server answers for its zone (10 s at most each).
wait_for() { # addr zone
  for _ in $(seq 1 50); do
    if in_ns dig +norecurse +time=1 +tries=1 "@$1" "$2" SOA 2>/dev/null | grep -q 'status: NOERROR'; then
      return 0
    fi
    sleep 0.2
  done
  die "server $1 did not start serving $2 (see logs)"
}
wait_for 192.0.2.1 .
wait_for 192.0.2.1 arpa.
wait_for 192.0.2.2 .
wait_for 192.0.2.2 arpa.
wait_for 2001:db8:53::1 .
wait_for 192.0.2.11 arpa.
wait_for 192.0.2.31 in-addr.arpa.
wait_for 192.0.2.21 example.
wait_for 198.51.100.53 isp.example.
wait_for 198.51.100.54 isp.example.
wait_for 2001:db8:5300::54 isp.example.
wait_for 198.51.100.55 isp.example.
wait_for 198.51.100.80 customer.example.
wait_for 198.51.100.56 isp.example.
for a in 198.51.100.53 198.51.100.54 2001:db8:5300::54 198.51.100.55; do
  wait_for "$a" 18.198.in-addr.arpa.; wait_for "$a" 19.198.in-addr.arpa.
  wait_for "$a" 3.51.198.in-addr.arpa.; wait_for "$a" 4.51.198.in-addr.arpa.
  wait_for "$a" 5.51.198.in-addr.arpa.; wait_for "$a" 25.5.51.198.in-addr.arpa.
done

# A stopped server: ns4 ran, and is stopped before the traces.
ns4_pid="${pids[-1]}"
kill -- "-$ns4_pid" 2>/dev/null || kill "$ns4_pid" || true; wait "$ns4_pid" 2>/dev/null || true
unset 'pids[-1]'
for _ in $(seq 1 50); do
  in_ns dig +norecurse +time=1 +tries=1 @198.51.100.56 isp.example. SOA >/dev/null 2>&1 || break
  sleep 0.2
done
in_ns dig +norecurse +time=1 +tries=1 @198.51.100.56 isp.example. SOA >/dev/null 2>&1 \
  && die "ns4 (198.51.100.56) still answers after it was stopped"

cat > "$work/interop.hints" <<'HINTS'
.                        3600000  NS    a.root-servers.example.
a.root-servers.example.  3600000  A     192.0.2.1
a.root-servers.example.  3600000  AAAA  2001:db8:53::1
.                        3600000  NS    b.root-servers.example.
b.root-servers.example.  3600000  A     192.0.2.2
HINTS

for target in $targets; do
  set +e
  PTRTRACE_FORBID_BUILTIN_HINTS=1 in_ns "$bin" --root-hints "$work/interop.hints" \
    --trust-anchor "$anchor" --timeout 1s -f json -o "$work/$target.json" "$target"
  rc=$?
  set -e
  [ "$rc" -le 1 ] || die "ptrtrace exited $rc for $target"
done
# ptrtrace at --probes 20 --rounds 3 (back to back) finds no flaky server on ns1, which
# rate-limits identical responses (BIND, ISC's example settings): its identical questions are
# paced under that limit.
PTRTRACE_FORBID_BUILTIN_HINTS=1 in_ns "$bin" --root-hints "$work/interop.hints" \
  --trust-anchor "$anchor" --timeout 1s --probes 20 --rounds 3 --interval 0s -f json \
  -o "$work/rrl.json" 203.0.113.25 || true

# A batch over 203.0.113.0/27 in one chunk: the reverse zone's servers (BIND, NSD, Knot) all
# allow transfers, so after the first target every later one is answered from each server
# address's own copy (Knot's with expired signatures), NSEC proofs of NXDOMAIN included.
PTRTRACE_FORBID_BUILTIN_HINTS=1 in_ns "$bin" --root-hints "$work/interop.hints" \
  --trust-anchor "$anchor" --timeout 1s -f json -o "$work/batch-xfr.json" 203.0.113.0/27 || true

# Spread probing against real servers: 198.18.0.0/22 in the wide zone, with spreading (the
# default) and with --no-spread, one after the other; the PTR queries each server address
# received are counted from packets on the namespace's loopback (tcpdump), not from ptrtrace.
# --rate 1000: the per-address politeness bound would make the two runs take minutes, and it
# does not change which addresses are asked.
for mode in spread no-spread; do
  extra=(); [ "$mode" = no-spread ] && extra=(--no-spread)
  # Its own process group, so that stopping it stops tcpdump itself.
  setsid ip netns exec "$ns" tcpdump -i lo -n -l 'udp dst port 53' \
    > "$work/wide-$mode.pcap.txt" 2> /dev/null &
  dump=$!
  sleep 1
  PTRTRACE_FORBID_BUILTIN_HINTS=1 in_ns "$bin" --root-hints "$work/interop.hints" \
    --trust-anchor "$anchor" --timeout 1s --rate 1000 "${extra[@]}" -f jsonl \
    -o "$work/wide-$mode.jsonl" 198.18.0.0/22 || true
  sleep 1; kill -- "-$dump" 2>/dev/null || true; wait "$dump" 2>/dev/null || true
  # A query line: "time IP src.port > dst.53: id [1au] PTR? y.x.18.198.in-addr.arpa. (len)".
  grep -E 'PTR\? [0-9]+\.[0-3]\.18\.198\.in-addr\.arpa\.' "$work/wide-$mode.pcap.txt" \
    | awk '{ d = $5; sub(/\.53:$/, "", d); n[d]++ } END { for (a in n) print a, n[a] }' \
    | sort > "$work/wide-$mode.counts.txt"
  echo "interop: PTR queries per server address, 198.18.0.0/22 ($mode):" \
    $(tr '\n' ' ' < "$work/wide-$mode.counts.txt")
done

# … and the twin zone with Knot's old copy, in one chunk so the sample is checked before any
# target is reported.
PTRTRACE_FORBID_BUILTIN_HINTS=1 in_ns "$bin" --root-hints "$work/interop.hints" \
  --trust-anchor "$anchor" --timeout 1s --rate 1000 --concurrency 1024 -f jsonl \
  -o "$work/wide19.jsonl" 198.19.0.0/22 || true

# Response rate limiting (BIND on ns1, ISC's example settings) is real: a burst of 30
# identical queries (another name, after the paced trace, so as not to spend its credit)
# is limited, dropped or slipped.
in_ns python3 - > "$work/rrl-burst.txt" <<'PY'
import socket, struct
q = struct.pack(">HHHHHH", 0x1234, 0, 1, 0, 0, 0)
for label in b"26.113.0.203.in-addr.arpa".split(b"."):
    q += bytes([len(label)]) + label
q += b"\x00" + struct.pack(">HH", 12, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
for _ in range(30):
    s.sendto(q, ("198.51.100.53", 53))
full = tc = 0
try:
    while True:
        data = s.recv(4096)
        if data[2] & 0x02:
            tc += 1
        else:
            full += 1
except socket.timeout:
    pass
print(full, tc)
PY
# The text report, for people reading CI logs.
PTRTRACE_FORBID_BUILTIN_HINTS=1 NO_COLOR=1 in_ns "$bin" --root-hints "$work/interop.hints" \
  --trust-anchor "$anchor" --timeout 1s 198.51.100.25 | sed -n '1,12p' || true

# The judges. Unbound validates from the same trust anchor as ptrtrace; one instance resolves
# normally, four more each reach the signed reverse zones through a single server address (a
# stub zone), so ptrtrace's per-address DNSSEC claims can be compared one by one.
start_unbound() { # name listen [stub-addr]
  local name=$1 listen=$2 stub=${3:-}
  local d="$work/$name"; mkdir -p "$d"
  {
    echo "server:"
    echo "  interface: $listen"; echo "  port: 53"; echo "  access-control: 127.0.0.0/8 allow"
    echo "  username: \"\""; echo "  chroot: \"\""; echo "  directory: \"$d\""
    echo "  pidfile: \"$d/unbound.pid\""; echo "  use-syslog: no"; echo "  logfile: \"\""
    echo "  verbosity: 1"; echo "  val-log-level: 2"; echo "  num-threads: 1"; echo "  so-reuseport: no"
    echo "  do-ip4: yes"; echo "  do-ip6: yes"
    echo "  root-hints: \"$work/interop.hints\""; echo "  trust-anchor-file: \"$anchor\""
    echo "  module-config: \"validator iterator\""; echo "  harden-dnssec-stripped: yes"
    # Unbound answers for the documentation networks itself (RFC 6303 local zones): not here.
    for z in 2.0.192.in-addr.arpa. 100.51.198.in-addr.arpa. 113.0.203.in-addr.arpa. \
             8.b.d.0.1.0.0.2.ip6.arpa.; do
      echo "  local-zone: \"$z\" nodefault"
    done
    if [ -n "$stub" ]; then
      for z in 113.0.203.in-addr.arpa. 8.b.d.0.1.0.0.2.ip6.arpa.; do
        echo "stub-zone:"; echo "  name: \"$z\""; echo "  stub-addr: $stub"
      done
    fi
    echo "remote-control:"; echo "  control-enable: no"
  } > "$d/unbound.conf"
  unbound-checkconf "$d/unbound.conf" >/dev/null || die "bad Unbound configuration for $name"
  setsid ip netns exec "$ns" unbound -d -c "$d/unbound.conf" > "$work/$name.log" 2>&1 &
  pids+=($!)
}
start_unbound resolver 127.0.0.1
start_unbound stub53 127.0.0.53 198.51.100.53
start_unbound stub54 127.0.0.54 198.51.100.54
start_unbound stub56 127.0.0.56 2001:db8:5300::54
start_unbound stub55 127.0.0.55 198.51.100.55
for r in 127.0.0.1 127.0.0.53 127.0.0.54 127.0.0.56 127.0.0.55; do
  for _ in $(seq 1 50); do
    in_ns dig +time=1 +tries=1 "@$r" . SOA 2>/dev/null | grep -q 'status: NOERROR' && break
    sleep 0.2
  done
  in_ns dig +time=1 +tries=1 "@$r" . SOA 2>/dev/null | grep -q 'status: NOERROR' || die "Unbound at $r does not resolve"
done
status() { local s; s=$(grep -o 'status: [A-Z]*' | head -1 | awk '{print $2}'); echo "${s:-TIMEOUT}"; }
adflag() { if grep -q '^;; flags:[a-z ]* ad[ ;]'; then echo ad; else echo -; fi; }
: > "$work/resolver.txt"
for target in $targets; do
  plain=$(in_ns dig @127.0.0.1 -x "$target" +dnssec +time=30 +tries=1 2>&1 || true)
  cd=$(in_ns dig @127.0.0.1 -x "$target" +dnssec +cd +time=30 +tries=1 2>&1 || true)
  echo "$target $(printf '%s' "$plain" | status) $(printf '%s' "$cd" | status) $(printf '%s' "$plain" | adflag)" >> "$work/resolver.txt"
done
: > "$work/stub.txt"
for s in 127.0.0.53=198.51.100.53 127.0.0.54=198.51.100.54 127.0.0.56=2001:db8:5300::54 127.0.0.55=198.51.100.55; do
  for target in 203.0.113.25 2001:db8::25; do
    # ns3 (Knot) does not serve the IPv6 zone.
    [ "${s#*=}" = 198.51.100.55 ] && [ "$target" = 2001:db8::25 ] && continue
    out=$(in_ns dig "@${s%%=*}" -x "$target" +dnssec +time=10 +tries=1 2>&1 || true)
    echo "$target ${s#*=} $(printf '%s' "$out" | status) $(printf '%s' "$out" | adflag)" >> "$work/stub.txt"
  done
done
echo "interop: Unbound's answers (target, status, status with CD=1, AD):"; sed 's/^/  /' "$work/resolver.txt"

# Postfix, as a receiving mail server that checks reverse DNS the way Gmail does, resolving
# through the validating Unbound above (the namespace's resolv.conf).
mkdir -p "/etc/netns/$ns"; echo "nameserver 127.0.0.1" > "/etc/netns/$ns/resolv.conf"
pf="$work/postfix"; mkdir -p "$pf/conf" "$pf/queue" "$pf/data"
cp /usr/share/postfix/master.cf.dist "$pf/conf/master.cf" 2>/dev/null || cp /etc/postfix/master.cf "$pf/conf/master.cf" \
  || die "no Postfix master.cf to start from"
cat > "$pf/conf/main.cf" <<MAIN
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.receiver.example
mydomain = receiver.example
mydestination = localhost
inet_interfaces = 192.0.2.250, 2001:db8:25::250
inet_protocols = ipv4, ipv6
mynetworks = 127.0.0.0/8
smtpd_client_restrictions = reject_unknown_client_hostname
unknown_client_reject_code = 550
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
local_recipient_maps =
alias_maps =
alias_database =
smtputf8_enable = no
maillog_file = /dev/stdout
MAIN
postconf -c "$pf/conf" -F '*/*/chroot = n' >/dev/null 2>&1 || true
chown postfix "$pf/data"
setsid ip netns exec "$ns" postfix -c "$pf/conf" start-fg > "$work/postfix.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do
  in_ns python3 -c 'import socket; socket.create_connection(("192.0.2.250", 25), 1).close()' 2>/dev/null && break
  sleep 0.2
done
: > "$work/smtp.txt"
for target in $targets; do
  if [[ "$target" == *:* ]]; then dst=2001:db8:25::250; else dst=192.0.2.250; fi
  reply=$(in_ns python3 "$here/smtp_probe.py" "$target" "$dst" 2>&1 || true)
  echo "$target $reply" >> "$work/smtp.txt"
done
echo "interop: Postfix's replies (target, RCPT reply):"; sed 's/^/  /' "$work/smtp.txt"

# `ptrtrace serve`, scraped by a real Prometheus (Debian's) that evaluates the shipped alert
# rules (docs/prometheus/ptrtrace-alerts.yml, their `for:` durations cut to 5 s so that they
# fire within the run; promtool's unit test holds the real durations): the metrics arrive,
# ReverseDnsBroken fires for the broken target and not for the degraded one; then ns3 (Knot)
# is stopped and its unreachable state must reach Prometheus within one interval (10 s) and a
# trace, and the history file.
sed -E 's/for: [0-9]+m/for: 5s/' "$repo/docs/prometheus/ptrtrace-alerts.yml" > "$work/alerts.yml"
cat > "$work/serve.toml" <<SERVE
listen = "127.0.0.1:9153"
interval = "10s"
history = "$work/serve.sqlite"
[trace]
root_hints = "$work/interop.hints"
trust_anchor = "$anchor"
timeout = "1s"
[[targets]]
addresses = ["203.0.113.25", "203.0.113.26"]
SERVE
setsid ip netns exec "$ns" env PTRTRACE_FORBID_BUILTIN_HINTS=1 "$bin" serve "$work/serve.toml" \
  > "$work/serve.log" 2>&1 &
serve_pid=$!
pids+=($serve_pid)
cat > "$work/prometheus.yml" <<PROM
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [ "$work/alerts.yml" ]
scrape_configs:
  - job_name: ptrtrace
    static_configs: [ { targets: ["127.0.0.1:9153"] } ]
PROM
setsid ip netns exec "$ns" prometheus --config.file="$work/prometheus.yml" \
  --storage.tsdb.path="$work/prom" --web.listen-address=127.0.0.1:9090 \
  > "$work/prometheus.log" 2>&1 &
pids+=($!)
# Asks Prometheus's HTTP API until a condition holds (60 s at most); writes the last answer.
prom_wait() { # out-file api-path python-condition-on-data
  in_ns python3 - "$@" <<'PY' || true
import json, sys, time, urllib.parse, urllib.request
out, path, cond = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.time(); data = None
while time.time() - start < 60:
    try:
        with urllib.request.urlopen("http://127.0.0.1:9090/api/v1/" + path, timeout=5) as r:
            data = json.load(r)["data"]
        if eval(cond):
            break
    except Exception:
        pass
    time.sleep(0.5)
json.dump({"seconds": round(time.time() - start, 1), "data": data}, open(out, "w"))
PY
}
q() { python3 -c 'import sys, urllib.parse; print("query?query=" + urllib.parse.quote(sys.argv[1]))' "$1"; }
prom_wait "$work/prom-verdicts.json" "$(q 'ptrtrace_target_verdict == 1')" 'len(data["result"]) == 2'
prom_wait "$work/prom-alerts.json" alerts \
  'any(a["labels"].get("target") == "203.0.113.26" and a["state"] == "firing" for a in data["alerts"])'
pkill -f "$work/ns3/knot.conf" || true
stopped_at=$(date +%s)
prom_wait "$work/prom-ns3-stopped.json" \
  "$(q 'ptrtrace_server_status{zone="113.0.203.in-addr.arpa.",address="198.51.100.55",state="unreachable"} == 1')" \
  'len(data["result"]) >= 1'
echo "interop: ns3 stopped; Prometheus saw it unreachable after $(( $(date +%s) - stopped_at )) s"
# … and the history file has the change, read while serve writes it.
in_ns "$bin" history --db "$work/serve.sqlite" -f json 203.0.113.25 > "$work/history.json" || true
start_knot ns3 198.51.100.55 "113.0.203.in-addr.arpa.:r113-old.zone" "100.51.198.in-addr.arpa.:r198.zone" \
  "isp.example.:isp.zone" "18.198.in-addr.arpa.:r18.zone" "19.198.in-addr.arpa.:r19-old.zone"
wait_for 198.51.100.55 isp.example.
# serve is done with: stopped, so that its rounds do not add to what is measured below.
kill -- "-$serve_pid" 2>/dev/null || kill "$serve_pid" 2>/dev/null || true

# PTRTRACE_INTEROP_KEEP=DIR keeps the reports, the judges' answers and the servers' logs (BIND logs
# what its rate limiting did) for a look afterwards.
if [ -n "${PTRTRACE_INTEROP_KEEP:-}" ]; then
  mkdir -p "$PTRTRACE_INTEROP_KEEP" && cp "$work"/*.json "$work"/*.txt "$work"/*.log "$PTRTRACE_INTEROP_KEEP"/ || true
fi
python3 "$here/check.py" "$work"

# Optional: the same single-target trace with dig +trace and drill -T, side by side
# (docs/benchmarks.md, section c). PTRTRACE_COMPARE=1 bash tests/interop/run.sh
if [ -n "${PTRTRACE_COMPARE:-}" ]; then
  command -v drill >/dev/null || apt-get install -y -qq ldnsutils >/dev/null || die "cannot install ldnsutils"
  # Inside the namespace nothing but these servers exists: no resolver for glueless names.
  mkdir -p "/etc/netns/$ns"; echo "nameserver 192.0.2.1" > "/etc/netns/$ns/resolv.conf"
  timeit() { # label command...
    local best=999999 t0 t1 ms out rc
    for _ in 1 2 3 4 5; do
      t0=$(date +%s%N); set +e; out=$(in_ns "$@" 2>&1); rc=$?; set -e; t1=$(date +%s%N)
      ms=$(( (t1 - t0) / 1000000 )); if [ "$ms" -lt "$best" ]; then best=$ms; fi
    done
    echo "compare: $1 best of 5: ${best} ms (exit $rc, $(printf '%s\n' "$out" | grep -c .) lines)"
    printf '%s\n' "$out" | grep -E 'PTR|ptr|rror|failed|;;' | head -4 | sed 's/^/compare:   /' || true
  }
  timeit dig +trace +nodnssec +time=1 +tries=1 @192.0.2.1 -x 203.0.113.25
  printf '. 3600000 NS a.root-servers.example.\na.root-servers.example. 3600000 A 192.0.2.1\n' > "$work/drill.hints"
  timeit drill -T -r "$work/drill.hints" -x 203.0.113.25
  timeit env PTRTRACE_FORBID_BUILTIN_HINTS=1 "$bin" --root-hints "$work/interop.hints" --timeout 1s -4 --probes 1 203.0.113.25
  timeit env PTRTRACE_FORBID_BUILTIN_HINTS=1 "$bin" --root-hints "$work/interop.hints" --timeout 1s 203.0.113.25

  # ptrtrace with its defaults (release build) against DNSViz, which also asks every server
  # of every zone, on the same name, alternately, 7 times each; medians and their ratio.
  # DNSViz is given the lab's root servers (-x), so it never looks for the Internet's.
  command -v dnsviz >/dev/null || apt-get install -y -qq dnsviz >/dev/null || die "cannot install dnsviz"
  command -v tcpdump >/dev/null || apt-get install -y -qq tcpdump >/dev/null || die "cannot install tcpdump"
  (cd "$repo" && cargo build --release --quiet) || die "cannot build the release binary"
  rel="$repo/target/release/ptrtrace"
  roots=".:a.root-servers.example.=192.0.2.1,a.root-servers.example.=[2001:db8:53::1],b.root-servers.example.=192.0.2.2"
  ms_of() { local t0 t1; t0=$(date +%s%N); in_ns "$@" > /dev/null 2>&1 || true; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
  pt=(); dv=()
  for _ in 1 2 3 4 5 6 7; do
    pt+=("$(ms_of env PTRTRACE_FORBID_BUILTIN_HINTS=1 "$rel" --root-hints "$work/interop.hints" --trust-anchor "$anchor" 203.0.113.25)")
    dv+=("$(ms_of dnsviz probe -A -a . -x "$roots" -R PTR 25.113.0.203.in-addr.arpa)")
  done
  median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
  mp=$(median "${pt[@]}"); md=$(median "${dv[@]}")
  echo "compare: ptrtrace defaults ${pt[*]} ms, median $mp ms"
  echo "compare: dnsviz probe -A -a . -R PTR ${dv[*]} ms, median $md ms"
  echo "compare: ratio ptrtrace/dnsviz $(python3 -c "print(round($mp / $md, 2))")"

  # A /24 with defaults (zone transfers where allowed, as here), then with --no-axfr: targets
  # per second, and the most queries any one server address received in one second, counted
  # from packets on the namespace's loopback, not from ptrtrace's own figures.
  # One query is one UDP datagram or one TCP connection (its SYN), not every TCP segment.
  for mode in defaults no-axfr; do
    extra=(); [ "$mode" = no-axfr ] && extra=(--no-axfr)
    # Its own process group, so that stopping it stops tcpdump itself, not only a wrapper
    # (a tcpdump left running would write its lines into the next mode's file too).
    setsid ip netns exec "$ns" tcpdump -i lo -n -tt -l \
      '(udp dst port 53) or (tcp dst port 53 and tcp[tcpflags] & tcp-syn != 0)' \
      > "$work/batch-$mode.pcap.txt" 2> /dev/null &
    dump=$!
    sleep 1
    t0=$(date +%s%N)
    in_ns env PTRTRACE_FORBID_BUILTIN_HINTS=1 "$rel" --root-hints "$work/interop.hints" \
      --trust-anchor "$anchor" "${extra[@]}" -f jsonl -o "$work/batch.jsonl" 203.0.113.0/24 2> /dev/null || true
    t1=$(date +%s%N)
    sleep 1; kill -- "-$dump" 2>/dev/null || true; wait "$dump" 2>/dev/null || true
    if [ -n "${PTRTRACE_INTEROP_KEEP:-}" ]; then
      cp "$work/batch-$mode.pcap.txt" "$work/batch.jsonl" "$PTRTRACE_INTEROP_KEEP/"
    fi
    python3 - "$work/batch-$mode.pcap.txt" "$work/batch.jsonl" "$(( (t1 - t0) / 1000000 ))" "$mode" <<'PY'
import collections, json, sys
per = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) > 4 and f[1] in ("IP", "IP6"):
        dst = f[4].rstrip(":").rsplit(".", 1)[0]
        per[dst].append(float(f[0]))
best = (0, "")
for addr, ts in per.items():
    ts.sort(); j = 0
    for i, t in enumerate(ts):
        while ts[j] <= t - 1.0:
            j += 1
        best = max(best, (i - j + 1, addr))
targets = sum(1 for l in open(sys.argv[2]) if '"record":"target"' in l)
ms = int(sys.argv[3])
print(f"compare: /24 batch ({sys.argv[4]}): {targets} targets in {ms} ms = {targets / (ms / 1000):.0f} targets/s; "
      f"{sum(len(v) for v in per.values())} queries to {len(per)} addresses; "
      f"most to one address in any 1 s window: {best[0]} ({best[1]})")
PY
  done
  rm -rf "/etc/netns/$ns"
fi
