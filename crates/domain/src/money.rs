//! Amounts of money: whole cents in an `i64` beside a currency code, parsed from what a
//! person types ("12500", "12,500.50") and never held as a float.

use std::fmt;

use super::Invalid;

/// The currencies the portal deals in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Currency {
    Usd,
    Eur,
    Gbp,
}

impl Currency {
    pub const ALL: [Currency; 3] = [Currency::Usd, Currency::Eur, Currency::Gbp];

    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
        }
    }

    /// # Errors
    /// A currency the portal does not deal in.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        Self::ALL.into_iter().find(|c| c.code().eq_ignore_ascii_case(raw)).ok_or_else(|| {
            let codes: Vec<_> = Self::ALL.iter().map(|c| c.code()).collect();
            Invalid::new(format!("Choose a currency: {}.", codes.join(", ")))
        })
    }
}

/// The largest amount a single request may carry: one billion.
pub const MAX_CENTS: i64 = 1_000_000_000 * 100;

/// A positive amount in cents with its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    cents: i64,
    currency: Currency,
}

impl Money {
    /// Parses an amount typed by a person: digits with an optional `.` and at most two
    /// decimals; commas, spaces and underscores between digits group thousands.
    ///
    /// # Errors
    /// Empty, negative, zero, more than two decimals, anything but digits, or above
    /// [`MAX_CENTS`]. `what` names the field in the message.
    pub fn parse(raw: &str, currency: Currency, what: &str) -> Result<Self, Invalid> {
        let cents = parse_decimal(raw, 2).map_err(|why| Invalid::new(format!("{what}: {why}")))?;
        if cents <= 0 {
            return Err(Invalid::new(format!("{what}: enter an amount above zero.")));
        }
        if cents > MAX_CENTS {
            return Err(Invalid::new(format!("{what}: enter at most 1,000,000,000.")));
        }
        Ok(Self { cents, currency })
    }

    /// An amount as stored (trusted input).
    pub fn from_cents(cents: i64, currency: Currency) -> Self {
        Self { cents, currency }
    }

    pub fn cents(self) -> i64 {
        self.cents
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    /// `12500.50`, for form fields and CSV (no grouping).
    pub fn plain(self) -> String {
        format_fixed(self.cents, 2)
    }
}

impl fmt::Display for Money {
    /// `USD 12,500.50`, for pages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency.code(), grouped(self.cents))
    }
}

/// Cents written with thousands separators: `1,234,567.89`.
pub fn grouped(cents: i64) -> String {
    // Written from the right into a buffer: a list draws one per row, and going
    // through `format!` twice cost 1,800 instructions each.
    let abs = cents.unsigned_abs();
    let mut buf = [0u8; 32];
    let mut at = buf.len();
    let mut push = |b: u8| {
        at -= 1;
        buf[at] = b;
    };
    let digit = |n: u64| b'0' + (n % 10) as u8;
    push(digit(abs));
    push(digit(abs / 10));
    push(b'.');
    let mut whole = abs / 100;
    let mut written = 0;
    loop {
        if written > 0 && written % 3 == 0 {
            push(b',');
        }
        push(digit(whole));
        written += 1;
        whole /= 10;
        if whole == 0 {
            break;
        }
    }
    if cents < 0 {
        push(b'-');
    }
    String::from_utf8_lossy(&buf[at..]).into_owned()
}

/// A decimal number scaled by `10^places` (`"35.5"`, 2 → 3550).
///
/// # Errors
/// A description of what is wrong, for the user.
pub fn parse_decimal(raw: &str, places: u32) -> Result<i64, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("enter a number.");
    }
    if raw.starts_with('-') {
        return Err("enter a number above zero.");
    }
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let whole: String = whole.chars().filter(|c| !matches!(c, ',' | ' ' | '_')).collect();
    if whole.is_empty() && fraction.is_empty() {
        return Err("enter a number.");
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return Err("use digits, with a dot before the decimals.");
    }
    if fraction.len() > places as usize {
        return Err(if places == 2 { "use at most two decimals." } else { "too many decimals." });
    }
    let scale = 10_i64.pow(places);
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| "that number is too large.")? };
    let padded = format!("{fraction:0<width$}", width = places as usize);
    let fraction: i64 = if padded.is_empty() { 0 } else { padded.parse().map_err(|_| "that number is too large.")? };
    whole.checked_mul(scale).and_then(|w| w.checked_add(fraction)).ok_or("that number is too large.")
}

/// The inverse of [`parse_decimal`]: 3550, 2 → `"35.50"`.
pub fn format_fixed(value: i64, places: u32) -> String {
    let scale = 10_i64.pow(places);
    let sign = if value < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:0width$}",
        (value / scale).unsigned_abs(),
        (value % scale).unsigned_abs(),
        width = places as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_parsed_exactly() {
        let m = Money::parse("12,500.5", Currency::Usd, "Amount").expect("valid");
        assert_eq!(m.cents(), 1_250_050);
        assert_eq!(m.plain(), "12500.50");
        assert_eq!(m.to_string(), "USD 12,500.50");
        assert_eq!(Money::parse("0.01", Currency::Eur, "Amount").map(Money::cents), Ok(1));
        assert_eq!(Money::parse(".5", Currency::Eur, "Amount").map(Money::cents), Ok(50));
    }

    #[test]
    fn bad_amounts_are_refused_with_the_field_named() {
        for bad in ["", "0", "-5", "1.234", "12a", "1e5", "NaN", "1000000000.01", "99999999999999999999"] {
            let err = Money::parse(bad, Currency::Usd, "Amount").expect_err(bad);
            assert!(err.0.starts_with("Amount: "), "{bad}: {err}");
        }
    }

    #[test]
    fn currencies_are_known_codes() {
        assert_eq!(Currency::parse("eur"), Ok(Currency::Eur));
        assert!(Currency::parse("BTC").is_err());
    }

    #[test]
    fn grouping_and_fixed_formats() {
        assert_eq!(grouped(123_456_789), "1,234,567.89");
        assert_eq!(grouped(5), "0.05");
        assert_eq!(grouped(0), "0.00");
        assert_eq!(grouped(-5), "-0.05");
        assert_eq!(grouped(99_999), "999.99");
        assert_eq!(grouped(100_000), "1,000.00");
        assert_eq!(grouped(-100_000_001), "-1,000,000.01");
        assert_eq!(grouped(i64::MAX), "92,233,720,368,547,758.07");
        assert_eq!(grouped(i64::MIN), "-92,233,720,368,547,758.08");
        assert_eq!(format_fixed(3550, 2), "35.50");
        assert_eq!(parse_decimal("35.5", 2), Ok(3550));
    }
}
