//! Requests partners raise: their kinds, their typed fields, and the one state machine
//! every path (pages, seed data, background jobs) goes through.

use chrono::NaiveDate;

mod fields;
mod records;

pub use fields::{Fields, FieldsInput, normalize_domain};
pub use records::{
    COUNT_LIMIT, Conflict, Cursor, Event, ListPage, ListRow, MdfBudget, PAGE_SIZE, RequestRecord, Sort, Step,
    deciders_before,
};

use super::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    DealRegistration,
    Discount,
    Mdf,
}

impl RequestKind {
    pub const ALL: [RequestKind; 3] = [RequestKind::DealRegistration, RequestKind::Discount, RequestKind::Mdf];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::DealRegistration => "deal_registration",
            RequestKind::Discount => "discount",
            RequestKind::Mdf => "mdf",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestKind::DealRegistration => "Deal registration",
            RequestKind::Discount => "Discount",
            RequestKind::Mdf => "Marketing funds (MDF)",
        }
    }

    /// # Errors
    /// An unknown kind.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| Invalid::new("Choose a kind of request: deal_registration, discount or mdf."))
    }

    /// The fields an approval-chain condition may test for this kind.
    pub fn condition_fields(self) -> &'static [&'static str] {
        match self {
            RequestKind::DealRegistration => &["amount"],
            RequestKind::Discount => &["amount", "discount_percent"],
            RequestKind::Mdf => &["amount"],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Draft,
    InReview,
    ChangesRequested,
    Approved,
    Rejected,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Draft,
        Status::InReview,
        Status::ChangesRequested,
        Status::Approved,
        Status::Rejected,
        Status::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in_review",
            Status::ChangesRequested => "changes_requested",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::InReview => "In review",
            Status::ChangesRequested => "Changes requested",
            Status::Approved => "Approved",
            Status::Rejected => "Rejected",
            Status::Withdrawn => "Withdrawn",
        }
    }

    /// # Errors
    /// An unknown status.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| Invalid::new(format!("Unknown status {:?}.", raw.trim())))
    }

    /// The requester may still change the fields.
    pub fn is_editable(self) -> bool {
        matches!(self, Status::Draft | Status::ChangesRequested)
    }

    /// Waiting for someone (in review or sent back), as opposed to draft or finished.
    pub fn is_open(self) -> bool {
        matches!(self, Status::InReview | Status::ChangesRequested)
    }
}

/// What someone does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Edit,
    Submit,
    /// Approve the current step; `last` when no step follows it.
    Approve {
        last: bool,
    },
    Reject,
    SendBack,
    Withdraw,
}

impl Transition {
    pub fn verb(self) -> &'static str {
        match self {
            Transition::Edit => "edit",
            Transition::Submit => "submit",
            Transition::Approve { .. } => "approve",
            Transition::Reject => "reject",
            Transition::SendBack => "send back",
            Transition::Withdraw => "withdraw",
        }
    }
}

/// The request's lifecycle: which transitions apply in which status, and where they
/// lead. Who may make them is the policy's business, not this function's.
///
/// # Errors
/// The transition does not apply in this status; the message says why.
pub fn next_status(from: Status, transition: Transition) -> Result<Status, Invalid> {
    use Status::*;
    let to = match (from, transition) {
        (Draft | ChangesRequested, Transition::Edit) => from,
        (Draft | ChangesRequested, Transition::Submit) => InReview,
        (InReview, Transition::Approve { last: true }) => Approved,
        (InReview, Transition::Approve { last: false }) => InReview,
        (InReview, Transition::Reject) => Rejected,
        (InReview, Transition::SendBack) => ChangesRequested,
        (InReview | ChangesRequested, Transition::Withdraw) => Withdrawn,
        _ => {
            return Err(Invalid::new(format!(
                "A request that is {} cannot be {}.",
                from.label().to_lowercase(),
                match transition {
                    Transition::Edit => "edited",
                    Transition::Submit => "submitted",
                    Transition::Approve { .. } => "approved",
                    Transition::Reject => "rejected",
                    Transition::SendBack => "sent back",
                    Transition::Withdraw => "withdrawn",
                }
            )));
        }
    };
    Ok(to)
}

