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

/// Stops the traces at once, without marking the run interrupted (the reader of stdout is
/// gone: nothing more can be shown).
pub type StopNow = std::sync::Arc<tokio::sync::watch::Sender<bool>>;

/// A stop signal that turns true on Ctrl-C (and marks the run interrupted) or when the
/// returned sender says so, and the task that waits for Ctrl-C and for stdout's reader to go
/// away (`| head`); abort the task when the work is done.
pub fn stop_on_ctrl_c() -> (
    tokio::sync::watch::Receiver<bool>,
    tokio::task::JoinHandle<()>,
    StopNow,
) {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stop_tx = std::sync::Arc::new(stop_tx);
    let tx = std::sync::Arc::clone(&stop_tx);
    let watcher = tokio::spawn(async move {
        tokio::select! {
            r = tokio::signal::ctrl_c() => {
                if r.is_ok() {
                    INTERRUPTED.store(true, Ordering::SeqCst);
                    let _ = tx.send(true);
                }
            }
            () = crate::output::stdout_closed() => {
                let _ = tx.send(true);
            }
        }
    });
    (stop_rx, watcher, stop_tx)
}

/// This process's soft limit on open files, read once from /proc/self/limits (Linux) at the
/// first call ([`runtime_room`], at start: out of descriptors, it could not be read later).
pub fn open_files_limit() -> Option<u64> {
    static LIMIT: std::sync::LazyLock<Option<u64>> = std::sync::LazyLock::new(|| {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        line.split_whitespace().nth(3)?.parse().ok()
    });
    *LIMIT
}

/// "too many open files (limit 12)": a local failure in a person's words, with the limit
/// that caused it when it is the open-file limit.
pub fn local_words(kind: ptrtrace_core::model::LocalKind) -> String {
    use ptrtrace_core::model::LocalKind;
    match (kind, open_files_limit()) {
        (LocalKind::TooManyOpenFiles, Some(n)) => format!("{} (limit {n})", kind.words()),
        _ => kind.words().to_string(),
    }
}

/// Exit 3: this host failed (too many open files) while tracing `failed` of `total` targets;
/// their reports say `unknown`, and nothing about them is a verdict.
pub fn local_failure(
    kind: ptrtrace_core::model::LocalKind,
    failed: usize,
    total: usize,
) -> Failure {
    let what = if total == 1 {
        String::new()
    } else {
        format!(": {failed} of {total} targets are unknown")
    };
    let fix = match kind {
        ptrtrace_core::model::LocalKind::TooManyOpenFiles => {
            "raise the limit (ulimit -n) or lower --concurrency"
        }
        _ => "fix this host, or lower --concurrency",
    };
    Failure::cannot_run(format!(
        "could not run: {}{what}; nothing is known about the servers — {fix}",
        local_words(kind)
    ))
}

/// Descriptors the async runtime takes when it starts (epoll, its waker, the signal pipe and
/// its clone), with room to spare: fewer than this and tokio panics while starting.
const RUNTIME_DESCRIPTORS: usize = 4;

/// Checks that the runtime can start: tokio panics when it cannot open its signal pipe, so a
/// process nearly out of descriptors exits 3 with one line here instead.
pub fn runtime_room() -> Result<(), Failure> {
    let _ = open_files_limit();
    let mut held = Vec::with_capacity(RUNTIME_DESCRIPTORS);
    for _ in 0..RUNTIME_DESCRIPTORS {
        match std::os::unix::net::UnixStream::pair() {
            Ok(pair) => held.push(pair),
            Err(e) => {
                let words = ptrtrace_core::model::LocalKind::of(&e)
                    .map_or_else(|| e.to_string(), local_words);
                return Err(Failure::cannot_run(format!("could not run: {words}")));
            }
        }
    }
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT): how a long-running command (`serve`, `lab serve`)
/// is told to stop cleanly. The handlers are installed when this is called, not when the
/// future is first polled: a signal right after the command says it is ready is caught.
pub fn stop_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    async move {
        let wait = |s: Option<tokio::signal::unix::Signal>| async move {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = wait(term.take()) => {}
            () = wait(int.take()) => {}
        }
    }
}

/// How a person runs this very binary again: `ptrtrace` when that name on PATH is this
/// executable, else its path (after `cargo run`, `target/release/ptrtrace`).
pub fn this_command() -> String {
    let Ok(me) = std::env::current_exe().and_then(std::fs::canonicalize) else {
        return "ptrtrace".to_string();
    };
    let on_path = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("ptrtrace"))
            .any(|p| std::fs::canonicalize(p).is_ok_and(|p| p == me))
    });
    if on_path {
        "ptrtrace".to_string()
    } else {
        me.display().to_string()
    }
}
