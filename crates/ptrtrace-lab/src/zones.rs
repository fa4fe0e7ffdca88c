//! The lab's zone data, in master-file text: a small copy of the real reverse tree
//! (`.` → `arpa.` → `in-addr.arpa.` → `203.in-addr.arpa.` → `113.0.203.in-addr.arpa.`, and
//! `ip6.arpa.` → `8.b.d.0.1.0.0.2.ip6.arpa.`) and a forward tree under `example.`, using only
//! documentation addresses (RFC 5737, RFC 3849) and names (RFC 2606).

/// `(key, origin, text)` of every zone the lab can serve. Variants are the base zones with
/// one edit each, so a scenario's zone differs from the healthy one only by its fault.
#[must_use]
#[expect(
    clippy::too_many_lines,
    reason = "the zone texts of the lab's tree: data (docs/design.md §9)"
)]
pub fn zones() -> Vec<(&'static str, &'static str, String)> {
    let edit = |base: &str, from: &str, to: &str| {
        assert!(base.contains(from), "lab zone edit {from:?} does not apply");
        base.replacen(from, to, 1)
    };
    vec![
        ("root", ".", ROOT.into()),
        ("arpa", "arpa.", ARPA.into()),
        ("in-addr", "in-addr.arpa.", IN_ADDR.into()),
        ("ip6", "ip6.arpa.", IP6.into()),
        ("r203", "203.in-addr.arpa.", R203.into()),
        ("r198", "198.in-addr.arpa.", R198.into()),
        // An ISP's /16 and a /24 below it, on the same servers: the /24's cut is hidden.
        ("r51", "51.198.in-addr.arpa.", R51.into()),
        // The /16 publishes a DS for a key the /24 does not have.
        ("r51-bad-ds", "51.198.in-addr.arpa.", R51.into()),
        ("r100", "100.51.198.in-addr.arpa.", R100.into()),
        ("r61", "61.100.51.198.in-addr.arpa.", R61.into()),
        ("r41", "41.113.0.203.in-addr.arpa.", R41.into()),
        // The same /24 still signed with the key from before a rollover (a stale secondary).
        ("r100-old-key", "100.51.198.in-addr.arpa.", R100.into()),
        // The parent publishes a DS for a key 113.0.203.in-addr.arpa does not have.
        ("r203-bad-ds", "203.in-addr.arpa.", R203.into()),
        // A parent server that lost one NS of the child (disagreeing parents).
        (
            "r203-partial",
            "203.in-addr.arpa.",
            edit(R203, "113.0 NS ns3.isp.example.\n", ""),
        ),
        // A parent that still delegates to a server that no longer exists.
        (
            "r203-ns4",
            "203.in-addr.arpa.",
            format!("{R203}113.0 NS ns4.isp.example.\n"),
        ),
        // A hostile referral: 200 NS names, of which only ns1-ns3 exist.
        (
            "r203-bulk",
            "203.in-addr.arpa.",
            format!("{R203}{}", bulk_ns(197)),
        ),
        ("rev", "113.0.203.in-addr.arpa.", REV.into()),
        ("rev-stale", "113.0.203.in-addr.arpa.", REV_STALE.into()),
        // The same data, signed a month ago and never again: its RRSIGs have expired.
        ("rev-expired", "113.0.203.in-addr.arpa.", REV.into()),
        // The same data, signed with a clock a day ahead: not valid yet.
        ("rev-future", "113.0.203.in-addr.arpa.", REV.into()),
        // The same data, unsigned: a secondary loaded from the file before signing.
        ("rev-unsigned", "113.0.203.in-addr.arpa.", REV.into()),
        // Same data, old serial: a secondary that missed a no-op change.
        (
            "rev-old-serial",
            "113.0.203.in-addr.arpa.",
            edit(REV, "2026112801", "2026112700"),
        ),
        // The child lists a server the parent does not.
        (
            "rev-extra-ns",
            "113.0.203.in-addr.arpa.",
            format!("{REV}@ NS ns4.isp.example.\n"),
        ),
        // Same serial, another PTR name for 203.0.113.25 (each forward-confirmed): with the
        // base zone and rev-ptr-c, three servers that each answer differently.
        (
            "rev-ptr-b",
            "113.0.203.in-addr.arpa.",
            edit(
                REV,
                "25  PTR mail.isp.example.",
                "25  PTR mail-b.isp.example.",
            ),
        ),
        (
            "rev-ptr-c",
            "113.0.203.in-addr.arpa.",
            edit(
                REV,
                "25  PTR mail.isp.example.",
                "25  PTR mail-c.isp.example.",
            ),
        ),
        // Harmless: other TTLs and another record order, same serial and data.
        ("rev-ttl", "113.0.203.in-addr.arpa.", REV_TTL.into()),
        // An RFC 2317 child served by the /24's own servers: its cut is hidden.
        (
            "classless-isp",
            "192-26.113.0.203.in-addr.arpa.",
            CLASSLESS_ISP.into(),
        ),
        (
            "classless",
            "128-26.113.0.203.in-addr.arpa.",
            format!("{CLASSLESS}{}", cname_chain(29)),
        ),
        ("v6rev", "8.b.d.0.1.0.0.2.ip6.arpa.", V6REV.into()),
        ("v6-48", "1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", V6_48.into()),
        (
            "v6-56",
            "b.a.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
            V6_56.into(),
        ),
        ("example", "example.", EXAMPLE.into()),
        // Glue left at ns3's old address after renumbering.
        (
            "example-bad-glue",
            "example.",
            edit(
                EXAMPLE,
                "ns3.isp A    198.51.100.55",
                "ns3.isp A    198.51.100.99",
            ),
        ),
        // The IPv6 glue of ns2.isp.example is wrong; its IPv4 glue is right.
        (
            "example-bad-v6-glue",
            "example.",
            edit(
                EXAMPLE,
                "ns2.isp AAAA 2001:db8:5300::54",
                "ns2.isp AAAA 2001:db8:5300::99",
            ),
        ),
        // No glue at all for ns3.isp.example, which is inside isp.example.
        (
            "example-no-glue",
            "example.",
            edit(EXAMPLE, "ns3.isp A    198.51.100.55\n", ""),
        ),
        ("isp", "isp.example.", ISP.into()),
        // A forward server with another address for mail.isp.example (same serial).
        (
            "isp-stale",
            "isp.example.",
            edit(ISP, "mail A    203.0.113.25", "mail A    203.0.113.99"),
        ),
        ("customer", "customer.example.", CUSTOMER.into()),
    ]
}