/// A decision on the current step, with its comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Approve,
    Reject,
    SendBack,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approve => "approved",
            Outcome::Reject => "rejected",
            Outcome::SendBack => "sent_back",
        }
    }
}

/// The longest comment kept.
pub const MAX_COMMENT: usize = 4000;

impl Decision {
    /// Parses the decision form: `approve`, `reject` or `send_back`, and a comment that
    /// rejections and send-backs must have.
    ///
    /// # Errors
    /// An unknown decision, a missing comment, or one longer than [`MAX_COMMENT`].
    pub fn parse(decision: &str, comment: &str) -> Result<Self, Invalid> {
        let outcome = match decision.trim() {
            "approve" => Outcome::Approve,
            "reject" => Outcome::Reject,
            "send_back" => Outcome::SendBack,
            _ => return Err(Invalid::new("Choose approve, reject or send back.")),
        };
        let comment = comment.trim();
        if comment.chars().count() > MAX_COMMENT {
            return Err(Invalid::new(format!("Keep the comment under {MAX_COMMENT} characters.")));
        }
        if comment.is_empty() && outcome != Outcome::Approve {
            return Err(Invalid::new("Say why in a comment: a rejection or a send-back needs one."));
        }
        Ok(Self { outcome, comment: (!comment.is_empty()).then(|| comment.to_owned()) })
    }
}

/// The state of one approval step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// A later step, not yet reached.
    Waiting,
    /// The current step, waiting for its decider.
    Pending,
    Approved,
    Rejected,
    SentBack,
    /// Not reached because the request was rejected, sent back or withdrawn first.
    Cancelled,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Waiting => "waiting",
            StepStatus::Pending => "pending",
            StepStatus::Approved => "approved",
            StepStatus::Rejected => "rejected",
            StepStatus::SentBack => "sent_back",
            StepStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Waiting => "Waiting",
            StepStatus::Pending => "Waiting for decision",
            StepStatus::Approved => "Approved",
            StepStatus::Rejected => "Rejected",
            StepStatus::SentBack => "Sent back",
            StepStatus::Cancelled => "Not reached",
        }
    }

    /// # Errors
    /// An unknown step status.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        [
            StepStatus::Waiting,
            StepStatus::Pending,
            StepStatus::Approved,
            StepStatus::Rejected,
            StepStatus::SentBack,
            StepStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
        .ok_or_else(|| Invalid::new(format!("Unknown step status {raw:?}.")))
    }
}

impl Outcome {
    /// The status a step takes when decided so.
    pub fn step_status(self) -> StepStatus {
        match self {
            Outcome::Approve => StepStatus::Approved,
            Outcome::Reject => StepStatus::Rejected,
            Outcome::SendBack => StepStatus::SentBack,
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).expect("date")
    }

    fn deal_input() -> FieldsInput {
        FieldsInput {
            currency: "USD".into(),
            customer_name: "Globex Corporation".into(),
            customer_domain: "https://www.Globex.example/about".into(),
            close_date: "2027-01-15".into(),
            amount: "48,000".into(),
            products: "Edge routers".into(),
            ..FieldsInput::default()
        }
    }

    #[test]
    fn every_allowed_transition_leads_where_it_should() {
        use Status::*;
        let cases = [
            (Draft, Transition::Edit, Draft),
            (Draft, Transition::Submit, InReview),
            (ChangesRequested, Transition::Edit, ChangesRequested),
            (ChangesRequested, Transition::Submit, InReview),
            (InReview, Transition::Approve { last: false }, InReview),
            (InReview, Transition::Approve { last: true }, Approved),
            (InReview, Transition::Reject, Rejected),
            (InReview, Transition::SendBack, ChangesRequested),
            (InReview, Transition::Withdraw, Withdrawn),
            (ChangesRequested, Transition::Withdraw, Withdrawn),
        ];
        for (from, t, to) in cases {
            assert_eq!(next_status(from, t), Ok(to), "{from:?} --{t:?}-->");
        }
    }

