//! The lab's zone data, in master-file text: a small copy of the real reverse tree
//! (`.` → `arpa.` → `in-addr.arpa.` → `203.in-addr.arpa.` → `113.0.203.in-addr.arpa.`, and
//! `ip6.arpa.` → `8.b.d.0.1.0.0.2.ip6.arpa.`) and a forward tree under `example.`, using only
//! documentation addresses (RFC 5737, RFC 3849) and names (RFC 2606).

/// `(origin, text)` of every zone the lab can serve, by key.
pub const ZONES: &[(&str, &str, &str)] = &[
    ("root", ".", ROOT),
    ("arpa", "arpa.", ARPA),
    ("in-addr", "in-addr.arpa.", IN_ADDR),
    ("ip6", "ip6.arpa.", IP6),
    ("r203", "203.in-addr.arpa.", R203),
    ("rev", "113.0.203.in-addr.arpa.", REV),
    ("rev-stale", "113.0.203.in-addr.arpa.", REV_STALE),
    ("classless", "128-26.113.0.203.in-addr.arpa.", CLASSLESS),
    ("v6rev", "8.b.d.0.1.0.0.2.ip6.arpa.", V6REV),
    ("example", "example.", EXAMPLE),
    ("isp", "isp.example.", ISP),
    ("customer", "customer.example.", CUSTOMER),
];

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
"#;

const IP6: &str = r#"
$TTL 86400
@   SOA a.ip6-servers.arpa. nstld.iana.example. 2026112800 1800 900 604800 86400
@   NS  a.ip6-servers.arpa.
@   NS  b.ip6-servers.arpa.
8.b.d.0.1.0.0.2 NS ns1.isp.example.
8.b.d.0.1.0.0.2 NS ns2.isp.example.
8.b.d.0.1.0.0.2 NS ns3.isp.example.
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

const REV: &str = r#"
$TTL 3600
@   SOA ns1.isp.example. hostmaster.isp.example. 2026112801 7200 1800 1209600 3600
@   NS  ns1.isp.example.
@   NS  ns2.isp.example.
@   NS  ns3.isp.example.
25  PTR mail.isp.example.
98  TXT "reserved: no PTR on purpose"
; RFC 2317 classless delegation of 203.0.113.128/26 to a customer
128-26 NS ns1.customer.example.
130 CNAME 130.128-26.113.0.203.in-addr.arpa.
131 CNAME 131.128-26.113.0.203.in-addr.arpa.
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
"#;

const V6REV: &str = r#"
$TTL 3600
@   SOA ns1.isp.example. hostmaster.isp.example. 2026112801 7200 1800 1209600 3600
@   NS  ns1.isp.example.
@   NS  ns2.isp.example.
@   NS  ns3.isp.example.
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR mail.isp.example.
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
mail A    203.0.113.25
mail AAAA 2001:db8::25
"#;

const CUSTOMER: &str = r#"
$TTL 3600
@   SOA ns1.customer.example. hostmaster.customer.example. 2026112800 7200 1800 1209600 3600
@   NS  ns1.customer.example.
ns1  A 198.51.100.80
mail A 203.0.113.130
"#;