/// `c1 CNAME c2` … `c{n} PTR deep.customer.example.`: with 133's own CNAME, n + 1 CNAMEs.
fn cname_chain(n: usize) -> String {
    let mut out = String::new();
    for i in 1..n {
        out.push_str(&format!("c{i} CNAME c{}\n", i + 1));
    }
    out.push_str(&format!("c{n} PTR deep.customer.example.\n"));
    out
}

/// `113.0 NS zz-001.isp.example.` … : NS names that do not exist.
fn bulk_ns(n: usize) -> String {
    (1..=n)
        .map(|i| format!("113.0 NS zz-{i:03}.isp.example.\n"))
        .collect()
}

const ROOT: &str = r#"
$TTL 86400
@   SOA a.root-servers.example. nstld.root-servers.example. 2026112800 1800 900 604800 86400
@   NS  a.root-servers.example.
@   NS  b.root-servers.example.
arpa.      NS a.ns.arpa.
arpa.      NS b.ns.arpa.
a.ns.arpa. A    192.0.2.11
b.ns.arpa. A    192.0.2.12
b.ns.arpa. AAAA 2001:db8:53::12
example.   NS a.nic.example.
example.   NS b.nic.example.
a.nic.example. A 192.0.2.21
b.nic.example. A 192.0.2.22
a.root-servers.example. A    192.0.2.1
b.root-servers.example. A    192.0.2.2
b.root-servers.example. AAAA 2001:db8:53::2
"#;

const ARPA: &str = r#"
$TTL 86400
@   SOA a.ns.arpa. nstld.iana.example. 2026112800 1800 900 604800 86400
@   NS  a.ns.arpa.
@   NS  b.ns.arpa.
a.ns A    192.0.2.11
b.ns A    192.0.2.12
b.ns AAAA 2001:db8:53::12
in-addr NS a.in-addr-servers.arpa.
in-addr NS b.in-addr-servers.arpa.
a.in-addr-servers A 192.0.2.31
b.in-addr-servers A 192.0.2.32
ip6 NS a.ip6-servers.arpa.
ip6 NS b.ip6-servers.arpa.
a.ip6-servers A    192.0.2.41
b.ip6-servers AAAA 2001:db8:53::42
"#;

