//! Exit codes (README "Exit codes"), chosen in one place: every command returns
//! `Result<Exit, Failure>`, and `main` prints a failure's one line and exits with its code.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything checked is healthy (0).
    Ok,
    /// Findings: something is degraded or broken, or `diff`/`watch` saw changes (1).
    Findings,
    /// Bad input: arguments, addresses, files (2).
    BadInput,
    /// The run could not happen: no root server answered, an unwritable output (3).
    CannotRun,
    /// Ctrl-C: what was printed is partial (130 = 128 + SIGINT, as shells report it).
    Interrupted,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(match e {
            Exit::Ok => 0,
            Exit::Findings => 1,
            Exit::BadInput => 2,
            Exit::CannotRun => 3,
            Exit::Interrupted => 130,
        })
    }
}

impl Exit {
    /// `Findings` when `changed`, else `Ok`.
    pub fn findings_if(changed: bool) -> Self {
        if changed { Self::Findings } else { Self::Ok }
    }
}

/// A run that ends with a one-line message on stderr (`ptrtrace: …`) and an exit code.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// The line, without the `ptrtrace: ` prefix; empty when it was already said.
    pub message: String,
}

impl Failure {
    /// Exit 2 with `message`.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::BadInput,
            message: message.into(),
        }
    }

    /// Exit 3 with `message`.
    pub fn cannot_run(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::CannotRun,
            message: message.into(),
        }
    }

    /// `exit` with `message`.
    pub fn with(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }

    /// `exit` with nothing more to say (the lines were printed already).
    pub fn quiet(exit: Exit) -> Self {
        Self {
            exit,
            message: String::new(),
        }
    }

    /// Exit 130: Ctrl-C stopped the run and the report above is partial.
    pub fn interrupted() -> Self {
        Self::with(
            Exit::Interrupted,
            "interrupted: the report above is partial",
        )
    }
}

/// What a command returns.
pub type Outcome = Result<Exit, Failure>;

/// Set when Ctrl-C stopped the traces: reports are partial and the exit code is 130.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// True once Ctrl-C stopped the traces.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// A stop signal that turns true on Ctrl-C (and marks the run interrupted), and the task
/// that waits for it; abort the task when the work is done.
pub fn stop_on_ctrl_c() -> (
    tokio::sync::watch::Receiver<bool>,
    tokio::task::JoinHandle<()>,
) {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            INTERRUPTED.store(true, Ordering::SeqCst);
            let _ = stop_tx.send(true);
        }
    });
    (stop_rx, watcher)
}
