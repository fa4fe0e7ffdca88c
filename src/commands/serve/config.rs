//! The `serve` configuration file (TOML, docs/monitoring.md): where to listen, what to
//! trace and how often, and the trace options. A key of `[trace]` is a trace option's long
//! name (`probes = 3` is `--probes 3`, `no_dnssec = true` is `--no-dnssec`): it goes through
//! the same parser as the command line, so both accept and refuse the same values.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;

use crate::cli::{TraceOpts, parse_duration};

/// Most addresses one configuration may name (every target is traced every interval).
pub const MAX_TARGETS: usize = 65_536;

/// The shortest interval a target may have (a full trace with every server takes seconds).
pub const MIN_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    listen: Option<String>,
    interval: Option<String>,
    trace: Option<toml::Table>,
    probe: Option<RawProbe>,
    history: Option<std::path::PathBuf>,
    keep: Option<String>,
    #[serde(default)]
    targets: Vec<RawTargets>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    addresses: Vec<String>,
    interval: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    concurrency: Option<usize>,
    per_client_interval: Option<String>,
}

/// Trace options only, for parsing `[trace]` as the command line would.
#[derive(Debug, Parser)]
#[command(name = "[trace]", no_binary_name = true, disable_help_flag = true)]
struct OptsOnly {
    #[command(flatten)]
    opts: TraceOpts,
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where the HTTP endpoint listens.
    pub listen: SocketAddr,
    /// Every address traced, with its interval, in file order, each once.
    pub targets: Vec<(IpAddr, Duration)>,
    /// The trace options.
    pub opts: TraceOpts,
    /// `/probe`: traces at once, at most.
    pub probe_concurrency: usize,
    /// `/probe`: one trace per client address per this long.
    pub probe_interval: Duration,
    /// Store every round here (SQLite), keeping this long.
    pub history: Option<(std::path::PathBuf, Duration)>,
}

/// The default listening address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9153";

impl ServeConfig {
    /// Reads and validates the file at `path`.
    ///
    /// # Errors
    /// One line naming the file and the problem.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = ptrtrace_core::bounded::read_file(path, ptrtrace_core::bounded::MAX_FILE_BYTES)
            .map_err(|e| format!("cannot read configuration {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("configuration {}: {e}", path.display()))
    }

    /// Validates configuration text.
    ///
    /// # Errors
    /// One line naming the problem.
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw: Raw = toml::from_str(text).map_err(|e| {
            // toml's message spans several lines (a quote of the line and a caret).
            let m = e.message().to_string();
            match e.span() {
                Some(s) => format!(
                    "{m} (at line {})",
                    text[..s.start].matches('\n').count() + 1
                ),
                None => m,
            }
        })?;
        let listen: SocketAddr = raw
            .listen
            .as_deref()
            .unwrap_or(DEFAULT_LISTEN)
            .parse()
            .map_err(|_| "listen: not an address and port (e.g. 127.0.0.1:9153)".to_string())?;
        let interval = |s: Option<&str>, default: Duration| -> Result<Duration, String> {
            let d = s.map(parse_duration).transpose()?.unwrap_or(default);
            if d < MIN_INTERVAL {
                return Err(format!("interval {d:?} is shorter than {MIN_INTERVAL:?}"));
            }
            Ok(d)
        };
        let default_interval = interval(raw.interval.as_deref(), Duration::from_secs(300))?;
        let opts = trace_opts(raw.trace.unwrap_or_default())?;
        if raw.targets.is_empty() {
            return Err("no [[targets]]: name at least one address to trace".into());
        }
        let mut targets: Vec<(IpAddr, Duration)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, t) in raw.targets.iter().enumerate() {
            let every = interval(t.interval.as_deref(), default_interval)
                .map_err(|e| format!("[[targets]] {}: {e}", i + 1))?;
            // No prefix is refused for its size here (and `force` is no option of serve's):
            // the whole configuration's bound below says what is too many.
            let (parsed, bad) = ptrtrace_core::targets::parse(&t.addresses, true, std::io::empty());
            if let Some(b) = bad.first() {
                return Err(format!("[[targets]] {}: {b}", i + 1));
            }
            for ip in parsed.iter() {
                if seen.insert(ip) {
                    targets.push((ip, every));
                }
                if targets.len() > MAX_TARGETS {
                    return Err(format!(
                        "[[targets]] {}: more than {MAX_TARGETS} addresses in all, the most one serve traces: split them over several configurations",
                        i + 1
                    ));
                }
            }
        }
        if targets.is_empty() {
            return Err("the [[targets]] name no address".into());
        }
        let probe = raw.probe.unwrap_or(RawProbe {
            concurrency: None,
            per_client_interval: None,
        });
        let probe_interval = probe
            .per_client_interval
            .as_deref()
            .map(parse_duration)
            .transpose()
            .map_err(|e| format!("[probe] per_client_interval: {e}"))?
            .unwrap_or(Duration::from_secs(10));
        let probe_concurrency = probe.concurrency.unwrap_or(4);
        if !(1..=64).contains(&probe_concurrency) {
            return Err("[probe] concurrency must be 1 to 64".into());
        }
        let keep = raw
            .keep
            .as_deref()
            .map(crate::cli::parse_age)
            .transpose()
            .map_err(|e| format!("keep: {e}"))?
            .unwrap_or(Duration::from_secs(90 * 86_400));
        Ok(Self {
            listen,
            targets,
            opts,
            probe_concurrency,
            probe_interval,
            history: raw.history.map(|p| (p, keep)),
        })
    }
}

