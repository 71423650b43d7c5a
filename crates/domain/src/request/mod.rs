//! Requests partners raise: their kinds, their typed fields, and the one state machine
//! every path (pages, seed data, background jobs) goes through.

mod decision;
mod fields;
mod quarter;
mod records;

pub use decision::{Decision, MAX_COMMENT, Outcome, StepStatus};
pub use quarter::{parse_quarter, quarter_bounds, quarter_of};

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

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

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