    #[test]
    fn every_other_transition_is_refused() {
        let all = [
            Transition::Edit,
            Transition::Submit,
            Transition::Approve { last: false },
            Transition::Approve { last: true },
            Transition::Reject,
            Transition::SendBack,
            Transition::Withdraw,
        ];
        let mut allowed = 0;
        for from in Status::ALL {
            for t in all {
                if next_status(from, t).is_ok() {
                    allowed += 1;
                }
            }
        }
        assert_eq!(allowed, 10, "only the ten listed transitions exist");
        for t in all {
            for done in [Status::Approved, Status::Rejected, Status::Withdrawn] {
                assert!(next_status(done, t).is_err(), "{done:?} accepted {t:?}");
            }
        }
        assert!(next_status(Status::InReview, Transition::Edit).is_err());
        assert!(next_status(Status::Draft, Transition::Withdraw).is_err());
    }

    #[test]
    fn a_deal_registration_is_parsed_and_its_domain_normalized() {
        let fields = Fields::parse(RequestKind::DealRegistration, &deal_input(), today()).expect("valid");
        let Fields::Deal { customer_domain, amount, .. } = &fields else { panic!("a deal") };
        assert_eq!(customer_domain, "globex.example");
        assert_eq!(amount.cents(), 4_800_000);
        assert_eq!(Fields::parse(RequestKind::DealRegistration, &fields.to_input(), today()), Ok(fields));
    }

    #[test]
    fn bad_fields_are_named() {
        let mut input = deal_input();
        input.close_date = "15/01/2027".into();
        assert!(Fields::parse(RequestKind::DealRegistration, &input, today()).expect_err("date").0.contains("YYYY"));
        input.close_date = "2020-01-01".into();
        assert!(Fields::parse(RequestKind::DealRegistration, &input, today()).is_err());
        let mut input = deal_input();
        input.customer_domain = "not a domain".into();
        assert!(Fields::parse(RequestKind::DealRegistration, &input, today()).expect_err("dom").0.contains("domain"));
        let mut input = deal_input();
        input.currency = "XXX".into();
        assert!(Fields::parse(RequestKind::DealRegistration, &input, today()).is_err());
    }

    #[test]
    fn discount_percent_has_bounds_and_feeds_conditions() {
        let input = FieldsInput {
            currency: "EUR".into(),
            list_amount: "10000".into(),
            discount_percent: "35".into(),
            justification: "Competitive displacement of a rival vendor".into(),
            ..FieldsInput::default()
        };
        let fields = Fields::parse(RequestKind::Discount, &input, today()).expect("valid");
        assert_eq!(fields.condition_value("discount_percent"), Some(3500));
        assert_eq!(fields.condition_value("amount"), Some(1_000_000));
        assert_eq!(fields.title(), "35% off EUR 10,000.00");
        for bad in ["0", "90.01", "-3", "abc", "12.345"] {
            let input = FieldsInput { discount_percent: bad.into(), ..input.clone() };
            assert!(Fields::parse(RequestKind::Discount, &input, today()).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejections_and_send_backs_need_a_comment() {
        assert!(Decision::parse("approve", "").is_ok());
        assert!(Decision::parse("reject", "  ").is_err());
        assert!(Decision::parse("send_back", "").is_err());
        assert!(Decision::parse("send_back", "Add the customer's contact").is_ok());
        assert!(Decision::parse("delete", "x").is_err());
    }

    #[test]
    fn quarters() {
        assert_eq!(quarter_of(today()), "2026-Q4");
        assert_eq!(quarter_of(NaiveDate::from_ymd_opt(2027, 3, 31).expect("d")), "2027-Q1");
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("d");
        assert_eq!(quarter_bounds(today()), (d(2026, 10, 1), d(2027, 1, 1)));
        assert_eq!(quarter_bounds(d(2027, 5, 9)), (d(2027, 4, 1), d(2027, 7, 1)));
        assert_eq!(parse_quarter("2027-Q2"), Ok(d(2027, 4, 1)));
        for bad in ["2027-Q5", "2027Q2", "Q2-2027", "1999-Q1", ""] {
            assert!(parse_quarter(bad).is_err(), "{bad}");
        }
    }
}