const IN_ADDR: &str = r#"
$TTL 86400
@   SOA a.in-addr-servers.arpa. nstld.iana.example. 2026112800 1800 900 604800 86400
@   NS  a.in-addr-servers.arpa.
@   NS  b.in-addr-servers.arpa.
203 NS ns1.rir.example.
203 NS ns2.rir.example.
198 NS ns1.rir.example.
198 NS ns2.rir.example.
"#;

const IP6: &str = r#"
$TTL 86400
@   SOA a.ip6-servers.arpa. nstld.iana.example. 2026112800 1800 900 604800 86400
@   NS  a.ip6-servers.arpa.
@   NS  b.ip6-servers.arpa.
8.b.d.0.1.0.0.2 NS ns1.isp.example.
8.b.d.0.1.0.0.2 NS ns2.isp.example.
8.b.d.0.1.0.0.2 NS ns3.isp.example.
8.b.d.0.1.0.0.2 NS ns6.isp.example.
"#;

const R203: &str = r#"
$TTL 86400
@   SOA ns1.rir.example. dns-admin.rir.example. 2026112800 7200 1800 604800 3600
@   NS  ns1.rir.example.
@   NS  ns2.rir.example.
113.0 NS ns1.isp.example.
113.0 NS ns2.isp.example.
113.0 NS ns3.isp.example.
"#;

const R198: &str = r#"
$TTL 86400
@   SOA ns1.rir.example. dns-admin.rir.example. 2026112800 7200 1800 604800 3600
@   NS  ns1.rir.example.
@   NS  ns2.rir.example.
51 NS ns1.isp.example.
51 NS ns2.isp.example.
51 NS ns3.isp.example.
"#;

/// The ISP's /16 (198.51.0.0/16): it delegates the /24 to its own servers.
const R51: &str = r#"
$TTL 3600
@   SOA ns1.isp.example. hostmaster.isp.example. 2026112801 7200 1800 1209600 3600
@   NS  ns1.isp.example.
@   NS  ns2.isp.example.
@   NS  ns3.isp.example.
100 NS ns1.isp.example.
100 NS ns2.isp.example.
100 NS ns3.isp.example.
; 198.51.101.0/24 was renumbered into 198.51.100.0/24: its reverse names are redirected
; (RFC 6672 DNAME), so 198.51.101.60 has the PTR of 198.51.100.60.
101 DNAME 100.51.198.in-addr.arpa.
; 198.51.105.0/24 has one PTR for every address: a wildcard (RFC 4592), signed.
*.105 PTR relay.isp.example.
"#;

