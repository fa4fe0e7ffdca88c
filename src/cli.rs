//! Command-line definitions (clap derive) and their validation into a [`TraceConfig`].
//! Parse, then validate (docs/design.md §2): nothing downstream sees a raw string.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use ptrtrace_core::dnssec::TrustAnchors;
use ptrtrace_core::hints::RootHints;
use ptrtrace_core::net::AddressMap;
use ptrtrace_core::trace::{Families, TraceConfig};

/// Find the DNS server that breaks an IP address's reverse DNS.
///
/// ptrtrace walks from the root to the PTR record of each address, asks every address of
/// every authoritative server of every zone on the way, several times, and checks that the
/// PTR name resolves back to the address (FCrDNS), as Gmail, Microsoft and Yahoo do before
/// they accept mail. It names the servers that are lame, silent, flaky or disagree.
#[derive(Debug, Parser)]
#[command(
    name = "ptrtrace",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "EXAMPLES:\n  ptrtrace 203.0.113.25                     trace one address from the real root\n  ptrtrace 203.0.113.25 2001:db8::25 -f json  several targets, JSON for scripts\n  ptrtrace --root-hints lab.hints 192.0.2.1   start from your own root servers\n  ptrtrace --root-hints lab.hints --trust-anchor dsset-. 192.0.2.1\n                                             … and check DNSSEC from its key\n  ptrtrace lab run                           the offline demo: every fault the lab knows\n  ptrtrace lab serve                         the lab's servers on 127.0.53.N for ptrtrace and dig\n  ptrtrace serve /etc/ptrtrace/serve.toml    a Prometheus exporter (docs/monitoring.md)\n  ptrtrace history 203.0.113.25              what the history file says of it\n\nEXIT CODES:\n  0 every target ok · 1 a target degraded or broken · 2 bad input · 3 the trace could not run"
)]
pub struct Cli {
    /// What to trace: IPv4/IPv6 addresses, prefixes (203.0.113.0/24, 2001:db8::/120),
    /// @FILE or - (stdin) with one per line and # comments.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    #[command(flatten)]
    pub out: OutputOpts,