/// `[trace]` as command-line options, through the command line's own parser.
fn trace_opts(table: toml::Table) -> Result<TraceOpts, String> {
    let mut args: Vec<String> = Vec::new();
    for (key, value) in table {
        if matches!(
            key.as_str(),
            "format"
                | "output"
                | "evidence"
                | "tree"
                | "concurrency"
                | "force"
                | "rounds"
                | "interval"
        ) {
            return Err(format!(
                "[trace] {key}: not a trace option here (serve has its own output and schedule)"
            ));
        }
        let flag = format!("--{}", key.replace('_', "-"));
        match value {
            toml::Value::Boolean(true) => args.push(flag),
            toml::Value::Boolean(false) => {}
            toml::Value::String(s) => args.extend([flag, s]),
            toml::Value::Integer(n) => args.extend([flag, n.to_string()]),
            toml::Value::Float(f) => args.extend([flag, f.to_string()]),
            _ => return Err(format!("[trace] {key}: give a string, a number or true")),
        }
    }
    OptsOnly::try_parse_from(&args)
        .map(|o| o.opts)
        .map_err(|e| {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("bad option").trim();
            format!("[trace] {}", first.strip_prefix("error: ").unwrap_or(first))
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_small_configuration() {
        let c = ServeConfig::parse(
            r#"
interval = "1m"
[trace]
root_hints = "/tmp/lab.hints"
probes = 2
no_dnssec = true
[[targets]]
addresses = ["203.0.113.25", "198.51.100.0/31", "203.0.113.25"]
[[targets]]
addresses = ["2001:db8::25"]
interval = "30s"
"#,
        )
        .unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        let ips: Vec<String> = c.targets.iter().map(|(ip, _)| ip.to_string()).collect();
        assert_eq!(
            ips,
            [
                "203.0.113.25",
                "198.51.100.0",
                "198.51.100.1",
                "2001:db8::25"
            ]
        );
        assert_eq!(c.targets[0].1, Duration::from_secs(60));
        assert_eq!(c.targets[3].1, Duration::from_secs(30));
        assert_eq!(c.opts.probes, 2);
        assert!(c.opts.no_dnssec);
    }

    /// The example the Debian package installs as /etc/ptrtrace/serve.toml is valid, and
    /// keeps its history in the unit's StateDirectory.
    #[test]
    fn the_packaged_example_is_valid() {
        let c = ServeConfig::parse(include_str!("../../../packaging/serve.toml")).unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        let (history, _) = c.history.unwrap();
        assert!(history.starts_with("/var/lib/ptrtrace"));
    }

    #[test]
    fn bad_configurations_say_what_is_wrong_in_one_line() {
        for (text, needle) in [
            (
                "[[targets]]\naddresses = [\"203.0.113.x\"]\n",
                "203.0.113.x",
            ),
            ("[[targets]]\naddresses = []\n", "name no address"),
            ("", "no [[targets]]"),
            (
                "listen = \"nowhere\"\n[[targets]]\naddresses = [\"192.0.2.1\"]\n",
                "listen",
            ),
            (
                "interval = \"1s\"\n[[targets]]\naddresses = [\"192.0.2.1\"]\n",
                "shorter than",
            ),
            (
                "[trace]\nprobes = 99\n[[targets]]\naddresses = [\"192.0.2.1\"]\n",
                "[trace]",
            ),
            (
                "[trace]\nbogus = 1\n[[targets]]\naddresses = [\"192.0.2.1\"]\n",
                "--bogus",
            ),
            (
                "[trace]\nformat = \"json\"\n[[targets]]\naddresses = [\"192.0.2.1\"]\n",
                "not a trace option",
            ),
            ("targets = 3\n", "at line 1"),
            (
                "[[targets]]\naddresses = [\"10.0.0.0/15\"]\n",
                "more than 65536 addresses in all, the most one serve traces",
            ),
            (
                "[trace]\nforce = true\n[[targets]]\naddresses = [\"192.0.2.1\"]\n",
                "not a trace option here",
            ),
            ("colour = \"red\"\n", "colour"),
        ] {
            let e = ServeConfig::parse(text).unwrap_err();
            assert!(e.contains(needle), "{text:?}: {e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }
}
