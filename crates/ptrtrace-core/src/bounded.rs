//! Input read within stated maximums (docs/security.md "Bad input"): no file, line or list a
//! user names can make ptrtrace read without end (`--root-hints /dev/zero`, `@/dev/zero`,
//! `yes | ptrtrace -`). Each is refused with one line naming the bound, having read at most
//! the bound plus one byte.

use std::io::{BufRead, Read};
use std::path::Path;

/// A root hints file, a trust anchor file, a serve configuration: 1 MiB (named.root is 3 KB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// One line of a target list (`@FILE`, stdin).
pub const MAX_LINE_BYTES: usize = 4096;
/// Lines of one target list (a longer list of addresses is better given as prefixes).
pub const MAX_LINES: usize = 1 << 18;
/// A JSON report read back by `ptrtrace diff` (a /16's full report is some hundred MB).
pub const MAX_REPORT_BYTES: u64 = 1 << 30;

/// "1 MiB", "4096 bytes": a bound in a person's words.
#[must_use]
pub fn size_words(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b => format!("{b} bytes"),
    }
}

/// The text of the file at `path`, refused when it holds more than `max` bytes or is not
/// UTF-8.
///
/// # Errors
/// The open or read error, or `InvalidData` naming the bound.
pub fn read_file(path: &Path, max: u64) -> std::io::Result<String> {
    let mut buf = Vec::new();
    std::fs::File::open(path)?
        .take(max + 1)
        .read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(too_large(max));
    }
    String::from_utf8(buf).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not UTF-8 text".to_string(),
        )
    })
}

/// The error for a file over `max` bytes.
#[must_use]
pub fn too_large(max: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("larger than {}, the most ptrtrace reads", size_words(max)),
    )
}

/// Why a line could not be read.
#[derive(Debug)]
pub enum LineError {
    /// The reader failed.
    Io(std::io::Error),
    /// The line is longer than [`MAX_LINE_BYTES`].
    TooLong,
    /// The list has more than [`MAX_LINES`] lines.
    TooMany,
    /// The line is not UTF-8.
    NotText,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "cannot read: {e}"),
            Self::TooLong => write!(
                f,
                "longer than {MAX_LINE_BYTES} bytes; reading stopped and nothing of this list is traced"
            ),
            Self::TooMany => write!(
                f,
                "more than {MAX_LINES} lines; reading stopped and nothing of this list is traced (give prefixes)"
            ),
            Self::NotText => write!(
                f,
                "not UTF-8 text; reading stopped and nothing of this list is traced"
            ),
        }
    }
}

/// Calls `each` with every line of `reader` (without its line end) and its number, within
/// [`MAX_LINE_BYTES`] a line and [`MAX_LINES`] lines; the first line over a bound ends the
/// reading with its error.
///
/// # Errors
/// The first [`LineError`], with the number of the line it concerns.
pub fn each_line(
    mut reader: impl BufRead,
    mut each: impl FnMut(usize, &str),
) -> Result<(), (usize, LineError)> {
    let mut buf = Vec::new();
    for number in 1.. {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 2)
            .read_until(b'\n', &mut buf)
            .map_err(|e| (number, LineError::Io(e)))?;
        if n == 0 {
            return Ok(());
        }
        if number > MAX_LINES {
            return Err((number, LineError::TooMany));
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > MAX_LINE_BYTES {
            return Err((number, LineError::TooLong));
        }
        let text = std::str::from_utf8(line).map_err(|_| (number, LineError::NotText))?;
        each(number, text);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines are read as lines; an endless line stops at the bound, having read the bound.
    #[test]
    fn lines_are_bounded() {
        let mut seen = Vec::new();
        each_line("a\r\nb\n\nc".as_bytes(), |n, l| {
            seen.push((n, l.to_string()))
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                (1, "a".into()),
                (2, "b".into()),
                (3, String::new()),
                (4, "c".into())
            ]
        );
        let zeros = std::io::BufReader::new(std::io::repeat(0));
        let err = each_line(zeros, |_, _| panic!("no line")).unwrap_err();
        assert!(matches!(err, (1, LineError::TooLong)), "{err:?}");
        let exact = "x".repeat(MAX_LINE_BYTES);
        assert!(each_line(exact.as_bytes(), |_, l| assert_eq!(l.len(), MAX_LINE_BYTES)).is_ok());
    }

    /// An endless list of short lines stops after the most lines.
    #[test]
    fn line_count_is_bounded() {
        let endless = std::io::BufReader::new(std::io::repeat(b'\n'));
        let mut count = 0;
        let err = each_line(endless, |_, _| count += 1).unwrap_err();
        assert_eq!(count, MAX_LINES);
        assert!(matches!(err.1, LineError::TooMany));
    }

    /// A file over its bound is refused naming the bound.
    #[test]
    fn files_are_bounded() {
        let e = read_file(Path::new("/dev/zero"), MAX_FILE_BYTES).unwrap_err();
        assert_eq!(e.to_string(), "larger than 1 MiB, the most ptrtrace reads");
    }
}
