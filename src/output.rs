//! Output for every command: where reports go (`-o FILE` or stdout, a closed pipe ending
//! quietly), one renderer of targets in each format (text, dot, json, jsonl) used by
//! `trace` and `lab run` alike, and the progress shown on a terminal's stderr.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use ptrtrace_core::report::{TargetReport, dot, json, text};
use ptrtrace_core::trace::Event;

use crate::cli::{EvidenceArg, Format, OutputOpts};
use crate::exit::Failure;

/// Where reports go: `-o FILE` or stdout, written as each piece is ready. A closed pipe
/// (`| head`) silences the rest quietly; any other write error is exit 3, and a file it cut
/// short is removed.
pub struct Out {
    sink: Box<dyn Write>,
    closed: bool,
    file: Option<std::path::PathBuf>,
}

impl Out {
    /// Opens `-o FILE` (exit 2 when it cannot be created) or stdout.
    pub fn open(output: Option<&std::path::Path>) -> Result<Self, Failure> {
        let sink: Box<dyn Write> = match output {
            Some(path) => Box::new(std::fs::File::create(path).map_err(|e| {
                Failure::bad_input(format!("cannot write output file {}: {e}", path.display()))
            })?),
            None => Box::new(std::io::stdout()),
        };
        Ok(Self {
            sink,
            closed: false,
            file: output.map(std::path::Path::to_path_buf),
        })
    }

    /// True once a write met a closed pipe: nothing more will be shown.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Writes and flushes `text` (exit 3 when the disk or device refuses it).
    pub fn write(&mut self, text: &str) -> Result<(), Failure> {
        if self.closed {
            return Ok(());
        }
        match self
            .sink
            .write_all(text.as_bytes())
            .and_then(|()| self.sink.flush())
        {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe && self.file.is_none() => {
                self.closed = true;
                Ok(())
            }
            Err(e) => {
                self.closed = true;
                Err(match &self.file {
                    Some(path) => {
                        self.sink = Box::new(std::io::sink());
                        // Only a regular file is removed (never `-o /dev/full`).
                        let regular = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file());
                        let what = match (regular, regular && std::fs::remove_file(path).is_ok()) {
                            (true, true) => " (the partial file was removed)",
                            (true, false) => " (the file is partial)",
                            _ => "",
                        };
                        Failure::cannot_run(format!(
                            "cannot write output file {}: {e}{what}",
                            path.display()
                        ))
                    }
                    None => Failure::cannot_run(format!("cannot write to standard output: {e}")),
                })
            }
            Ok(()) => Ok(()),
        }
    }
}

