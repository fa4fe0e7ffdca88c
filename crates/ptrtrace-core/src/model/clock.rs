//! Calendar dates from Unix time, for evidence and reports (no time-zone library: UTC only).

/// Year, month, day, hour, minute and second (UTC) of Unix time `secs`, by Howard Hinnant's
/// civil-from-days algorithm.
///
/// ```
/// assert_eq!(ptrtrace_core::model::clock::civil(951_782_400), [2000, 2, 29, 0, 0, 0]);
/// ```
#[must_use]
pub fn civil(secs: i64) -> [i64; 6] {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    [y, m, d, rem / 3600, rem % 3600 / 60, rem % 60]
}