/// 198.51.100.0/24, where the ISP's name servers live.
const R100: &str = r#"
$TTL 3600
@   SOA ns1.isp.example. hostmaster.isp.example. 2026112801 7200 1800 1209600 3600
@   NS  ns1.isp.example.
@   NS  ns2.isp.example.
@   NS  ns3.isp.example.
53  PTR ns1.isp.example.
54  PTR ns2.isp.example.
55  PTR ns3.isp.example.
60  PTR mail2.isp.example.
; 198.51.100.61 is a zone of its own (a customer's single address), on the same servers.
61  NS  ns1.isp.example.
61  NS  ns2.isp.example.
61  NS  ns3.isp.example.
"#;

/// A zone at a single address's own reverse name (203.0.113.41), one label below the zone the
/// referral names (113.0.203.in-addr.arpa.), on that zone's servers.
const R41: &str = r#"
$TTL 3600
@   SOA ns1.isp.example. hostmaster.isp.example. 2026112801 7200 1800 1209600 3600
@   NS  ns1.isp.example.
@   NS  ns2.isp.example.
@   NS  ns3.isp.example.
@   PTR own.isp.example.
"#;

/// A zone at a single address's own reverse name (198.51.100.61), hidden two labels below
/// the last referral (to the ISP's /16) inside the same servers.
const R61: &str = r#"
$TTL 3600
@   SOA ns1.isp.example. hostmaster.isp.example. 2026112801 7200 1800 1209600 3600
@   NS  ns1.isp.example.
@   NS  ns2.isp.example.
@   NS  ns3.isp.example.
@   PTR mail3.isp.example.
"#;

/// 203.0.113.192/26, delegated (RFC 2317) to the servers that serve the /24 itself.
const CLASSLESS_ISP: &str = r#"
$TTL 3600
@   SOA ns1.isp.example. hostmaster.isp.example. 2026112801 7200 1800 1209600 3600
@   NS  ns1.isp.example.
@   NS  ns2.isp.example.
@   NS  ns3.isp.example.
200 PTR smtp.isp.example.
"#;

const REV: &str = r#"
$TTL 3600
@   SOA ns1.isp.example. hostmaster.isp.example. 2026112801 7200 1800 1209600 3600
@   NS  ns1.isp.example.
@   NS  ns2.isp.example.
@   NS  ns3.isp.example.
25  PTR mail.isp.example.
26  PTR mx1.isp.example.
26  PTR mx2.isp.example.
27  PTR web.isp.example.
28  PTR gone.isp.example.
29  PTR 203-0-113-29.dynamic.isp.example.
98  TXT "reserved: no PTR on purpose"
; RFC 2317 classless delegation of 203.0.113.128/26 to a customer
128-26 NS ns1.customer.example.
130 CNAME 130.128-26.113.0.203.in-addr.arpa.
131 CNAME 131.128-26.113.0.203.in-addr.arpa.
132 CNAME 132.128-26.113.0.203.in-addr.arpa.
133 CNAME 133.128-26.113.0.203.in-addr.arpa.
; a CNAME whose target lies below a DNAME (the renumbered 198.51.101.0/24)
140 CNAME 60.101.51.198.in-addr.arpa.
; 203.0.113.41 is a zone of its own, on these same servers
41  NS  ns1.isp.example.
41  NS  ns2.isp.example.
41  NS  ns3.isp.example.
; RFC 2317 delegation of 203.0.113.192/26 to the same servers
192-26 NS ns1.isp.example.
192-26 NS ns2.isp.example.
192-26 NS ns3.isp.example.
200 CNAME 200.192-26.113.0.203.in-addr.arpa.
"#;

/// REV as another server might print it: other TTLs, records in another order.
const REV_TTL: &str = r#"
$TTL 7200
200 CNAME 200.192-26.113.0.203.in-addr.arpa.
192-26 NS ns3.isp.example.
192-26 NS ns2.isp.example.
192-26 NS ns1.isp.example.
140 CNAME 60.101.51.198.in-addr.arpa.
41  NS  ns3.isp.example.
41  NS  ns2.isp.example.
41  NS  ns1.isp.example.
133 CNAME 133.128-26.113.0.203.in-addr.arpa.
132 CNAME 132.128-26.113.0.203.in-addr.arpa.
131 CNAME 131.128-26.113.0.203.in-addr.arpa.
130 CNAME 130.128-26.113.0.203.in-addr.arpa.
128-26 86400 NS ns1.customer.example.
98  60 TXT "reserved: no PTR on purpose"
26  PTR mx2.isp.example.
26  PTR mx1.isp.example.
25  300 PTR mail.isp.example.
@   NS  ns3.isp.example.
@   NS  ns2.isp.example.
@   NS  ns1.isp.example.
@   SOA ns1.isp.example. hostmaster.isp.example. 2026112801 7200 1800 1209600 3600
"#;

/// The same zone as a secondary that stopped transferring: an old serial and an old PTR.
const REV_STALE: &str = r#"
$TTL 3600
@   SOA ns1.isp.example. hostmaster.isp.example. 2026010100 7200 1800 1209600 3600
@   NS  ns1.isp.example.
@   NS  ns2.isp.example.
@   NS  ns3.isp.example.
25  PTR old-mail.isp.example.
98  TXT "reserved: no PTR on purpose"
128-26 NS ns1.customer.example.
130 CNAME 130.128-26.113.0.203.in-addr.arpa.
131 CNAME 131.128-26.113.0.203.in-addr.arpa.
"#;

const CLASSLESS: &str = r#"
$TTL 3600
@   SOA ns1.customer.example. hostmaster.customer.example. 2026112800 7200 1800 1209600 3600
@   NS  ns1.customer.example.
130 PTR mail.customer.example.
; a CNAME loop back into the parent zone
132 CNAME 132.113.0.203.in-addr.arpa.
; 133 starts a chain of 30 CNAMEs (c1 … c29, generated in zones())
133 CNAME c1
"#;

const V6REV: &str = r#"
$TTL 3600
@   SOA ns1.isp.example. hostmaster.isp.example. 2026112801 7200 1800 1209600 3600
@   NS  ns1.isp.example.
@   NS  ns2.isp.example.
@   NS  ns3.isp.example.
@   NS  ns6.isp.example.
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR mail.isp.example.
; 2001:db8:0:2::/64 was renumbered into 2001:db8::/64: its reverse names are redirected
; (RFC 6672 DNAME), so 2001:db8:0:2::25 has the PTR of 2001:db8::25.
2.0.0.0.0.0.0.0 DNAME 0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.
; 2001:db8:1::/48 is delegated to a customer, who delegates a /56 onwards
1.0.0.0 NS ns1.customer.example.
"#;

/// 2001:db8:1::/48, delegated at a /48 nibble boundary.
const V6_48: &str = r#"
$TTL 3600
@   SOA ns1.customer.example. hostmaster.customer.example. 2026112800 7200 1800 1209600 3600
@   NS  ns1.customer.example.
b.a NS ns2.customer.example.
"#;

/// 2001:db8:1:ab00::/56, delegated again at a /56 nibble boundary.
const V6_56: &str = r#"
$TTL 3600
@   SOA ns2.customer.example. hostmaster.customer.example. 2026112800 7200 1800 1209600 3600
@   NS  ns2.customer.example.
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR host.customer.example.
"#;

const EXAMPLE: &str = r#"
$TTL 86400
@   SOA a.nic.example. hostmaster.nic.example. 2026112800 1800 900 604800 86400
@   NS  a.nic.example.
@   NS  b.nic.example.
a.nic A 192.0.2.21
b.nic A 192.0.2.22
a.root-servers A    192.0.2.1
b.root-servers A    192.0.2.2
b.root-servers AAAA 2001:db8:53::2
ns1.rir A    192.0.2.51
ns2.rir A    192.0.2.52
ns2.rir AAAA 2001:db8:53::52
isp NS ns1.isp.example.
isp NS ns2.isp.example.
isp NS ns3.isp.example.
ns1.isp A    198.51.100.53
ns2.isp A    198.51.100.54
ns2.isp AAAA 2001:db8:5300::54
ns3.isp A    198.51.100.55
customer NS ns1.customer.example.
ns1.customer A 198.51.100.80
"#;

const ISP: &str = r#"
$TTL 3600
@   SOA ns1.isp.example. hostmaster.isp.example. 2026112801 7200 1800 1209600 3600
@   NS  ns1.isp.example.
@   NS  ns2.isp.example.
@   NS  ns3.isp.example.
ns1  A    198.51.100.53
ns2  A    198.51.100.54
ns2  AAAA 2001:db8:5300::54
ns3  A    198.51.100.55
ns6  AAAA 2001:db8:5300::66
mail A    203.0.113.25
mail AAAA 2001:db8::25
mail AAAA 2001:db8:0:2::25
mail2 A   198.51.100.60
mail3 A   198.51.100.61
own  A    203.0.113.41
relay A   198.51.105.7
mail2 A   198.51.101.60
mail2 A   203.0.113.140
mx1  A    203.0.113.26
mx2  A    203.0.113.26
; web's PTR is 203.0.113.27, but the name points elsewhere
web  A    203.0.113.80
203-0-113-29.dynamic A 203.0.113.29
smtp A    203.0.113.200
mail-b A  203.0.113.25
mail-c A  203.0.113.25
"#;

const CUSTOMER: &str = r#"
$TTL 3600
@   SOA ns1.customer.example. hostmaster.customer.example. 2026112800 7200 1800 1209600 3600
@   NS  ns1.customer.example.
ns1  A 198.51.100.80
ns2  A 198.51.100.81
ns2  AAAA 2001:db8:1::53
host AAAA 2001:db8:1:ab00::25
mail A 203.0.113.130
"#;