/// Resolves when stdout is a pipe or socket whose reader has gone away (`ptrtrace … | head -1`
/// after its line), without writing; never otherwise (a file, a terminal, or where the
/// descriptor cannot be watched). Lets a run end at once rather than at its next write.
pub async fn stdout_closed() {
    use std::os::fd::AsFd;
    use tokio::io::Interest;
    use tokio::io::unix::AsyncFd;
    // A duplicate of stdout, owned here for as long as it is watched: the I/O-safety concern
    // behind the deprecation of the safe constructor (a descriptor closed while registered)
    // cannot arise. Registering does not change the descriptor's blocking mode.
    let watched = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .and_then(|fd| {
            #[allow(deprecated)]
            AsyncFd::with_interest(fd, Interest::ERROR)
        });
    match watched {
        Ok(fd) => {
            let _ = fd.ready(Interest::ERROR).await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}

/// Writes one line to stdout now (watch and `lab serve` output is read as it comes): true
/// when written, false on a closed pipe (`| head`: a quiet end), exit 3 for any other error
/// (a full disk, a closed descriptor).
pub fn say(line: &str) -> Result<bool, Failure> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}").and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Failure::cannot_run(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// Colour on a terminal without `-o` and without `NO_COLOR`.
pub fn text_style(opts: &OutputOpts) -> text::Style {
    text::Style {
        color: opts.output.is_none()
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none(),
    }
}

/// A lab scenario a target belongs to: its name and one-line summary.
pub type ScenarioLabel = (&'static str, &'static str);

/// Renders targets one by one in the chosen format; JSON, being one document, is kept
/// until [`Renderer::finish`].
pub struct Renderer {
    format: Format,
    evidence: json::Evidence,
    style: text::Style,
    source: String,
    kept: Vec<(TargetReport, Option<ScenarioLabel>)>,
    count: usize,
    /// Slim JSONL: the zones whose record was written (per lab scenario: each has its lab).
    written: std::collections::HashSet<hickory_proto::rr::Name>,
    written_for: Option<&'static str>,
    /// Text for a batch: a line per target, then each problem once (report/table.rs).
    table: Option<ptrtrace_core::report::table::Table>,
    /// DOT for a batch: one digraph of every target, at the end.
    dot_many: bool,
}

impl Renderer {
    /// A renderer of `opts.format`; `source` names the root hints in JSON (`lab` in the
    /// lab). `--evidence` is refused with any format but jsonl.
    pub fn new(opts: &OutputOpts, source: &str) -> Result<Self, Failure> {
        let evidence = match (opts.format, opts.evidence) {
            (Format::Jsonl, Some(EvidenceArg::Full)) => json::Evidence::Full,
            (Format::Jsonl, _) | (_, None) => json::Evidence::Slim,
            (_, Some(_)) => {
                return Err(Failure::bad_input(
                    "--evidence applies to -f jsonl (-f json always carries the full evidence)",
                ));
            }
        };
        Ok(Self {
            format: opts.format,
            evidence,
            style: text_style(opts),
            source: source.to_string(),
            kept: Vec::new(),
            count: 0,
            written: std::collections::HashSet::new(),
            written_for: None,
            table: None,
            dot_many: false,
        })
    }

    /// Several targets: text becomes a table whose addresses take `width` columns (unless
    /// `--tree`), and DOT one digraph of them all. True when text became a table.
    pub fn batch(&mut self, opts: &OutputOpts, width: usize) -> bool {
        if self.format == Format::Text && !opts.tree {
            self.table = Some(ptrtrace_core::report::table::Table::new(width, self.style));
        }
        self.dot_many = self.format == Format::Dot;
        self.table.is_some()
    }

    /// The text of one target, ready to write (empty for JSON, which comes at the end).
    pub fn target(
        &mut self,
        r: TargetReport,
        scenario: Option<ScenarioLabel>,
    ) -> Result<String, Failure> {
        let first = self.count == 0;
        self.count += 1;
        if let Some(t) = &mut self.table {
            return Ok(t.line(&r));
        }
        Ok(match self.format {
            Format::Text => {
                let sep = if first { "" } else { "\n" };
                let head = scenario.map_or_else(String::new, |(name, summary)| {
                    format!("━━ lab scenario {name}: {summary}\n\n")
                });
                format!("{sep}{head}{}", text::render(&r, self.style))
            }
            Format::Dot if self.dot_many => {
                self.kept.push((r, scenario));
                String::new()
            }
            Format::Dot => {
                let head = scenario
                    .map_or_else(String::new, |(name, _)| format!("// lab scenario {name}\n"));
                format!("{head}{}", dot::render(&r))
            }
            Format::Jsonl if self.evidence == json::Evidence::Full => {
                let view = view(&r, scenario);
                json::render_view_line(view, &self.source)
                    .map(|l| l + "\n")
                    .map_err(|e| Failure::cannot_run(format!("cannot render JSON: {e}")))?
            }
            Format::Jsonl => {
                let name = scenario.map(|(name, _)| name);
                if name != self.written_for {
                    self.written.clear();
                    self.written_for = name;
                }
                json::render_slim(&r, name, &self.source, &mut self.written)
                    .map_err(|e| Failure::cannot_run(format!("cannot render JSON: {e}")))?
            }
            Format::Json => {
                self.kept.push((r, scenario));
                String::new()
            }
        })
    }

    /// What ends the output: the JSON document, or nothing.
    pub fn finish(&mut self) -> Result<String, Failure> {
        if let Some(t) = &self.table {
            return Ok(t.finish());
        }
        if self.dot_many {
            let all: Vec<&TargetReport> = self.kept.iter().map(|(r, _)| r).collect();
            return Ok(dot::render_many(&all));
        }
        if self.format != Format::Json {
            return Ok(String::new());
        }
        let views = self.kept.iter().map(|(r, s)| view(r, *s)).collect();
        json::render_views(views, &self.source)
            .map(|s| s + "\n")
            .map_err(|e| Failure::cannot_run(format!("cannot render JSON: {e}")))
    }
}

fn view(r: &TargetReport, scenario: Option<ScenarioLabel>) -> json::TargetJson<'_> {
    let v = json::TargetJson::new(r);
    match scenario {
        Some((name, _)) => v.in_scenario(name),
        None => v,
    }
}

