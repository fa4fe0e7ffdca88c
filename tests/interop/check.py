#!/usr/bin/env python3
"""Assertions of the interop suite: each real fault, by kind, reason, zone, server, address.

Reads the JSON reports run.sh wrote (one per target) and compares every warning and error
finding, and the named info findings, with what the real servers were set up to do.
Prints one line per check and a closing `N passed, N failed` line; exits 1 on any failure.
"""
import json
import sys
from pathlib import Path

REV = "113.0.203.in-addr.arpa."
ISP = "isp.example."
# Every target's forward lookup goes through isp.example., whose glue for ns3 is stale.
ISP_GLUE = [
    ("glue_mismatch", None, ISP, "ns3.isp.example.", "198.51.100.99"),
    ("unreachable", "port_unreachable", ISP, "ns3.isp.example.", "198.51.100.99"),
]

def insecure(zone):
    """The unsigned zone right below the signed ones: an insecure delegation (info)."""
    return ("dnssec_insecure", None, zone, None, None)


NS3_EXPIRED = ("dnssec_bogus", "expired_signature", REV, "ns3.isp.example.", "198.51.100.55")

EXPECT = {
    # Knot (ns3) serves a copy with an older serial.
    # ... and its signatures expired (BIND and NSD serve a freshly signed copy).
    "203.0.113.25": ("degraded", [
        ("inconsistent_serial", None, REV, "ns3.isp.example.", "198.51.100.55"),
        NS3_EXPIRED,
    ] + ISP_GLUE, []),
    # RFC 2317 classless delegation to a Knot server.
    "203.0.113.130": ("degraded", [
        ("inconsistent_serial", None, REV, "ns3.isp.example.", "198.51.100.55"),
        NS3_EXPIRED,
    ] + ISP_GLUE, [("classless_delegation", None, REV, None, None),
                   insecure("128-26.113.0.203.in-addr.arpa.")]),
    # NSD (ns2, both addresses) and Knot (ns3) are listed for a zone they do not serve.
    "192.0.2.25": ("degraded", [
        ("lame", "refused", "2.0.192.in-addr.arpa.", "ns2.isp.example.", "198.51.100.54"),
        ("lame", "refused", "2.0.192.in-addr.arpa.", "ns2.isp.example.", "2001:db8:5300::54"),
        ("lame", "refused", "2.0.192.in-addr.arpa.", "ns3.isp.example.", "198.51.100.55"),
    ] + ISP_GLUE, [insecure("2.0.192.in-addr.arpa.")]),
    # BIND (ns1) listed but not configured; ns4 stopped; parent and child NS sets differ.
    "198.51.100.25": ("degraded", [
        ("lame", "refused", "100.51.198.in-addr.arpa.", "ns1.isp.example.", "198.51.100.53"),
        ("unreachable", "port_unreachable", "100.51.198.in-addr.arpa.", "ns4.isp.example.", "198.51.100.56"),
        ("ns_mismatch", None, "100.51.198.in-addr.arpa.", None, None),
    ] + ISP_GLUE, [insecure("100.51.198.in-addr.arpa.")]),
    # IPv6 through ip6.arpa, servers reached over IPv4 and IPv6, AAAA confirmation.
    # Now signed with two algorithms and NSEC3: secure on BIND and NSD.
    "2001:db8::25": ("degraded", ISP_GLUE, []),
    # No zone for 114.0.203.in-addr.arpa: Knot proves the NXDOMAIN with NSEC3 (opt-out chain).
    "203.0.114.1": ("broken", [("ptr_missing", "nxdomain", "in-addr.arpa.", None, None)], []),
    # The PTR name points to another address: FCrDNS fails (a permanent rejection).
    "203.0.113.26": ("broken", [
        ("inconsistent_serial", None, REV, "ns3.isp.example.", "198.51.100.55"),
        NS3_EXPIRED,
        ("fcrdns_failed", "address_mismatch", ISP, None, None),
    ] + ISP_GLUE, []),
    # Signed, but in-addr.arpa. publishes the DS of another key: bogus everywhere.
    "198.51.1.25": ("broken", [
        ("dnssec_bogus", "ds_mismatch", "1.51.198.in-addr.arpa.", None, None),
    ] + ISP_GLUE, []),
    # Delegated only to ns4, which is stopped: no server answers (a temporary failure).
    "198.51.2.25": ("broken", [
        ("unreachable", "port_unreachable", "2.51.198.in-addr.arpa.", "ns4.isp.example.", "198.51.100.56"),
        ("no_reachable_server", None, "2.51.198.in-addr.arpa.", None, None),
        # ns4's address is looked up through isp.example., whose glue for ns3 is stale.
        ISP_GLUE[1],
    ], []),
    # A renumbered block (RFC 6672): a signed DNAME at the apex of 3.51.198.in-addr.arpa.
    # into 4.51.198.IN-ADDR.ARPA. (capitals: signed lowercased, RFC 4034 §6.2), on BIND, NSD
    # and Knot: the synthesized CNAME comes without an RRSIG, as it must; both zones validate
    # on every server (Unbound: AD).
    "198.51.3.25": ("degraded", ISP_GLUE, [
        ("classless_delegation", None, "3.51.198.in-addr.arpa.", None, None),
    ]),
    # A signed wildcard (RFC 4592) in 4.51.198.in-addr.arpa.: the answer's RRSIG is the
    # wildcard's, with the NSEC proving no closer name (dnssec-signzone; BIND, NSD, Knot).
    "198.51.4.26": ("degraded", ISP_GLUE, []),
    # The same in ip6.arpa: a DNAME in the signed IPv6 reverse zone (two algorithms, NSEC3;
    # BIND and NSD) redirects a renumbered /64's nibbles.
    "2001:db8:0:2::25": ("degraded", ISP_GLUE, [
        ("classless_delegation", None, "8.b.d.0.1.0.0.2.ip6.arpa.", None, None),
    ]),
    # A signed wildcard in the NSEC3 zone (two algorithms; BIND and NSD): the answer's RRSIG
    # is the wildcard's, with an NSEC3 covering the next closer name (RFC 5155 §8.8).
    "2001:db8:0:3::25": ("degraded", ISP_GLUE, []),
    # A zone cut below the last referral, at the target's own name: the servers of
    # 5.51.198.in-addr.arpa. answer from its signed child 25.5.51.198.in-addr.arpa.; the cut
    # is found (RRSIG signer) and both zones validate on every server.
    "198.51.5.25": ("degraded", ISP_GLUE, []),
}
# Signed zones below in-addr.arpa. that must validate on every server, per target.
SIGNED_BELOW = {"198.51.3.25": {"3.51.198.in-addr.arpa.", "4.51.198.in-addr.arpa."},
                "198.51.4.26": {"4.51.198.in-addr.arpa."},
                "198.51.5.25": {"5.51.198.in-addr.arpa.", "25.5.51.198.in-addr.arpa."}}
