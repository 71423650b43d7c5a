//! Reports: their filters, parsed from the query string that both the page and its
//! CSV download share, and the rule that keeps CSV cells from running as formulas.

mod rows;
pub mod turnaround;

pub use rows::{
    AuditRow, MdfCell, PartnerRow, PendingAges, PipelineCell, PipelineMonth, PipelineRow, TurnaroundMonth,
    TurnaroundRow,
};

use std::borrow::Cow;

use chrono::NaiveDate;

use super::{Invalid, RequestKind, Status};

/// Events per page of the audit report.
pub const AUDIT_PAGE: u64 = 50;

/// The filters of the pipeline report, as typed (kept on the page when refused).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct PipelineQuery {
    /// First month, `YYYY-MM`.
    pub from: String,
    /// Last month, `YYYY-MM`.
    pub to: String,
    pub kind: String,
    pub status: String,
    pub org: String,
}

/// The pipeline report's filters, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineFilter {
    /// First day of the first month included.
    pub from: Option<NaiveDate>,
    /// First day of the month after the last one included.
    pub until: Option<NaiveDate>,
    /// Deal registrations and discounts (the pipeline), or one of them.
    pub kinds: Vec<RequestKind>,
    pub status: Option<Status>,
    pub org: Option<i64>,
}

fn month(raw: &str, what: &str) -> Result<Option<NaiveDate>, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d")
        .map(Some)
        .map_err(|_| Invalid::new(format!("{what}: enter a month as YYYY-MM.")))
}

fn next_month(date: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    let (y, m) = if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(date)
}

impl PipelineQuery {
    /// # Errors
    /// A malformed month, an unknown kind or status, a kind outside the pipeline, a
    /// malformed organization id, or a range that ends before it starts.
    pub fn parse(&self) -> Result<PipelineFilter, Invalid> {
        let from = month(&self.from, "From")?;
        let to = month(&self.to, "To")?;
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            return Err(Invalid::new("To: choose a month on or after From."));
        }
        let kinds = match self.kind.trim() {
            "" => vec![RequestKind::DealRegistration, RequestKind::Discount],
            raw => match RequestKind::parse(raw)? {
                RequestKind::Mdf => {
                    return Err(Invalid::new("Kind: the pipeline holds deal registrations and discounts."));
                }
                kind => vec![kind],
            },
        };
        let status = match self.status.trim() {
            "" => None,
            raw => Some(Status::parse(raw)?),
        };
        let org = match self.org.trim() {
            "" => None,
            raw => Some(super::parse_id(raw).map_err(|_| Invalid::new("Partner: choose one from the list."))?),
        };
        Ok(PipelineFilter { from, until: to.map(next_month), kinds, status, org })
    }

    /// The query string, for links and the CSV download.
    pub fn to_query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }
}

/// The audit log's filters, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AuditQuery {
    /// The actor's email.
    pub actor: String,
    pub action: String,
    pub resource: String,
    /// `allowed` or `denied`.
    pub outcome: String,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    pub page: String,
}

/// The audit log's filters, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<super::Email>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub allowed: Option<bool>,
    pub from: Option<NaiveDate>,
    /// The day after the last one included.
    pub until: Option<NaiveDate>,
    pub page: u64,
}

fn word(raw: &str, what: &str) -> Result<Option<String>, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.len() > 64 || !raw.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return Err(Invalid::new(format!("{what}: use lower-case letters and underscores, as in the log.")));
    }
    Ok(Some(raw.to_owned()))
}

fn day(raw: &str, what: &str) -> Result<Option<NaiveDate>, Invalid> {
    match raw.trim() {
        "" => Ok(None),
        raw => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Invalid::new(format!("{what}: enter a date as YYYY-MM-DD."))),
    }
}