    #[command(flatten)]
    pub opts: TraceOpts,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The built-in lab: faulty DNS servers on loopback, offline.
    Lab {
        #[command(subcommand)]
        action: LabAction,
    },
    /// Re-trace periodically and print a line for every change (a server became unreachable,
    /// an answer or the verdict changed). Stop with Ctrl-C (or --count); a summary follows.
    /// Exit code: 0 nothing changed, 1 something changed, 2 bad input, 3 the last round could
    /// not run (no root server answered).
    Watch {
        /// IPv4 or IPv6 addresses to watch.
        #[arg(value_name = "ADDRESS", required = true)]
        targets: Vec<String>,
        /// Stop after N rounds.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        count: Option<u32>,
        /// Exit (code 1) at the first change: for monitoring that alerts on change.
        #[arg(long)]
        exit_on_change: bool,
        /// Store every round in this SQLite file (created if needed), for `ptrtrace history`.
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// With --history: delete rounds older than this (e.g. 90d, 12h).
        #[arg(long, value_name = "AGE", default_value = "90d", value_parser = parse_age)]
        keep: Duration,
        #[command(flatten)]
        opts: TraceOpts,
    },
    /// What the history file says of one address: when each server address started and
    /// stopped failing, how often, with the findings of the rounds that changed. The file is
    /// written by `serve` (`history = "FILE"`) and `watch --history FILE`.
    /// Exit code: 0, 2 bad input (no such file), 3 the file cannot be read.
    History {
        /// The IPv4 or IPv6 address (see --list for the ones the file holds).
        #[arg(value_name = "ADDRESS", value_parser = parse_target, required_unless_present = "list")]
        target: Option<IpAddr>,
        /// List the addresses the file holds, with their first and last round.
        #[arg(long, conflicts_with = "target")]
        list: bool,
        /// The history file [default: $XDG_DATA_HOME/ptrtrace/history.sqlite].
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
        /// Only rounds younger than this (e.g. 7d, 12h, 30m).
        #[arg(long, value_name = "AGE", default_value = "7d", value_parser = parse_age)]
        since: Duration,
        /// text, json, or svg (loss and median reply time per server address over time).
        #[arg(short = 'f', long, value_enum, default_value_t = HistoryFormat::Text)]
        format: HistoryFormat,
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// One status line for Nagios, Icinga, Zabbix and other monitoring-plugins hosts:
    /// `PTRTRACE OK|WARNING|CRITICAL|UNKNOWN - summary | perfdata`. Exit code by their
    /// convention: 0 every target ok, 1 degraded (or first-try failures at --warning), 2 broken
    /// (or at --critical), 3 the check could not run (bad input, no root server answered).
    Check {
        /// IPv4 or IPv6 addresses to check (the worst decides the status).
        #[arg(value_name = "ADDRESS", required = true)]
        targets: Vec<String>,
        /// WARNING when a resolver's first try fails or goes wrong this often, in percent
        /// (0-100); a degraded verdict is a WARNING whatever the share.
        #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
        warning: Option<f64>,
        /// CRITICAL when a resolver's first try fails or goes wrong this often, in percent
        /// (0-100); a broken verdict is CRITICAL whatever the share.
        #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
        critical: Option<f64>,
        #[command(flatten)]
        opts: TraceOpts,
    },
    /// A Prometheus exporter with a web page: trace the addresses of a configuration file
    /// every interval and serve their latest results at /metrics, one trace on demand at
    /// /probe?target=ADDR, and a page for people at / (a form for one address, the configured
    /// addresses' latest rounds, a trace that shows its progress and then its findings and
    /// delegation graph). docs/monitoring.md has the file's format, the metrics, the page and
    /// an alert rule. SIGHUP
    /// reloads the file (a bad one is reported and the old one kept); SIGTERM or Ctrl-C stops.
    /// Exit code: 0 stopped by a signal, 2 bad configuration or trace options, 3 cannot
    /// listen (the port in use), cannot open the history file, or the HTTP server failed.
    Serve {
        /// The configuration file (TOML).
        config: PathBuf,
        /// Listen here instead of the file's `listen` (default 127.0.0.1:9153).
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Print what ptrtrace trusts by default: the root hints (named.root) it starts from, or
    /// with --trust-anchor the root zone DS records it validates DNSSEC from, each with its
    /// source and date, to see, diff or copy (`--root-hints FILE`, `--trust-anchor FILE`).
    Hints {
        /// The built-in trust anchor (IANA's root KSK-2017 and KSK-2024 as DS records)
        /// instead of the root hints.
        #[arg(long)]
        trust_anchor: bool,
    },
    /// Print a shell completion script: `ptrtrace completions bash >
    /// /etc/bash_completion.d/ptrtrace` (zsh: a `_ptrtrace` file on $fpath; fish:
    /// ~/.config/fish/completions/ptrtrace.fish).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff: `ptrtrace man | man -l -`), or with --dir write one page
    /// per command there (ptrtrace.1, ptrtrace-watch.1, …).
    Man {
        /// Write ptrtrace.1 and a page per subcommand into DIR.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// What changed between two saved JSON reports (servers, answers, findings, verdict).
    /// Exit code: 0 nothing changed, 1 something changed, 2 bad input.
    Diff {
        /// The older report (`ptrtrace -f json … > old.json`).
        old: PathBuf,
        /// The newer report.
        new: PathBuf,
        /// Output format: text or json.
        #[arg(short = 'f', long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Lab actions.
// Parsed once per run: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum LabAction {
    /// List the lab's scenarios and the findings each must produce.
    List,
    /// Serve a scenario's servers (the healthy tree when none is named) on loopback for other
    /// processes: each server on its own 127.0.53.N address, UDP and TCP on --port. Writes a
    /// root hints file and the lab's trust anchor, and prints the ptrtrace and dig command
    /// lines that use them. Runs until Ctrl-C.
    ///
    /// Limits: IPv4 only (an IPv6 loopback address per server does not exist: dual-stack
    /// servers keep their IPv4 address, IPv6-only ones get an IPv4 one); the keys are new at
    /// every start, so give the new trust anchor file each time.
    Serve {
        /// Scenario name (see `ptrtrace lab list`); `healthy` when omitted.
        scenario: Option<String>,
        /// UDP and TCP port every server listens on.
        #[arg(long, value_name = "PORT", default_value_t = 5380, value_parser = clap::value_parser!(u16).range(1..))]
        port: u16,
        /// Where to write lab.hints and lab-anchor.ds (default: a directory under the system's
        /// temporary directory, removed on exit).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Run one scenario (or all), printing each trace; exits 1 if a scenario's findings or
    /// verdict differ from what it expects.
    Run {
        /// Scenario name (see `ptrtrace lab list`); all when omitted.
        scenario: Option<String>,
        #[command(flatten)]
        out: OutputOpts,
        #[command(flatten)]
        opts: TraceOpts,
    },
}

/// A percentage for --warning/--critical: 0 to 100, `%` optional.
fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("{s:?} is not a percentage (0-100)"))?;
    if (0.0..=100.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{s:?} is not between 0 and 100"))
    }
}

/// `history` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    /// Changes per server address, for people.
    Text,
    /// Rounds and changes, for scripts.
    Json,
    /// A picture: loss and reply time per server address over time, changes marked.
    Svg,
}

/// An age: a number and s, m, h or d (`90d`, `12h`); a second to ten years.
///
/// # Errors
/// A one-line message for anything else.
pub fn parse_age(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, unit) = t.split_at(t.len().saturating_sub(1));
    let mult = match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return Err(format!("bad age {s:?}: use e.g. 90d, 12h, 30m")),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("bad age {s:?}: use e.g. 90d, 12h, 30m"))?;
    let secs = v * mult;
    if !secs.is_finite() || !(1.0..=10.0 * 365.0 * 86_400.0).contains(&secs) {
        return Err(format!("bad age {s:?}: from 1s to ten years"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: summary, delegation tree, findings with advice.
    Text,
    /// For scripts: everything, documented in docs/json.md.
    Json,
    /// Graphviz DOT of the delegation graph (render with `dot -Tsvg`).
    Dot,
    /// One JSON record per line, written as each target finishes (for big batches): slim
    /// target lines and each zone's evidence once (see --evidence).
    Jsonl,
}

/// What each `-f jsonl` target line carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvidenceArg {
    /// Verdict, receiver answer, findings and the failing servers per target; each zone's
    /// servers once, in a `zone` record (about 1 KB per healthy target).
    Slim,
    /// The whole target object with every probe, as in `-f json` (about 100 KB per target).
    Full,
}

/// How reports are written: by the trace command and `lab run` only (`watch` prints a line
/// per change, `check` one status line).
#[derive(Debug, Clone, Args)]
pub struct OutputOpts {
    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Text for several targets: each target's full report (summary, delegation tree,
    /// statistics, findings) instead of the table (one line per address, then each problem
    /// once).
    #[arg(long)]
    pub tree: bool,

    /// With -f jsonl: slim lines (default) or the full evidence on every line.
    #[arg(long, value_enum, value_name = "slim|full")]
    pub evidence: Option<EvidenceArg>,
}

/// Options of a trace.
#[derive(Debug, Clone, Args)]
pub struct TraceOpts {
    /// Start from the root servers in FILE (named.root format) instead of IANA's.
    #[arg(long, value_name = "FILE")]
    pub root_hints: Option<PathBuf>,

    /// Wait this long for each reply (e.g. 2s, 500ms; a bare number is seconds; 1ms to a day).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Probes sent to every server address for the target's name at each zone (1-20); SOA, NS,
    /// DNSKEY, DS and forward names get one, and this many where the first looks wrong or is
    /// lost. A question that a server answering the zone never answered is asked this many
    /// times more before it is called unreachable for it. More probes catch rarer drops.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=20))]
    pub probes: u8,

    /// Most queries one trace may send.
    #[arg(long, value_name = "N", default_value_t = 3000, value_parser = clap::value_parser!(u32).range(1..))]
    pub query_budget: u32,

    /// Use at most N NS names per zone (names with glue first); more are reported.
    #[arg(long, value_name = "N", default_value_t = 13, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub max_ns: u16,

    /// Give up on a trace after this long and report what was gathered.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub deadline: Duration,

    /// Repeat the whole trace N times; statistics and findings cover every round, so a
    /// server that drops 1 query in 10 shows up.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rounds: u32,

    /// Pause between rounds (e.g. 10s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_interval)]
    pub interval: std::time::Duration,

    /// Queries per second to one server address after a burst of 10 (a token bucket per
    /// address, shared by every target and round) [default: 20; unlimited for the lab].
    /// Servers with response-rate limiting drop floods: a faster prober invents flakiness.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate: Option<u32>,

    /// Only query IPv4 server addresses.
    #[arg(short = '4', conflicts_with = "ipv6_only")]
    pub ipv4_only: bool,

    /// Only query IPv6 server addresses.
    #[arg(short = '6')]
    pub ipv6_only: bool,

    /// Do not check that the PTR names resolve back to the address.
    #[arg(long)]
    pub no_fcrdns: bool,

    /// Do not check DNSSEC. By default queries carry DO=1, every zone on the path is asked
    /// for its DNSKEY (every server) and DS (every parent server), and each server's
    /// signatures and NSEC proofs are verified up to the trust anchor.
    #[arg(long, conflicts_with = "trust_anchor")]
    pub no_dnssec: bool,

    /// Start chains of trust at the DS or DNSKEY records in FILE (master-file text, e.g.
    /// `. IN DS 20326 8 2 E06D…`) instead of the built-in IANA root keys: for private roots.
    #[arg(long, value_name = "FILE")]
    pub trust_anchor: Option<PathBuf>,

    /// Also check that the mail server's SMTP HELO/EHLO name agrees with the PTR (a warning
    /// when it does not, as receivers treat it).
    #[arg(long, value_name = "NAME", value_parser = parse_hostname)]
    pub helo: Option<hickory_proto::rr::Name>,

    /// Targets traced together in one chunk of a batch; zone cuts, NS lookups and forward
    /// names are shared across the whole run.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,

    /// In a batch, never ask for zone transfers. By default the zones that answer a chunk's
    /// first targets are transferred (AXFR over TCP, one per server address, where the server
    /// allows it) and later targets are answered from each address's own copy; an address
    /// that refuses is asked as before.
    #[arg(long)]
    pub no_axfr: bool,

    /// In a batch, ask every target's PTR of every server address. By default a reverse zone
    /// holding enough of the batch's targets (about 700 or more), whose servers all answered
    /// the first targets alike with the same SOA, gets each target asked of one address and a
    /// random sample of targets asked of all; a sample that disagrees turns it off
    /// (docs/findings.md "Batches and zone transfers").
    #[arg(long)]
    pub no_spread: bool,

    /// Allow prefixes of more than 65536 addresses.
    #[arg(long)]
    pub force: bool,

    /// Query servers on this port instead of 53 (for test setups).
    #[arg(long, value_name = "PORT", default_value_t = 53, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,
}

/// Parses `500ms`, `2s`, `1.5s`, `1m` or a plain number of seconds.
///
/// # Errors
/// A one-line message for anything else, less than a millisecond, or more than a day.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("bad duration {s:?}: use e.g. 500ms, 2s, 1.5s or 1m"))?;
    let secs = v * mult;
    if !secs.is_finite() || !(0.001..=86_400.0).contains(&secs) {
        return Err(format!(
            "bad duration {s:?}: must be at least 1ms and at most a day"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses a host name (`mail.example.com`, with or without the final dot).
///
/// # Errors
/// A one-line message when it is not a valid DNS name.
pub fn parse_hostname(s: &str) -> Result<hickory_proto::rr::Name, String> {
    let t = s.trim();
    let fqdn = if t.ends_with('.') {
        t.to_string()
    } else {
        format!("{t}.")
    };
    if t.is_empty() || t.contains(char::is_whitespace) {
        return Err(format!("{s:?} is not a host name"));
    }
    hickory_proto::rr::Name::from_ascii(&fqdn)
        .map(|n| n.to_lowercase())
        .map_err(|e| format!("{s:?} is not a host name: {e}"))
}

/// Like [`parse_duration`], but zero (`0`, `0s`) is allowed: back to back.
///
/// # Errors
/// A one-line message for anything else.
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let t = s.trim().trim_end_matches("ms").trim_end_matches(['s', 'm']);
    if t.parse::<f64>().is_ok_and(|v| v == 0.0) {
        return Ok(Duration::ZERO);
    }
    parse_duration(s)
}

/// Parses a target address.
///
/// # Errors
/// A one-line message naming the bad input.
pub fn parse_target(s: &str) -> Result<IpAddr, String> {
    s.trim().parse::<IpAddr>().map_err(|_| {
        format!("{s:?} is not an IP address (give an IPv4 address like 203.0.113.25 or an IPv6 address like 2001:db8::25)")
    })
}

/// Most addresses `watch` and `check` take: they trace every address at once, each round.
pub const MAX_AT_ONCE: usize = 1024;

/// `watch` and `check` targets: what the trace command takes (addresses, prefixes, `@FILE`,
/// `-`), each address once, at most [`MAX_AT_ONCE`].
///
/// # Errors
/// The first bad entry, or too many addresses, in one line.
pub fn expand_targets(raw: &[String], force: bool, command: &str) -> Result<Vec<IpAddr>, String> {
    let (targets, bad) = ptrtrace_core::targets::parse(raw, force, std::io::stdin().lock());
    if let Some(b) = bad.first() {
        return Err(b.to_string());
    }
    let all: Vec<IpAddr> = targets.iter().take(MAX_AT_ONCE + 1).collect();
    if all.len() > MAX_AT_ONCE {
        return Err(format!(
            "{command} traces every address at once, each round: more than {MAX_AT_ONCE} addresses are too many (trace a batch with `ptrtrace`, or monitor with `ptrtrace serve`)"
        ));
    }
    if all.is_empty() {
        return Err("no address to trace: the files or stdin held none".into());
    }
    Ok(all)
}

impl TraceOpts {
    /// Root hints from `--root-hints`, or the built-in ones.
    ///
    /// # Errors
    /// The hints file's error, or a refusal of the built-in hints when
    /// `PTRTRACE_FORBID_BUILTIN_HINTS` is set (tests and CI set it, so nothing can reach the
    /// real root servers by accident).
    pub fn hints(&self) -> Result<RootHints, String> {
        match &self.root_hints {
            Some(p) => RootHints::from_file(p).map_err(|e| e.to_string()),
            None if std::env::var_os("PTRTRACE_FORBID_BUILTIN_HINTS").is_some() => Err(
                "built-in root hints refused: PTRTRACE_FORBID_BUILTIN_HINTS is set; give --root-hints FILE".into(),
            ),
            None => Ok(RootHints::builtin()),
        }
    }

    /// The trust anchors to check DNSSEC with: None with `--no-dnssec`, the file given with
    /// `--trust-anchor`, else `default` (the IANA root keys, or the lab's own root key).
    ///
    /// # Errors
    /// A one-line message when the trust anchor file cannot be read or parsed.
    pub fn anchors(&self, default: TrustAnchors) -> Result<Option<TrustAnchors>, String> {
        if self.no_dnssec {
            return Ok(None);
        }
        match &self.trust_anchor {
            Some(p) => TrustAnchors::from_file(p)
                .map(Some)
                .map_err(|e| e.to_string()),
            None => Ok(Some(default)),
        }
    }

    /// The validated configuration for these options.
    #[must_use]
    pub fn config(&self, hints: RootHints, map: AddressMap) -> TraceConfig {
        let mut cfg = TraceConfig::new(hints, map);
        cfg.timeout = self.timeout;
        cfg.probes = self.probes;
        cfg.query_budget = self.query_budget;
        cfg.max_ns_per_zone = usize::from(self.max_ns);
        cfg.rounds = self.rounds;
        cfg.interval = self.interval;
        if let Some(rate) = self.rate {
            cfg.rate_per_address = rate;
        }
        cfg.deadline = self.deadline;
        cfg.families = Families {
            v4: !self.ipv6_only,
            v6: !self.ipv4_only,
        };
        cfg.fcrdns = !self.no_fcrdns;
        cfg.axfr = !self.no_axfr;
        cfg.helo.clone_from(&self.helo);
        cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        for bad in [
            "", "0", "-1s", "abc", "5h", "nan", "100000", "1e-9", "0.5ms",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn targets() {
        assert_eq!(
            parse_target("203.0.113.25").unwrap().to_string(),
            "203.0.113.25"
        );
        assert!(parse_target("2001:db8::25").unwrap().is_ipv6());
        let e = parse_target("203.0.113.256").unwrap_err();
        assert!(
            e.starts_with("\"203.0.113.256\" is not an IP address"),
            "{e}"
        );
        assert!(parse_target("mail.example.com").is_err());
    }
}
