//! Calendar quarters, the period of MDF budgets.

use chrono::NaiveDate;

use crate::Invalid;

/// The first day of the quarter of `date` and the first day of the next one.
pub fn quarter_bounds(date: NaiveDate) -> (NaiveDate, NaiveDate) {
    use chrono::Datelike;
    let first_month = (date.month() - 1) / 3 * 3 + 1;
    let start = NaiveDate::from_ymd_opt(date.year(), first_month, 1).unwrap_or(date);
    let end = if first_month == 10 {
        NaiveDate::from_ymd_opt(date.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(date.year(), first_month + 3, 1)
    }
    .unwrap_or(date);
    (start, end)
}

/// Parses a quarter as `2026-Q4`; returns its first day.
///
/// # Errors
/// Anything else, or a year outside 2000–2100.
pub fn parse_quarter(raw: &str) -> Result<NaiveDate, Invalid> {
    let bad = || Invalid::new("Quarter: write it as 2026-Q4.");
    let (year, q) = raw.trim().split_once("-Q").ok_or_else(bad)?;
    let year: i32 = year.parse().ok().filter(|y| (2000..=2100).contains(y)).ok_or_else(bad)?;
    let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q)).ok_or_else(bad)?;
    NaiveDate::from_ymd_opt(year, (q - 1) * 3 + 1, 1).ok_or_else(bad)
}

/// The calendar quarter a date falls in, as `2026-Q4`.
pub fn quarter_of(date: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}-Q{}", date.year(), (date.month() - 1) / 3 + 1)
}
