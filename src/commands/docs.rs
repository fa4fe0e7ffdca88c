//! What ptrtrace says about itself: `hints` (the root hints and trust anchor it trusts by
//! default), `completions SHELL` and `man` (generated from the clap definition that --help
//! comes from, so they cannot drift from it).

use std::path::Path;

use clap::CommandFactory;
use ptrtrace_core::dnssec::TrustAnchors;
use ptrtrace_core::hints::BUILTIN_NAMED_ROOT;

use crate::cli::Cli;
use crate::exit::{Exit, Failure, Outcome};
use crate::output::Out;

/// Where the built-in trust anchor comes from, for its header.
const ANCHOR_SOURCE: &str =
    "; The root zone trust anchors built into ptrtrace (--trust-anchor replaces them).
; Source: IANA, https://data.iana.org/root-anchors/root-anchors.xml: KSK-2017 (key tag 20326,
; valid from 2017-02-02) and KSK-2024 (key tag 38696, valid from 2024-07-18), as shipped by
; hickory-proto; a unit test checks these digests against the ones IANA publishes.
; SHA-256 DS records (RFC 4509), one per key:
";

/// `hints [--trust-anchor]`.
pub fn hints(trust_anchor: bool) -> Outcome {
    let text = if trust_anchor {
        format!("{ANCHOR_SOURCE}{}", TrustAnchors::builtin().ds_text())
    } else {
        format!(
            "; The root hints built into ptrtrace (--root-hints replaces them): InterNIC's\n; named.root, https://www.internic.net/domain/named.root, as dated below.\n{BUILTIN_NAMED_ROOT}"
        )
    };
    Out::open(None)?.write(&text)?;
    Ok(Exit::Ok)
}

/// `completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> Outcome {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "ptrtrace", &mut script);
    Out::open(None)?.write(&String::from_utf8_lossy(&script))?;
    Ok(Exit::Ok)
}

/// `man [--dir DIR]`: the main page to stdout, or every page into DIR.
pub fn man(dir: Option<&Path>) -> Outcome {
    let cmd = Cli::command();
    let Some(dir) = dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut page)
            .map_err(|e| Failure::cannot_run(format!("cannot render the manual page: {e}")))?;
        Out::open(None)?.write(&String::from_utf8_lossy(&page))?;
        return Ok(Exit::Ok);
    };
    std::fs::create_dir_all(dir).map_err(|e| {
        Failure::bad_input(format!(
            "cannot write manual pages in {}: {e}",
            dir.display()
        ))
    })?;
    clap_mangen::generate_to(cmd, dir).map_err(|e| {
        Failure::cannot_run(format!(
            "cannot write manual pages in {}: {e}",
            dir.display()
        ))
    })?;
    Ok(Exit::Ok)
}