# Targets whose whole chain is signed: Unbound must answer with AD=1.
AD_EXPECTED = {"198.51.3.25", "198.51.4.26", "2001:db8:0:2::25", "198.51.5.25",
               "2001:db8:0:3::25"}
# Targets without a PTR on purpose (or none to be had).
NO_PTR = {"203.0.114.1", "198.51.2.25"}
# Targets whose PTR is found but not confirmed.
UNCONFIRMED = {"203.0.113.26"}
# The signed IPv6 reverse zone (algorithms 13 and 8, NSEC3), served by BIND and NSD.
V6 = "8.b.d.0.1.0.0.2.ip6.arpa."
# What Postfix (reject_unknown_client_hostname, unknown_client_reject_code = 550) may answer
# at RCPT TO for each of ptrtrace's receiver predictions.
SMTP = {
    "accept": {250},
    # Every lookup succeeds once the resolver retries another server (issue 22: the
    # receiver's answer follows the with-retries odds).
    "delayed": {250},
    "permanent": {550},
    "temporary": {450},
    "sometimes_temporary": {250, 450},
    "sometimes_permanent": {250, 550},
}


def table(path):
    """Whitespace-separated lines, as run.sh writes them."""
    return [line.split() for line in Path(path).read_text().splitlines() if line.strip()]
