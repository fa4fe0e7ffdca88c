//! The ptrtrace command: parse arguments, run one command, print a failure's one line and
//! choose the exit code — in that one place ([`exit`]). Each command is a file of
//! [`commands`]; every format is rendered by [`output`].

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod commands;
mod exit;
mod history;
mod output;
mod run;
#[cfg(test)]
mod testing;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, LabAction};
use exit::{Failure, Outcome};

fn main() -> ExitCode {
    let outcome = match Cli::try_parse() {
        Ok(cli) => run(cli),
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                // Help that could not be written is a failure (`--help > /dev/full`), a
                // closed pipe (`--help | head`) is not.
                return match e
                    .print()
                    .and_then(|()| std::io::Write::flush(&mut std::io::stdout()))
                {
                    Err(w) if w.kind() != std::io::ErrorKind::BrokenPipe => {
                        eprintln!("ptrtrace: cannot write to standard output: {w}");
                        exit::Exit::CannotRun.into()
                    }
                    _ if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                        exit::Exit::BadInput.into()
                    }
                    _ => exit::Exit::Ok.into(),
                };
            }
            // One line naming the problem (the usage text is one `--help` away).
            let rendered = e.render().to_string();
            let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
            let first = lines.next().unwrap_or("bad arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            // "the following required arguments were not provided:" names them on the next line.
            let first = match (first.ends_with(':'), lines.next()) {
                (true, Some(what)) => format!("{first} {what}"),
                _ => first.to_string(),
            };
            // A bad value: the values there are ("[possible values: text, json, …]").
            let first = match rendered
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("[possible values:"))
            {
                Some(values) => format!(
                    "{first}; {}",
                    values.trim_start_matches('[').trim_end_matches(']')
                ),
                None => first,
            };
            // A monitoring host reads exit 2 as CRITICAL: `check` says UNKNOWN (3) instead.
            if std::env::args().nth(1).as_deref() == Some("check") {
                Err(commands::check::unknown(&format!("{first} (see --help)")))
            } else {
                Err(Failure::bad_input(format!("{first} (see --help)")))
            }
        }
    };
    match outcome {
        Ok(exit) => exit.into(),
        Err(f) => {
            if !f.message.is_empty() {
                eprintln!("ptrtrace: {}", f.message);
            }
            f.exit.into()
        }
    }
}

/// Runs the command `cli` names.
fn run(cli: Cli) -> Outcome {
    exit::runtime_room()?;
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Failure::cannot_run(format!("cannot start the async runtime: {e}")))?;
    match cli.command {
        Some(Command::Lab {
            action: LabAction::List,
        }) => commands::lab::list(),
        Some(Command::Lab {
            action:
                LabAction::Run {
                    scenario,
                    out,
                    opts,
                },
        }) => rt.block_on(commands::lab::run(scenario.as_deref(), &opts, &out)),
        Some(Command::Lab {
            action:
                LabAction::Serve {
                    scenario,
                    port,
                    dir,
                },
        }) => rt.block_on(commands::lab::serve(scenario.as_deref(), port, dir)),
        Some(Command::Watch {
            targets,
            count,
            exit_on_change,
            history,
            keep,
            opts,
        }) => rt.block_on(commands::watch::run(
            &targets,
            &opts,
            count,
            exit_on_change,
            history.as_deref().map(|h| (h, keep)),
        )),
        Some(Command::History {
            target,
            list,
            db,
            since,
            format,
            output,
        }) => match target.filter(|_| !list) {
            Some(target) => {
                commands::history::run(target, db.as_deref(), since, format, output.as_deref())
            }
            None => commands::history::list(db.as_deref(), output.as_deref()),
        },
        Some(Command::Check {
            targets,
            warning,
            critical,
            opts,
        }) => rt.block_on(commands::check::run(&targets, &opts, warning, critical)),
        Some(Command::Serve { config, listen }) => {
            rt.block_on(commands::serve::run(&config, listen))
        }
        Some(Command::Hints { trust_anchor }) => commands::docs::hints(trust_anchor),
        Some(Command::Completions { shell }) => commands::docs::completions(shell),
        Some(Command::Man { dir }) => commands::docs::man(dir.as_deref()),
        Some(Command::Diff {
            old,
            new,
            format,
            output,
        }) => commands::diff::run(&old, &new, format, output.as_deref()),
        None => rt.block_on(commands::trace::run(&cli.targets, &cli.opts, &cli.out)),
    }
}
