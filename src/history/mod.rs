//! The history of every round (docs/monitoring.md "History"): an SQLite file (the bundled
//! library, nothing needed on the host) written by `serve` and `watch --history`, read by
//! `ptrtrace history`.
//!
//! Crash safety: each target's round is one transaction, so a killed process loses at most
//! the round in flight. WAL journal mode: a second process can read while another writes.
//! The schema has a version (`PRAGMA user_version`) and migrations run on open; retention
//! (`keep`) deletes rounds older than it, and their servers and findings with them.

pub mod picture;
mod read;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, params};
use serde::Serialize;

use ptrtrace_core::report::TargetReport;

/// The schema this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// Each migration takes the schema from its index to the next version.
const MIGRATIONS: &[&str] = &[
    // 0 → 1
    "CREATE TABLE rounds (
        id INTEGER PRIMARY KEY,
        target TEXT NOT NULL,
        at REAL NOT NULL,
        verdict TEXT NOT NULL,
        first_try_bad REAL NOT NULL,
        duration_s REAL NOT NULL,
        queries INTEGER NOT NULL
     );
     CREATE INDEX rounds_by_target ON rounds (target, at);
     CREATE TABLE servers (
        round INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        zone TEXT NOT NULL,
        server TEXT NOT NULL,
        address TEXT NOT NULL,
        status TEXT NOT NULL,
        dnssec TEXT,
        sent INTEGER NOT NULL,
        lost INTEGER NOT NULL,
        rtt_ms REAL
     );
     CREATE INDEX servers_by_round ON servers (round);
     CREATE TABLE findings (
        round INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        zone TEXT NOT NULL,
        server TEXT,
        address TEXT,
        message TEXT NOT NULL
     );
     CREATE INDEX findings_by_round ON findings (round);",
];

/// An open history file.
pub struct History {
    db: Connection,
}

/// The default file: `$XDG_DATA_HOME/ptrtrace/history.sqlite`, or under `~/.local/share`.
#[must_use]
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("ptrtrace").join("history.sqlite"))
}

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One server address's state in one round.
#[derive(Debug, Clone, Serialize)]
pub struct ServerRound {
    /// Unix time of the round.
    pub at: f64,
    /// Zone, NS name, address.
    pub zone: String,
    /// NS name.
    pub server: String,
    /// Address.
    pub address: String,
    /// `ok`, `flaky`, `lame`, `unreachable`, …
    pub status: String,
    /// Probes sent and lost.
    pub sent: i64,
    /// Probes lost.
    pub lost: i64,
    /// Median reply time, ms.
    pub rtt_ms: Option<f64>,
}

/// One finding of a stored round.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    /// Finding kind (docs/findings.md).
    pub kind: String,
    /// `info`, `warning`, `error`.
    pub severity: String,
    /// Zone.
    pub zone: String,
    /// NS name, when one is blamed.
    pub server: Option<String>,
    /// Address, when one is blamed.
    pub address: Option<String>,
    /// The finding's message.
    pub message: String,
}

/// One target's round.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// Unix time.
    pub at: f64,
    /// The verdict.
    pub verdict: String,
    /// Findings of the round.
    pub findings: Vec<FindingRow>,
}

