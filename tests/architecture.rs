//! The architecture of docs/architecture.md, held against the code: the engine's modules
//! import one way only (no circle), no source file grows past 600 lines, and no function
//! hides its size behind an allowance of clippy's too-many-lines lint, diagnosis never reads
//! rendered text, and the docs the code cites exist.

// A test fails by panicking: unwrap and expect are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// The engine's top-level modules, lowest layer first: a module may import only modules
/// of a lower layer (and itself). `bounded` (input read within maximums) is the one leaf;
/// `hints` and `targets` are leaves beside the model, which reads its anchor files through it.
const LAYERS: &[(&str, u8)] = &[
    ("bounded", 0),
    ("model", 1),
    ("hints", 1),
    ("targets", 1),
    ("net", 2),
    ("words", 2),
    ("trace", 3),
    ("dnssec", 4),
    ("diagnose", 5),
    ("graph", 6),
    ("report", 7),
    ("run", 8),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The module names a source text uses after `prefix` (`crate::`, `super::`), outside
/// comments.
fn uses(text: &str, prefix: &str) -> Vec<String> {
    let mut v = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for part in line.split(prefix).skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                v.push(name);
            }
        }
    }
    v
}

#[test]
fn engine_modules_import_downwards_only() {
    let src = root().join("crates/ptrtrace-core/src");
    let layer = |m: &str| LAYERS.iter().find(|(n, _)| *n == m).map(|(_, l)| *l);
    let mut wrong = Vec::new();
    for (module, own) in LAYERS {
        let mut files = Vec::new();
        let dir = src.join(module);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
        let file = src.join(format!("{module}.rs"));
        if file.is_file() {
            files.push(file);
        }
        assert!(!files.is_empty(), "module {module} has no source");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for used in uses(&text, "crate::") {
                if used == *module {
                    continue;
                }
                let l = layer(&used).unwrap_or_else(|| {
                    panic!("{} uses crate::{used}, a module not in LAYERS", f.display())
                });
                if l >= *own {
                    wrong.push(format!("{} imports crate::{used}", f.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layering: {wrong:#?}");
}

/// The model's files, lowest first: each may use only lower ones (no circle inside the
/// leaf either).
const MODEL: &[(&str, u8)] = &[
    ("anchors", 0),
    ("clock", 0),
    ("rdata", 0),
    ("reply", 1),
    ("finding", 2),
    ("kept", 3),
    ("walk", 4),
];

#[test]
fn model_files_import_downwards_only() {
    let dir = root().join("crates/ptrtrace-core/src/model");
    let rank = |m: &str| MODEL.iter().find(|(n, _)| *n == m).map(|(_, r)| *r);
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        let stem = name.trim_end_matches(".rs");
        assert!(
            stem == "mod" || rank(stem).is_some(),
            "model/{name} is not in MODEL"
        );
    }
    let mut wrong = Vec::new();
    for (file, own) in MODEL {
        let text = std::fs::read_to_string(dir.join(format!("{file}.rs"))).unwrap();
        for prefix in ["super::", "crate::model::"] {
            for used in uses(&text, prefix) {
                match rank(&used) {
                    Some(r) if r >= *own && used != *file => {
                        wrong.push(format!("model/{file}.rs uses {used}"));
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "model imports against its order: {wrong:#?}"
    );
}

#[test]
fn the_engine_does_not_depend_on_the_lab() {
    // The engine never depends on the lab (the lab is a dev-dependency at most).
    let manifest = std::fs::read_to_string(root().join("crates/ptrtrace-core/Cargo.toml")).unwrap();
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap();
    assert!(
        !deps.contains("ptrtrace-lab"),
        "the engine depends on the lab"
    );
}

#[test]
fn no_source_file_over_600_lines_and_no_size_allowance() {
    // Functions over 100 lines are clippy's too_many_lines (clippy.toml, Cargo.toml), an
    // error under -D warnings.
    let mut files = Vec::new();
    for dir in ["src", "crates", "tests", "benches"] {
        rust_files(&root().join(dir), &mut files);
    }
    let mut long = Vec::new();
    let mut allowed = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let n = text.lines().count();
        if n > 600 {
            long.push(format!("{} ({n} lines)", f.display()));
        }
        // The lab's tables of scenario literals and zone texts are data: they may be long,
        // each with an `expect` that names why (docs/design.md §9). Nothing else may.
        let table = f.starts_with(root().join("crates/ptrtrace-lab/src/scenarios"))
            || f.ends_with("crates/ptrtrace-lab/src/zones.rs");
        let allowances = text
            .matches(&["clippy::", "too_many_lines"].concat())
            .count();
        let tables = text
            .matches(&["expect(\n    clippy::", "too_many_lines,\n    reason = \""].concat())
            .count();
        if allowances > 0 && !(table && allowances == tables) {
            allowed.push(f.display().to_string());
        }
    }
    assert!(long.is_empty(), "files over 600 lines: {long:#?}");
    assert!(allowed.is_empty(), "size allowances in: {allowed:#?}");
}

/// The walk and the diagnosis compare typed observations (`Rdata`, `ReplyClass`,
/// `AttemptStatus`, serials as numbers), never rendered text (docs/design.md §5): nothing in
/// `trace`, `dnssec`, `diagnose` or `graph` takes text apart or compares it with a literal, so
/// rewording a message cannot change a diagnosis.
#[test]
fn diagnose_never_inspects_rendered_text() {
    const INSPECTIONS: &[&str] = &[
        "starts_with(\"",
        "ends_with(\"",
        "strip_prefix(\"",
        "strip_suffix(\"",
        "split_whitespace",
        "parse::<",
        "== \"",
        "!= \"",
    ];
    let src = root().join("crates/ptrtrace-core/src");
    let mut files = vec![src.join("graph.rs")];
    for dir in ["trace", "dnssec", "diagnose"] {
        rust_files(&src.join(dir), &mut files);
    }
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        // The unit tests below a file may compare its words with what they expect.
        let code = text.split("#[cfg(test)]").next().unwrap();
        for (i, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for pat in INSPECTIONS.iter().filter(|p| line.contains(**p)) {
                found.push(format!("{}:{}: {pat}", f.display(), i + 1));
            }
        }
    }
    assert!(found.is_empty(), "rendered text inspected: {found:#?}");
}

/// Comments and docs cite files of this repository only: every docs page a source file
/// names exists, and no comment points to design notes outside the repository.
#[test]
fn cited_docs_exist() {
    let mut files = Vec::new();
    for dir in ["src", "crates", "tests", "benches"] {
        rust_files(&root().join(dir), &mut files);
    }
    let mut missing = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for outside in [["DESIGN", ".md"].concat(), ["STYLE", ".md"].concat()] {
            if text.contains(&outside) {
                missing.push(format!("{} cites {outside}", f.display()));
            }
        }
        for part in text.split("docs/").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
                .collect();
            let name = name.trim_end_matches('.');
            if name.ends_with(".md") && !root().join("docs").join(name).is_file() {
                missing.push(format!("{} cites docs/{name}", f.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "citations of missing files: {missing:#?}"
    );
}

/// A finding's message and advice come from the words module (docs/design.md §5): findings
/// are built with `Fact::finding` and `Finding`'s builder methods, so no other file writes a
/// `Finding` literal or sets its words.
#[test]
fn finding_words_live_only_in_the_words_module() {
    let src = root().join("crates/ptrtrace-core/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    rust_files(&root().join("src"), &mut files);
    let literal = ["Finding", " {\n"].concat();
    let mut found = Vec::new();
    for f in files {
        let rel = f
            .strip_prefix(&src)
            .unwrap_or(&f)
            .to_string_lossy()
            .to_string();
        if rel == "model/finding.rs" || rel.starts_with("words/") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim_start();
            if t.starts_with("//") {
                continue;
            }
            let builds = (line.ends_with(&literal[..literal.len() - 1])
                && !t.starts_with("pub struct")
                && !t.starts_with("impl")
                && !line.contains("->"))
                || [
                    ".message = ",
                    ".advice = ",
                    "message: format!",
                    "advice: format!",
                ]
                .iter()
                .any(|p| line.contains(p) && !line.contains("LabError"));
            if builds && !rel.ends_with("targets.rs") {
                found.push(format!("{}:{}", f.display(), i + 1));
            }
        }
    }
    assert!(found.is_empty(), "finding words outside words/: {found:#?}");
}

/// No command imports another: what they share (the run's configuration, tracing a few
/// targets, the words for a silent root) is `src/run.rs`, and batches run through the
/// engine's `run` module.
#[test]
fn commands_do_not_import_each_other() {
    let mut files = Vec::new();
    rust_files(&root().join("src/commands"), &mut files);
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.contains("crate::commands::") && !line.trim_start().starts_with("//") {
                found.push(format!("{}:{}", f.display(), i + 1));
            }
        }
    }
    assert!(found.is_empty(), "commands importing commands: {found:#?}");
}

/// The walk's files name what they use: no glob import of the parent (`use super::*`) outside
/// the unit tests, so a file's dependencies on the walker and on the model are explicit
/// (docs/architecture.md, "The walker's parts").
#[test]
fn walk_files_import_explicitly() {
    let mut files = Vec::new();
    rust_files(&root().join("crates/ptrtrace-core/src/trace"), &mut files);
    let glob = ["use super::", "*;"].concat();
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        if code.contains(&glob) {
            found.push(f.display().to_string());
        }
    }
    assert!(found.is_empty(), "glob imports in: {found:#?}");
}