# Signed by BIND's dnssec-signzone, served by BIND (.), NSD (arpa.) and Knot (in-addr.arpa.).
SIGNED = {".", "arpa.", "in-addr.arpa."}


def key(f):
    return (f["kind"], f.get("reason"), f["zone"], f.get("server"), f.get("address"))


def main(workdir):
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        print(("PASS " if ok else "FAIL ") + what)
        if ok:
            passed += 1
        else:
            failed += 1

    for target, (verdict, problems, infos) in EXPECT.items():
        path = Path(workdir) / f"{target}.json"
        if not path.exists():
            check(False, f"{target}: no report")
            continue
        doc = json.loads(path.read_text())
        t = doc["targets"][0]
        check(doc["schema_version"] == 2, f"{target}: schema_version 2")
        check(t["verdict"] == verdict, f"{target}: verdict {t['verdict']} (expected {verdict})")
        if target in NO_PTR:
            check(not t["ptr"], f"{target}: no PTR")
        elif target in UNCONFIRMED:
            check(bool(t["ptr"]) and not any(f["confirmed"] for f in t["fcrdns"]),
                  f"{target}: PTR {t['ptr']} not forward-confirmed")
        else:
            check(bool(t["ptr"]) and all(f["confirmed"] for f in t["fcrdns"]),
                  f"{target}: PTR {t['ptr']} forward-confirmed")
        seen = sorted(key(f) for f in t["findings"] if f["severity"] in ("error", "warning"))
        want = sorted(problems)
        for w in want:
            check(w in seen, f"{target}: finds {w}")
        for s in seen:
            check(s in want, f"{target}: no unexpected finding {s}")
        infos_seen = [key(f) for f in t["findings"] if f["severity"] == "info"]
        for i in infos:
            check(i in infos_seen, f"{target}: finds {i}")
        # The unsigned forward tree hangs below a signed root: example. is insecure too.
        if target not in NO_PTR and target != "198.51.1.25":
            check(insecure("example.") in infos_seen, f"{target}: finds {insecure('example.')}")
        # Every signed zone on the path validates on every server, whatever daemon serves it.
        sec = {z["zone"]: z for z in t["dnssec"]["zones"]}
        want_signed = SIGNED if ":" not in target else (SIGNED - {"in-addr.arpa."}) | {V6}
        want_signed = want_signed | SIGNED_BELOW.get(target, set())
        # The root servers also serve arpa.: its cut is found inside them, at every address.
        arpa = next((z for z in t["zones"] if z["name"] == "arpa."), None)
        found = sorted({c["address"] for c in (arpa or {}).get("found_inside", [])})
        check(found == ["192.0.2.1", "192.0.2.2", "2001:db8:53::1"] and not arpa["delegations"],
              f"{target}: arpa. found inside the root servers ({found})")
        for zone in sorted(want_signed):
            z = sec.get(zone)
            check(z is not None and z["status"] == "secure" and z["servers"]
                  and all(s["status"] == "secure" for s in z["servers"]),
                  f"{target}: DNSSEC {zone} secure on every server "
                  f"({z['status'] if z else 'missing'})")
        # The reverse zone validates on BIND and NSD and fails on Knot alone.
        if target in ("203.0.113.25", "203.0.113.130"):
            z = sec.get(REV, {})
            bad = sorted((s["server"], s["address"], tuple(s["reasons"]))
                         for s in z.get("servers", []) if s["status"] != "secure")
            check(z.get("status") == "secure"
                  and bad == [("ns3.isp.example.", "198.51.100.55", ("expired_signature",))],
                  f"{target}: DNSSEC {REV} secure, bogus on ns3 only ({z.get('status')}, {bad})")
        # Every probe went to a server of the namespace: nothing was "not sent".
        statuses = {a["status"] for p in t["probes"] for a in p["attempts"]}
        check("not_sent" not in statuses, f"{target}: every probe was sent")
        if target == "2001:db8::25":
            v6 = [p for p in t["probes"] if ":" in p["address"] and p["class"]["class"] != "silent"]
            check(len(v6) > 0, f"{target}: IPv6 server addresses answered over IPv6")
            check(t["fcrdns"][0]["qtype"] == "AAAA", f"{target}: FCrDNS with AAAA")
    # How each daemon refuses a zone it does not serve (evidence, for the record).
    for target, zone in (("192.0.2.25", "2.0.192.in-addr.arpa."), ("198.51.100.25", "100.51.198.in-addr.arpa.")):
        doc = json.loads((Path(workdir) / f"{target}.json").read_text())["targets"][0]
        for p in doc["probes"]:
            if p["zone"] == zone and p["seq"] == 1 and p["kind"] == "standard" \
                    and doc["questions"][p["question"]]["purpose"]["kind"] == "target":
                a = p["attempts"][0]
                print(f"note: {zone} {p['server']} ({p['address']}): {a['status']} rcode={a.get('rcode')} "
                      f"aa={a['aa']} answer={len(a['answer'])} authority={len(a['authority'])} "
                      f"additional={len(a['additional'])}")
    # The judges. Unbound (validating, same trust anchor): ptrtrace says "validating
    # receivers get SERVFAIL" exactly when Unbound answers SERVFAIL and, with CD=1, does not.
    reports = {}
    for target in EXPECT:
        path = Path(workdir) / f"{target}.json"
        if path.exists():
            reports[target] = json.loads(path.read_text())["targets"][0]
    for target, status, status_cd, ad in table(Path(workdir) / "resolver.txt"):
        t = reports.get(target)
        if t is None:
            continue
        bogus = bool(t["dnssec"]["broken"])
        servfail = status == "SERVFAIL" and status_cd != "SERVFAIL"
        check(bogus == servfail,
              f"{target}: Unbound answers {status} ({status_cd} with CD=1, {ad}); "
              f"ptrtrace's DNSSEC broken list {t['dnssec']['broken']}")
        if t["verdict"] != "broken":
            check(status == "NOERROR", f"{target}: Unbound resolves a {t['verdict']} target ({status})")
        if target in AD_EXPECTED:
            check(ad == "ad", f"{target}: Unbound validates the chain (AD={ad}); ptrtrace: "
                  f"{ {z['zone']: z['status'] for z in t['dnssec']['zones']} }")
    # Unbound through one server address at a time: ptrtrace's per-address DNSSEC status.
    for target, address, status, ad in table(Path(workdir) / "stub.txt"):
        t = reports.get(target)
        zone = V6 if ":" in target else REV
        z = next((z for z in t["dnssec"]["zones"] if z["zone"] == zone), {}) if t else {}
        mine = next((s["status"] for s in z.get("servers", []) if s["address"] == address), None)
        want = {"secure": ("NOERROR", "ad"), "bogus": ("SERVFAIL", "-")}.get(mine)
        check(want == (status, ad),
              f"{target} via {address} alone: Unbound {status} {ad}, ptrtrace says {zone} {mine}")
    # Postfix with reject_unknown_client_hostname, behind that Unbound.
    for row in table(Path(workdir) / "smtp.txt"):
        target, reply = row[0], row[1:]
        t = reports.get(target)
        if t is None:
            continue
        code = int(reply[0]) if reply and reply[0].isdigit() else None
        check(code in SMTP[t["receiver"]],
              f"{target}: Postfix replies {' '.join(reply)[:90]!r}; ptrtrace predicts "
              f"{t['receiver']} ({t['verdict']})")
    # BIND's RRL (ns1): a burst is limited, ptrtrace's paced probes are not.
    full, tc = (int(x) for x in (Path(workdir) / "rrl-burst.txt").read_text().split())
    check(full < 30, f"BIND RRL limits a burst of 30 identical queries ({full} full replies, {tc} slipped)")
    doc = json.loads((Path(workdir) / "rrl.json").read_text())["targets"][0]
    flaky = [key(f) for f in doc["findings"] if f["kind"] == "flaky"]
    check(not flaky, f"--probes 20 --rounds 3 against BIND RRL: no flaky ({flaky})")
    ns1 = [p for p in doc["probes"] if p["address"] == "198.51.100.53"
           and doc["questions"][p["question"]]["purpose"]["kind"] == "target"]
    check(len(ns1) == 60 and all(p["class"]["class"] != "silent" for p in ns1),
          f"all 60 PTR probes to ns1 (BIND RRL) answered ({len(ns1)} sent)")
    # Zone transfers in a batch: later targets answered from each server's own AXFR copy.
    batch = {t["target"]: t for t in json.loads((Path(workdir) / "batch-xfr.json").read_text())["targets"]}
    check(len(batch) == 32, f"the /27 batch reports 32 targets ({len(batch)})")
    rev_addrs = {"198.51.100.53", "198.51.100.54", "2001:db8:5300::54", "198.51.100.55"}
    for ip, t in sorted(batch.items()):
        if ip == "203.0.113.0":
            continue  # the scout, asked before the transfers
        by_axfr = {p["address"] for p in t["probes"] if p["zone"] == REV
                   and t["questions"][p["question"]]["purpose"]["kind"] == "target"
                   and any(a["transport"] == "axfr" for a in p["attempts"])}
        check(by_axfr == rev_addrs, f"batch {ip}: answered from the AXFR copies of {sorted(by_axfr)}")
        found = sorted(key(f) for f in t["findings"] if f["severity"] in ("warning", "error"))
        if ip in EXPECT:
            want = sorted(EXPECT[ip][1])
            check(found == want and t["verdict"] == EXPECT[ip][0],
                  f"batch {ip}: {t['verdict']} {found} as a single trace ({want})")
        else:
            want = sorted([("ptr_missing", "nxdomain", REV, None, None),
                           ("inconsistent_serial", None, REV, "ns3.isp.example.", "198.51.100.55"),
                           NS3_EXPIRED] + ISP_GLUE)
            check(found == want and t["verdict"] == "broken",
                  f"batch {ip}: NXDOMAIN proven by BIND's and NSD's copies, Knot's expired: {t['verdict']} {found}")
    # Spread probing over BIND, NSD and Knot: the same verdicts and PTRs as asking every
    # address, the load spread, counted from packets.
    def wide(mode):
        lines = (Path(workdir) / f"wide-{mode}.jsonl").read_text().splitlines()
        recs = [json.loads(l) for l in lines if '"record":"target"' in l]
        counts = {}
        for line in (Path(workdir) / f"wide-{mode}.counts.txt").read_text().splitlines():
            addr, n = line.split()
            counts[addr] = int(n)
        return {r["target"]: r for r in recs}, counts
    spread, spread_q = wide("spread")
    full, full_q = wide("no-spread")
    check(len(spread) == 1024 and len(full) == 1024,
          f"198.18.0.0/22: 1024 targets both ways ({len(spread)}, {len(full)})")
    same = [ip for ip in full if ip in spread and spread[ip]["verdict"] == full[ip]["verdict"]
            and spread[ip]["ptr"] == full[ip]["ptr"]]
    check(len(same) == 1024, f"198.18.0.0/22: same verdict and PTR spread or not ({len(same)} of 1024)")
    ptrs = sum(1 for r in spread.values() if r["ptr"])
    check(ptrs == 1024, f"198.18.0.0/22: every target has its PTR ({ptrs})")
    sampled = sum(1 for r in spread.values()
                  if any(f["kind"] == "untested" and f.get("reason") == "sampled" for f in r["findings"]))
    # p = 1 - 0.01^(1/11) = 0.342: about 670 of the 1020 later targets are spread (sd 15).
    check(550 <= sampled <= 780, f"198.18.0.0/22: {sampled} targets asked of one address only")
    addrs = {"198.51.100.53", "198.51.100.54", "2001:db8:5300::54", "198.51.100.55"}
    # The walk to the zone asks the root and in-addr.arpa. servers too (the chunks' first
    # targets): only the wide zone's own servers are counted.
    spread_q = {a: n for a, n in spread_q.items() if a in addrs}
    full_q = {a: n for a, n in full_q.items() if a in addrs}
    # A batch asks each target once per address, and again only where lost or disagreeing.
    check(set(full_q) == addrs and min(full_q.values()) >= 1024,
          f"--no-spread: every address got every PTR, from packets ({full_q})")
    ts, tf = sum(spread_q.values()), sum(full_q.values())
    check(set(spread_q) == addrs and ts < 0.75 * tf,
          f"spread: {ts} PTR queries against {tf} asking every address ({spread_q})")
    check(min(spread_q.values()) >= 0.6 * max(spread_q.values()),
          f"spread: the load is even over the four addresses ({spread_q})")
    # Knot's old copy of the twin zone: the sample catches it, spreading stops, and exactly
    # the targets it answers wrongly name it.
    lines = (Path(workdir) / "wide19.jsonl").read_text().splitlines()
    w19 = [json.loads(l) for l in lines if '"record":"target"' in l]
    knot = "198.51.100.55"
    def names_knot(r):
        return any(f["zone"] == "19.198.in-addr.arpa." and (
            f.get("address") == knot or any(a == knot for _, a in f.get("involved", [])))
            for f in r["findings"])
    wrong = sorted(r["target"] for r in w19 if int(r["target"].split(".")[3]) % 16 == 7)
    named = sorted(r["target"] for r in w19 if names_knot(r))
    check(len(w19) == 1024 and len(wrong) == 64 and named == wrong,
          f"198.19.0.0/22, Knot wrong on 1 name in 16: {len(named)} targets name it, the {len(wrong)} it answers wrongly")
    left = sum(1 for r in w19 if any(f.get("reason") == "sampled" for f in r["findings"]))
    check(left == 0, f"198.19.0.0/22: the failed sample ended spreading, every target asked of every address ({left} left spread)")
    # A real Prometheus scraping `ptrtrace serve`, with the shipped alert rules.
    verdicts = json.loads((Path(workdir) / "prom-verdicts.json").read_text())
    got = sorted((r["metric"]["target"], r["metric"]["verdict"])
                 for r in (verdicts["data"] or {}).get("result", []))
    check(got == [("203.0.113.25", "degraded"), ("203.0.113.26", "broken")],
          f"Prometheus scraped ptrtrace serve: verdicts {got}")
    alerts = json.loads((Path(workdir) / "prom-alerts.json").read_text())
    active = sorted((a["labels"]["alertname"], a["labels"].get("target"), a["state"])
                    for a in (alerts["data"] or {}).get("alerts", []))
    check(("ReverseDnsBroken", "203.0.113.26", "firing") in active
          and not any(a[:2] == ("ReverseDnsBroken", "203.0.113.25") for a in active),
          f"ReverseDnsBroken fires for the broken target only: {active}")
    stopped = json.loads((Path(workdir) / "prom-ns3-stopped.json").read_text())
    seen = len((stopped["data"] or {}).get("result", []))
    check(seen >= 1 and stopped["seconds"] <= 30,
          f"ns3 stopped: unreachable in Prometheus after {stopped['seconds']} s (interval 10 s + a trace)")
    hist = json.loads((Path(workdir) / "history.json").read_text())
    ns3 = next((s for s in hist["servers"] if s["zone"] == REV and s["address"] == "198.51.100.55"), None)
    steps = [c["to"] for c in ns3["changes"]] if ns3 else []
    check(ns3 is not None and steps[-1:] == ["unreachable"]
          and len(hist["rounds"]) >= 2,
          f"the history file saw ns3 go {' → '.join(steps)} in {len(hist['rounds'])} rounds of 203.0.113.25")
    print(f"interop: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
