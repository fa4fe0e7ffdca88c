//! `ptrtrace history ADDR`: what the history file (written by `serve` and `watch --history`)
//! says of one target: when each server address started and stopped failing, how often, with
//! the findings of the rounds that changed; as text, JSON, or an SVG picture.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::cli::HistoryFormat;
use crate::exit::{Exit, Failure, Outcome};
use crate::history::{self, History, Round, ServerHistory, utc};
use crate::output::Out;

/// The history file of `--db` (or the default one), opened to read only: reading needs no
/// write access to the file, its WAL or its directory.
fn open(db: Option<&Path>) -> Result<(History, std::path::PathBuf), Failure> {
    let path = match db {
        Some(p) => p.to_path_buf(),
        None => history::default_path().ok_or_else(|| {
            Failure::bad_input("no home directory for the default history file: give --db FILE")
        })?,
    };
    if !path.is_file() {
        return Err(Failure::bad_input(format!(
            "no history file at {} (serve with `history = …` or watch --history write one)",
            path.display()
        )));
    }
    let h = History::open_read(&path).map_err(Failure::cannot_run)?;
    Ok((h, path))
}

/// `history --list`: every address the file holds, with its first and last round.
pub fn list(db: Option<&Path>, output: Option<&Path>) -> Outcome {
    let (h, path) = open(db)?;
    let all = h.targets().map_err(Failure::cannot_run)?;
    let mut text = format!("{}: {} addresses\n", path.display(), all.len());
    for t in &all {
        let _ = writeln!(
            text,
            "{:<39}  {:>6} round{}  {} to {}",
            t.target,
            t.rounds,
            if t.rounds == 1 { " " } else { "s" },
            utc(t.first),
            utc(t.last)
        );
    }
    Out::open(output)?.write(&text)?;
    Ok(Exit::Ok)
}

/// `history ADDRESS`.
pub fn run(
    target: IpAddr,
    db: Option<&Path>,
    since: Duration,
    format: HistoryFormat,
    output: Option<&Path>,
) -> Outcome {
    let (h, path) = open(db)?;
    // An address the file never saw is a mistake to name (not "0 rounds").
    if !h.holds(target).map_err(Failure::cannot_run)? {
        return Err(Failure::bad_input(format!(
            "{target} is not in the history file {} (ptrtrace history --list names the addresses it holds)",
            path.display()
        )));
    }
    let from = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
        - since.as_secs_f64();
    let rounds = h.rounds(target, from).map_err(Failure::cannot_run)?;
    let rows = h.servers(target, from).map_err(Failure::cannot_run)?;
    let servers = history::stories(&rows);
    let text = match format {
        HistoryFormat::Text => text(target, from, &rounds, &servers),
        HistoryFormat::Json => {
            let doc = Doc {
                schema_version: 1,
                target,
                since: from,
                rounds: &rounds,
                servers: &servers,
            };
            let mut s = serde_json::to_string_pretty(&doc)
                .map_err(|e| Failure::cannot_run(format!("cannot render: {e}")))?;
            s.push('\n');
            s
        }
        HistoryFormat::Svg => {
            let span = match (rounds.first(), rounds.last()) {
                (Some(a), Some(b)) => {
                    format!(": {} rounds, {} to {}", rounds.len(), utc(a.at), utc(b.at))
                }
                _ => String::new(),
            };
            history::picture::svg(&format!("ptrtrace history of {target}{span}"), &rows)
        }
    };
    let mut out = Out::open(output)?;
    out.write(&text)?;
    Ok(Exit::Ok)
}

#[derive(Serialize)]
struct Doc<'a> {
    schema_version: u32,
    target: IpAddr,
    since: f64,
    rounds: &'a [Round],
    servers: &'a [ServerHistory],
}

fn text(target: IpAddr, from: f64, rounds: &[Round], servers: &[ServerHistory]) -> String {
    let mut out = String::new();
    let n = rounds.len();
    // The rounds' own dates; the window only when there is none in it.
    let _ = match (rounds.first(), rounds.last()) {
        (Some(a), Some(b)) => writeln!(
            out,
            "{target}: {n} round{} from {} to {}",
            if n == 1 { "" } else { "s" },
            utc(a.at),
            utc(b.at)
        ),
        _ => writeln!(out, "{target}: no round since {}", utc(from)),
    };
    if rounds.is_empty() {
        return out;
    }
    // Summary first: the verdict's changes.
    let mut last: Option<&str> = None;
    for r in rounds {
        if last != Some(r.verdict.as_str()) {
            let _ = writeln!(
                out,
                "  {}  verdict {}{}",
                utc(r.at),
                last.map_or(String::new(), |l| format!("{l} → ")),
                r.verdict
            );
            last = Some(&r.verdict);
        }
    }
    let failing: Vec<&ServerHistory> = servers.iter().filter(|s| s.failing > 0).collect();
    let _ = writeln!(
        out,
        "\n{} server addresses seen, {} failed in some round:",
        servers.len(),
        failing.len()
    );
    for s in failing {
        let _ = writeln!(
            out,
            "  {} ({}) in {}: not ok in {} of {} round{}",
            s.server,
            s.address,
            s.zone,
            s.failing,
            s.rounds,
            if s.rounds == 1 { "" } else { "s" }
        );
        for c in &s.changes {
            let from = c.from.as_deref().unwrap_or("first seen");
            let _ = writeln!(out, "    {}  {from} → {}", utc(c.at), c.to);
            // The evidence of the change: the round's findings about this address.
            if let Some(r) = rounds.iter().find(|r| (r.at - c.at).abs() < 1e-6) {
                for f in r
                    .findings
                    .iter()
                    .filter(|f| f.address.as_deref() == Some(&s.address))
                {
                    let _ = writeln!(out, "      {} {}: {}", f.severity, f.kind, f.message);
                }
            }
        }
    }
    out
}
