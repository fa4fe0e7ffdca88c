//! Reading a history file without writing to it: `ptrtrace history` (and `--list`) opens it
//! read-only, so a reader needs no write access to the file, its WAL or its directory.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, params};

use super::{History, SCHEMA_VERSION};

/// One address of the file: its first and last round (Unix time) and how many it has.
#[derive(Debug, Clone)]
pub struct TargetSpan {
    /// The address, as written.
    pub target: String,
    /// Its first round.
    pub first: f64,
    /// Its last round.
    pub last: f64,
    /// Its rounds.
    pub rounds: i64,
}

impl History {
    /// Opens the file at `path` to read only (no migration, no write to the file, its WAL or
    /// its directory).
    ///
    /// # Errors
    /// One line naming the file and the problem (unreadable, not a database, another schema).
    pub fn open_read(path: &Path) -> Result<Self, String> {
        use rusqlite::OpenFlags;
        let fail = |e: &dyn std::fmt::Display| format!("history {}: {e}", path.display());
        let db = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| fail(&e))?;
        db.busy_timeout(Duration::from_secs(5))
            .map_err(|e| fail(&e))?;
        let version: i64 = db
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| fail(&e))?;
        if version != SCHEMA_VERSION {
            return Err(fail(&format!(
                "schema version {version}, this ptrtrace reads {SCHEMA_VERSION} (serve or watch --history with this version migrates it)"
            )));
        }
        Ok(Self { db })
    }

    /// True when the file holds a round of `target` (one look-up in the target index).
    ///
    /// # Errors
    /// SQLite's error in one line.
    pub fn holds(&self, target: IpAddr) -> Result<bool, String> {
        self.db
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM rounds WHERE target = ?1)",
                params![target.to_string()],
                |r| r.get(0),
            )
            .map_err(|e| e.to_string())
    }

    /// Every address the file holds: its first and last round and how many.
    ///
    /// # Errors
    /// SQLite's error in one line.
    pub fn targets(&self) -> Result<Vec<TargetSpan>, String> {
        let mut st = self
            .db
            .prepare(
                "SELECT target, MIN(at), MAX(at), COUNT(*) FROM rounds GROUP BY target ORDER BY MIN(at), target",
            )
            .map_err(|e| e.to_string())?;
        let rows = st
            .query_map([], |r| {
                Ok(TargetSpan {
                    target: r.get(0)?,
                    first: r.get(1)?,
                    last: r.get(2)?,
                    rounds: r.get(3)?,
                })
            })
            .map_err(|e| e.to_string())?;
        rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
    }
}
