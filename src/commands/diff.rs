//! `ptrtrace diff OLD NEW`: what changed between two JSON reports.

use ptrtrace_core::report::diff;

use crate::cli::Format;
use crate::exit::{Exit, Failure, Outcome};
use crate::output::Out;

/// A JSON report, parsed as it is read (`/dev/zero` is refused at its first byte), within
/// [`MAX_REPORT_BYTES`].
fn load_report(path: &std::path::Path) -> Result<serde_json::Value, Failure> {
    use ptrtrace_core::bounded::{MAX_REPORT_BYTES, too_large};
    let cannot = |e: std::io::Error| {
        Failure::bad_input(format!("cannot read report {}: {e}", path.display()))
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    if file
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() > MAX_REPORT_BYTES)
    {
        return Err(cannot(too_large(MAX_REPORT_BYTES)));
    }
    let reader = std::io::BufReader::new(std::io::Read::take(file, MAX_REPORT_BYTES));
    serde_json::from_reader(reader)
        .map_err(|e| Failure::bad_input(format!("report {} is not JSON: {e}", path.display())))
}

/// `diff`: exit 1 when something changed.
pub fn run(
    old: &std::path::Path,
    new: &std::path::Path,
    format: Format,
    output: Option<&std::path::Path>,
) -> Outcome {
    let (a, b) = (load_report(old)?, load_report(new)?);
    let changes = diff::diff(&a, &b).map_err(|e| Failure::bad_input(e.to_string()))?;
    let body = match format {
        Format::Json => diff::render_json(&changes)
            .map(|s| s + "\n")
            .map_err(|e| Failure::cannot_run(format!("cannot render JSON: {e}")))?,
        Format::Dot | Format::Jsonl => {
            return Err(Failure::bad_input("diff prints text or json"));
        }
        Format::Text if changes.is_empty() => "no changes\n".to_string(),
        Format::Text => changes.iter().map(|c| c.line() + "\n").collect(),
    };
    Out::open(output)?.write(&body)?;
    Ok(Exit::findings_if(!changes.is_empty()))
}