/// A spinner with the running trace's counts, only on a terminal: the sender to give the
/// trace, and the task that draws it (await it after dropping the sender).
pub fn progress() -> (
    Option<tokio::sync::mpsc::UnboundedSender<Event>>,
    Option<tokio::task::JoinHandle<()>>,
) {
    if !std::io::stderr().is_terminal() {
        return (None, None);
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let handle = tokio::spawn(async move {
        while let Some(Event::Progress {
            sent, done, zone, ..
        }) = rx.recv().await
        {
            bar.set_message(format!("{sent} queries sent, {done} probes done · {zone}"));
        }
        bar.finish_and_clear();
    });
    (Some(tx), Some(handle))
}

/// A progress bar over `total` items (`template` draws it), only on a terminal.
pub fn bar(total: u64, template: &str) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    Some(bar)
}

/// A batch's live progress on a terminal's stderr, drawn from the first second: probes done
/// of those known so far (done + queued), their rate and the ETA of the queue at that rate
/// (the per-address pacing sets it), and the targets finished. The sender goes to the walk,
/// [`BatchBar::target_done`] to the sink.
pub struct BatchBar {
    bar: ProgressBar,
    targets: u64,
    finished: std::sync::Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl BatchBar {
    /// A bar over `targets` targets, only on a terminal; with the event sender for the walk.
    pub fn start(targets: u64) -> Option<(Self, tokio::sync::mpsc::UnboundedSender<Event>)> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::new(1);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {elapsed} [{bar:20}] {pos}/{len} probes · eta {eta} · {msg}",
        ) {
            bar.set_style(style);
        }
        bar.set_message(format!("0/{targets} targets"));
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        let finished = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
        let (b, f) = (bar.clone(), std::sync::Arc::clone(&finished));
        let task = tokio::spawn(async move {
            while let Some(Event::Progress {
                sent,
                done,
                pending,
                ..
            }) = rx.recv().await
            {
                let done = u64::try_from(done).unwrap_or(u64::MAX);
                let pending = u64::try_from(pending).unwrap_or(u64::MAX);
                b.set_length(done.saturating_add(pending).max(1));
                b.set_position(done);
                let n = f.load(std::sync::atomic::Ordering::Relaxed);
                b.set_message(format!("{n}/{targets} targets · {sent} queries"));
            }
        });
        Some((
            Self {
                bar,
                targets,
                finished,
                task,
            },
            tx,
        ))
    }

    /// One more target finished.
    pub fn target_done(&self) {
        let n = self
            .finished
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        self.bar
            .set_message(format!("{n}/{} targets", self.targets));
    }

    /// Writes with the bar out of the way.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Clears the bar.
    pub fn finish(self) {
        self.task.abort();
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use clap::Parser;

    use super::*;
    use crate::cli::Cli;

    /// In `lab run`, each scenario has its own lab: its zones are described again, not
    /// skipped as already written by the scenario before.
    #[tokio::test]
    async fn slim_lines_describe_each_scenarios_zones() {
        let cli = Cli::try_parse_from(["ptrtrace", "-f", "jsonl", "192.0.2.1"]).unwrap();
        let s = ptrtrace_lab::scenarios()
            .into_iter()
            .find(|s| s.name == "healthy")
            .unwrap();
        let running = ptrtrace_lab::start(&s).await.unwrap();
        let cfg = running.config();
        let walk = || ptrtrace_core::trace::trace(s.target.parse().unwrap(), &cfg, None);
        let mut render = Renderer::new(&cli.out, "lab").unwrap();
        let zones = |text: &str| {
            text.lines()
                .filter(|l| l.contains(r#""record":"zone""#))
                .count()
        };
        let first = render
            .target(TargetReport::new(walk().await), Some(("one", "")))
            .unwrap();
        let again = render
            .target(TargetReport::new(walk().await), Some(("one", "")))
            .unwrap();
        let other = render
            .target(TargetReport::new(walk().await), Some(("two", "")))
            .unwrap();
        assert!(zones(&first) > 3, "{first}");
        assert_eq!(
            zones(&again),
            0,
            "the same scenario's zones are written once"
        );
        assert_eq!(
            zones(&other),
            zones(&first),
            "another scenario's lab is described anew"
        );
    }
}