impl History {
    /// Opens (creating it and its directory if needed) and migrates the file at `path`.
    ///
    /// # Errors
    /// One line naming the file and the problem (unwritable, not a database, a newer schema).
    pub fn open(path: &Path) -> Result<Self, String> {
        let fail = |e: &dyn std::fmt::Display| format!("history {}: {e}", path.display());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        }
        let db = Connection::open(path).map_err(|e| fail(&e))?;
        db.busy_timeout(Duration::from_secs(5))
            .map_err(|e| fail(&e))?;
        db.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| fail(&e))?;
        db.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| fail(&e))?;
        let version: i64 = db
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| fail(&e))?;
        if version > SCHEMA_VERSION {
            return Err(fail(&format!(
                "schema version {version} is newer than this ptrtrace's {SCHEMA_VERSION}"
            )));
        }
        let mut h = Self { db };
        for (v, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            let tx = h.db.transaction().map_err(|e| fail(&e))?;
            tx.execute_batch(sql).map_err(|e| fail(&e))?;
            tx.pragma_update(
                None,
                "user_version",
                i64::try_from(v + 1).unwrap_or(i64::MAX),
            )
            .map_err(|e| fail(&e))?;
            tx.commit().map_err(|e| fail(&e))?;
        }
        Ok(h)
    }

    /// Stores one target's round in one transaction.
    ///
    /// # Errors
    /// SQLite's error (a full disk, a read-only file) in one line.
    pub fn record(&mut self, r: &TargetReport) -> Result<(), String> {
        let tx = self.db.transaction().map_err(|e| e.to_string())?;
        tx.execute(
            "INSERT INTO rounds (target, at, verdict, first_try_bad, duration_s, queries)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                r.target().to_string(),
                now_s(),
                r.diagnosis.verdict.as_str(),
                // 0 for an `unknown` round: a local failure stopped it, nothing was measured.
                if r.walk.local.is_some() {
                    0.0
                } else {
                    (1.0 - r.diagnosis.odds.first_try.correct).clamp(0.0, 1.0)
                },
                r.walk.elapsed_ms as f64 / 1000.0,
                r.walk.queries_sent,
            ],
        )
        .map_err(|e| e.to_string())?;
        let round = tx.last_insert_rowid();
        for a in r.addresses() {
            let st = a.stats;
            tx.execute(
                "INSERT INTO servers (round, zone, server, address, status, dnssec, sent, lost, rtt_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    round,
                    a.zone.to_string(),
                    a.server.to_string(),
                    a.address.to_string(),
                    a.status.as_str(),
                    a.dnssec.map(|d| d.as_str()),
                    st.map_or(0, |s| i64::try_from(s.sent).unwrap_or(i64::MAX)),
                    st.map_or(0, |s| i64::try_from(s.lost).unwrap_or(i64::MAX)),
                    st.and_then(|s| s.rtt_ms).map(|r| r[1]),
                ],
            )
            .map_err(|e| e.to_string())?;
        }
        for f in &r.diagnosis.findings {
            tx.execute(
                "INSERT INTO findings (round, kind, severity, zone, server, address, message)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    round,
                    f.kind.as_str(),
                    f.severity.as_str(),
                    f.zone.to_string(),
                    f.server.as_ref().map(ToString::to_string),
                    f.address.map(|a| a.to_string()),
                    f.message,
                ],
            )
            .map_err(|e| e.to_string())?;
        }
        tx.commit().map_err(|e| e.to_string())
    }

    /// Deletes rounds older than `keep`, with their servers and findings; returns how many.
    ///
    /// # Errors
    /// SQLite's error in one line.
    pub fn prune(&mut self, keep: Duration) -> Result<usize, String> {
        let before = now_s() - keep.as_secs_f64();
        self.db
            .execute("DELETE FROM rounds WHERE at < ?1", params![before])
            .map_err(|e| e.to_string())
    }

    /// `target`'s rounds since `since` (Unix time), oldest first, with their findings.
    ///
    /// # Errors
    /// SQLite's error in one line.
    pub fn rounds(&self, target: IpAddr, since: f64) -> Result<Vec<Round>, String> {
        let mut q = self
            .db
            .prepare(
                "SELECT id, at, verdict FROM rounds WHERE target = ?1 AND at >= ?2 ORDER BY at, id",
            )
            .map_err(|e| e.to_string())?;
        let mut rounds: Vec<Round> = q
            .query_map(params![target.to_string(), since], |r| {
                Ok(Round {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    verdict: r.get(2)?,
                    findings: Vec::new(),
                })
            })
            .map_err(|e| e.to_string())?
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let mut f = self
            .db
            .prepare("SELECT kind, severity, zone, server, address, message FROM findings WHERE round = ?1")
            .map_err(|e| e.to_string())?;
        for r in &mut rounds {
            r.findings = f
                .query_map(params![r.id], |x| {
                    Ok(FindingRow {
                        kind: x.get(0)?,
                        severity: x.get(1)?,
                        zone: x.get(2)?,
                        server: x.get(3)?,
                        address: x.get(4)?,
                        message: x.get(5)?,
                    })
                })
                .map_err(|e| e.to_string())?
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?;
        }
        Ok(rounds)
    }

    /// Every server address's state in `target`'s rounds since `since`, oldest first.
    ///
    /// # Errors
    /// SQLite's error in one line.
    pub fn servers(&self, target: IpAddr, since: f64) -> Result<Vec<ServerRound>, String> {
        let mut q = self
            .db
            .prepare(
                "SELECT r.at, s.zone, s.server, s.address, s.status, s.sent, s.lost, s.rtt_ms
                 FROM servers s JOIN rounds r ON r.id = s.round
                 WHERE r.target = ?1 AND r.at >= ?2 ORDER BY r.at, r.id, s.zone, s.server, s.address",
            )
            .map_err(|e| e.to_string())?;
        q.query_map(params![target.to_string(), since], |r| {
            Ok(ServerRound {
                at: r.get(0)?,
                zone: r.get(1)?,
                server: r.get(2)?,
                address: r.get(3)?,
                status: r.get(4)?,
                sent: r.get(5)?,
                lost: r.get(6)?,
                rtt_ms: r.get(7)?,
            })
        })
        .map_err(|e| e.to_string())?
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())
    }
}