impl AuditQuery {
    /// # Errors
    /// A malformed email, action, resource, outcome, date or page, or a range that
    /// ends before it starts.
    pub fn parse(&self) -> Result<AuditFilter, Invalid> {
        let actor = match self.actor.trim() {
            "" => None,
            raw => Some(super::Email::parse(raw)?),
        };
        let allowed = match self.outcome.trim() {
            "" => None,
            "allowed" => Some(true),
            "denied" => Some(false),
            _ => return Err(Invalid::new("Outcome: choose allowed or denied.")),
        };
        let from = day(&self.from, "From")?;
        let to = day(&self.to, "To")?;
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            return Err(Invalid::new("To: choose a day on or after From."));
        }
        let page = match self.page.trim() {
            "" => 1,
            raw => raw
                .parse::<u64>()
                .ok()
                .filter(|p| (1..=1_000_000).contains(p))
                .ok_or_else(|| Invalid::new("Page: not a page number."))?,
        };
        Ok(AuditFilter {
            actor,
            action: word(&self.action, "Action")?,
            resource: word(&self.resource, "Resource")?,
            allowed,
            from,
            until: to.map(|t| t + chrono::Duration::days(1)),
            page,
        })
    }

    pub fn to_query_string(&self) -> String {
        let without_page = AuditQuery { page: String::new(), ..self.clone() };
        serde_urlencoded::to_string(without_page).unwrap_or_default()
    }
}

/// The MDF report's filters, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct MdfQuery {
    /// `YYYY-Qn`.
    pub quarter: String,
    pub org: String,
}

impl MdfQuery {
    /// The quarter (normalized) and organization asked for.
    ///
    /// # Errors
    /// A malformed quarter or organization id.
    pub fn parse(&self) -> Result<(Option<String>, Option<i64>), Invalid> {
        let quarter = match self.quarter.trim() {
            "" => None,
            raw => Some(super::request::quarter_of(super::request::parse_quarter(raw)?)),
        };
        let org = match self.org.trim() {
            "" => None,
            raw => Some(super::parse_id(raw).map_err(|_| Invalid::new("Partner: choose one from the list."))?),
        };
        Ok((quarter, org))
    }

    pub fn to_query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }
}

/// Makes a text cell safe to open in a spreadsheet: a cell that starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return would be read as a formula, so it gets a
/// leading apostrophe (OWASP's advice for CSV injection). Numbers are written by the
/// caller as numbers and never pass through here.
pub fn safe_cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralized_and_other_text_is_untouched() {
        for bad in ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(safe_cell(bad), format!("'{bad}"));
        }
        for fine in ["Globex", "Café Zürich", "", "1,000", "a=b"] {
            assert_eq!(safe_cell(fine), fine);
        }
    }

    #[test]
    fn audit_filters_are_parsed_and_refused_with_a_message() {
        let q =
            AuditQuery { actor: "Bob@BlueHarbor.example".into(), outcome: "denied".into(), ..AuditQuery::default() };
        let f = q.parse().expect("valid");
        assert_eq!(f.actor.map(|e| e.as_str().to_owned()), Some("bob@blueharbor.example".to_owned()));
        assert_eq!(f.allowed, Some(false));
        for bad in [
            AuditQuery { outcome: "maybe".into(), ..AuditQuery::default() },
            AuditQuery { action: "DROP TABLE".into(), ..AuditQuery::default() },
            AuditQuery { from: "yesterday".into(), ..AuditQuery::default() },
            AuditQuery { from: "2026-05-02".into(), to: "2026-05-01".into(), ..AuditQuery::default() },
            AuditQuery { actor: "not an email".into(), ..AuditQuery::default() },
            AuditQuery { page: "0".into(), ..AuditQuery::default() },
        ] {
            assert!(bad.parse().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pipeline_filters_are_parsed_and_refused_with_a_message() {
        let q = PipelineQuery { from: "2026-01".into(), to: "2026-12".into(), ..PipelineQuery::default() };
        let f = q.parse().expect("valid");
        assert_eq!(f.from, NaiveDate::from_ymd_opt(2026, 1, 1));
        assert_eq!(f.until, NaiveDate::from_ymd_opt(2027, 1, 1));
        assert_eq!(f.kinds.len(), 2);
        for (bad, needle) in [
            (PipelineQuery { from: "2026-13".into(), ..PipelineQuery::default() }, "YYYY-MM"),
            (PipelineQuery { from: "2026-05".into(), to: "2026-04".into(), ..PipelineQuery::default() }, "on or after"),
            (PipelineQuery { kind: "mdf".into(), ..PipelineQuery::default() }, "pipeline"),
            (PipelineQuery { status: "lost".into(), ..PipelineQuery::default() }, "Unknown status"),
            (PipelineQuery { org: "x".into(), ..PipelineQuery::default() }, "Partner"),
        ] {
            assert!(bad.parse().expect_err("refused").0.contains(needle), "{bad:?}");
        }
    }
}