/// `2026-12-01 19:04:05Z` from Unix seconds (UTC).
#[must_use]
pub fn utc(t: f64) -> String {
    let [y, m, d, h, min, s] = ptrtrace_core::model::clock::civil(t.floor() as i64);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02}Z")
}

/// A change of one server address's status between consecutive rounds of a target.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Unix time of the round that saw it.
    pub at: f64,
    /// Zone.
    pub zone: String,
    /// NS name.
    pub server: String,
    /// Address.
    pub address: String,
    /// Status before (None: first seen).
    pub from: Option<String>,
    /// Status after.
    pub to: String,
}

/// Per server address: its status changes, and how many of its rounds were not `ok`.
#[derive(Debug, Clone, Serialize)]
pub struct ServerHistory {
    /// Zone.
    pub zone: String,
    /// NS name.
    pub server: String,
    /// Address.
    pub address: String,
    /// Rounds it was seen in.
    pub rounds: usize,
    /// Rounds it was not `ok` in.
    pub failing: usize,
    /// Its status changes, first seen included.
    pub changes: Vec<Change>,
}

/// Each server address's story from its rounds.
#[must_use]
pub fn stories(rows: &[ServerRound]) -> Vec<ServerHistory> {
    let mut by: std::collections::BTreeMap<(String, String, String), ServerHistory> =
        std::collections::BTreeMap::new();
    for r in rows {
        let key = (r.zone.clone(), r.server.clone(), r.address.clone());
        let h = by.entry(key).or_insert_with(|| ServerHistory {
            zone: r.zone.clone(),
            server: r.server.clone(),
            address: r.address.clone(),
            rounds: 0,
            failing: 0,
            changes: Vec::new(),
        });
        h.rounds += 1;
        if r.status != "ok" {
            h.failing += 1;
        }
        let last = h.changes.last().map(|c| c.to.clone());
        if last.as_deref() != Some(r.status.as_str()) {
            h.changes.push(Change {
                at: r.at,
                zone: r.zone.clone(),
                server: r.server.clone(),
                address: r.address.clone(),
                from: last,
                to: r.status.clone(),
            });
        }
    }
    by.into_values().collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0.0), "1970-01-01 00:00:00Z");
        assert_eq!(utc(951_782_400.0), "2000-02-29 00:00:00Z");
        assert_eq!(utc(1_796_151_845.0), "2026-12-01 19:04:05Z");
    }

    async fn report(name: &str) -> TargetReport {
        crate::testing::lab_report(name, Duration::from_millis(400)).await
    }

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ptrtrace-history-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join(name);
        let _ = std::fs::remove_file(&p);
        p
    }

    /// Rounds of a healthy target, then of the same target with ns3 silent, then healthy
    /// again: ns3's story has the two changes and the failing round, with its findings; a
    /// second connection reads while the first is open (WAL); pruning empties it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rounds_are_stored_and_told_per_server() {
        let (ok, silent) = (report("healthy").await, report("silent").await);
        let path = temp("h.sqlite");
        let mut h = History::open(&path).unwrap();
        for r in [&ok, &silent, &ok] {
            h.record(r).unwrap();
        }
        let mode: String =
            h.db.pragma_query_value(None, "journal_mode", |r| r.get(0))
                .unwrap();
        assert_eq!(mode, "wal");
        let reader = History::open(&path).unwrap();
        let target: IpAddr = "203.0.113.25".parse().unwrap();
        let rounds = reader.rounds(target, 0.0).unwrap();
        let verdicts: Vec<&str> = rounds.iter().map(|r| r.verdict.as_str()).collect();
        assert_eq!(verdicts, ["ok", "degraded", "ok"]);
        assert!(
            rounds[1]
                .findings
                .iter()
                .any(|f| f.kind == "unreachable" && f.address.as_deref() == Some("198.51.100.55"))
        );
        let stories = stories(&reader.servers(target, 0.0).unwrap());
        let ns3 = stories
            .iter()
            .find(|s| s.address == "198.51.100.55" && s.zone == "113.0.203.in-addr.arpa.")
            .unwrap();
        assert_eq!((ns3.rounds, ns3.failing), (3, 1));
        let steps: Vec<(Option<&str>, &str)> = ns3
            .changes
            .iter()
            .map(|c| (c.from.as_deref(), c.to.as_str()))
            .collect();
        assert_eq!(
            steps,
            [
                (None, "ok"),
                (Some("ok"), "unreachable"),
                (Some("unreachable"), "ok")
            ]
        );
        let svg = picture::svg("test", &reader.servers(target, 0.0).unwrap());
        assert!(svg.starts_with("<svg") && svg.contains("class=\"change\""));
        assert_eq!(h.prune(Duration::from_secs(0)).unwrap(), 3);
        assert!(reader.rounds(target, 0.0).unwrap().is_empty());
        assert!(reader.servers(target, 0.0).unwrap().is_empty());
    }

    /// Migrations run once; a file from a newer ptrtrace is refused; a full disk (SQLite's
    /// page limit, lowered) is a one-line error and the round is not half written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn schema_versions_and_a_full_disk() {
        let path = temp("v.sqlite");
        drop(History::open(&path).unwrap());
        let h = History::open(&path).unwrap();
        let v: i64 =
            h.db.pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        h.db.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(h);
        let e = History::open(&path).err().unwrap();
        assert!(e.contains("newer than this ptrtrace's"), "{e}");

        let path = temp("full.sqlite");
        let mut h = History::open(&path).unwrap();
        let r = report("healthy").await;
        let pages: i64 =
            h.db.pragma_query_value(None, "page_count", |r| r.get(0))
                .unwrap();
        h.db.pragma_update(None, "max_page_count", pages + 1)
            .unwrap();
        let mut err = None;
        for _ in 0..50 {
            if let Err(e) = h.record(&r) {
                err = Some(e);
                break;
            }
        }
        let e = err.expect("the page limit was never reached");
        assert!(e.contains("full"), "{e}");
        assert_eq!(e.lines().count(), 1);
        // Every stored round is whole: as many server rows per round.
        let counts: Vec<i64> = {
            let mut q =
                h.db.prepare("SELECT COUNT(*) FROM servers GROUP BY round")
                    .unwrap();
            q.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert!(counts.windows(2).all(|w| w[0] == w[1]), "{counts:?}");
    }
}
