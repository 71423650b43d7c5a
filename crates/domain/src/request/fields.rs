//! The typed fields of each kind of request, parsed from the raw form and written
//! back to it.

use chrono::NaiveDate;

use super::RequestKind;
use crate::{
    Invalid,
    money::{Currency, Money, format_fixed, parse_decimal},
};

/// The fields of a request, by kind, as parsed from a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fields {
    Deal {
        customer_name: String,
        customer_domain: String,
        close_date: NaiveDate,
        amount: Money,
        products: String,
        notes: String,
    },
    Discount {
        related_deal: Option<i64>,
        list_amount: Money,
        /// Hundredths of a percent: 35.5% is 3550.
        discount_bp: i64,
        justification: String,
    },
    Mdf {
        activity: String,
        planned_date: NaiveDate,
        amount: Money,
        expected_outcome: String,
    },
}

/// The raw form, every field a string so that a refused form comes back as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct FieldsInput {
    pub currency: String,
    pub customer_name: String,
    pub customer_domain: String,
    pub close_date: String,
    pub amount: String,
    pub products: String,
    pub notes: String,
    pub related_deal: String,
    pub list_amount: String,
    pub discount_percent: String,
    pub justification: String,
    pub activity: String,
    pub planned_date: String,
    pub expected_outcome: String,
}

fn text(raw: &str, what: &str, min: usize, max: usize) -> Result<String, Invalid> {
    let value = raw.trim();
    let len = value.chars().count();
    if len < min {
        return Err(Invalid::new(if min == 1 {
            format!("{what}: this field is required.")
        } else {
            format!("{what}: write at least {min} characters.")
        }));
    }
    if len > max {
        return Err(Invalid::new(format!("{what}: keep it under {max} characters.")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(Invalid::new(format!("{what}: remove the control characters.")));
    }
    Ok(value.to_owned())
}

/// A date in ISO form, not before `today` and within three years of it.
fn future_date(raw: &str, what: &str, today: NaiveDate) -> Result<NaiveDate, Invalid> {
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| Invalid::new(format!("{what}: enter a date as YYYY-MM-DD.")))?;
    if date < today {
        return Err(Invalid::new(format!("{what}: choose today or a later date.")));
    }
    if date > today + chrono::Duration::days(3 * 366) {
        return Err(Invalid::new(format!("{what}: choose a date within three years.")));
    }
    Ok(date)
}

/// Lowercases a customer's domain and strips what people paste around it
/// (`https://`, `www.`, a path, a trailing dot), so two spellings of one company match.
///
/// # Errors
/// Not a plausible domain name.
pub fn normalize_domain(raw: &str) -> Result<String, Invalid> {
    let mut d = raw.trim().to_lowercase();
    for prefix in ["https://", "http://"] {
        if let Some(rest) = d.strip_prefix(prefix) {
            d = rest.to_owned();
        }
    }
    if let Some(i) = d.find(['/', '?', '#']) {
        d.truncate(i);
    }
    let d = d.trim_end_matches('.');
    let d = d.strip_prefix("www.").unwrap_or(d);
    let bad = || Invalid::new("Customer domain: enter the customer's web domain, such as example.com.");
    if d.len() > 253 || !d.contains('.') {
        return Err(bad());
    }
    let labels_ok = d.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if !labels_ok {
        return Err(bad());
    }
    Ok(d.to_owned())
}

impl Fields {
    /// Parses the form for a request of `kind`; `today` bounds the dates.
    ///
    /// # Errors
    /// The first field that is wrong, named in the message.
    pub fn parse(kind: RequestKind, input: &FieldsInput, today: NaiveDate) -> Result<Self, Invalid> {
        let currency = Currency::parse(&input.currency)?;
        Ok(match kind {
            RequestKind::DealRegistration => Fields::Deal {
                customer_name: text(&input.customer_name, "Customer", 2, 200)?,
                customer_domain: normalize_domain(&input.customer_domain)?,
                close_date: future_date(&input.close_date, "Expected close date", today)?,
                amount: Money::parse(&input.amount, currency, "Estimated amount")?,
                products: text(&input.products, "Products", 1, 1000)?,
                notes: text(&input.notes, "Notes", 0, 4000)?,
            },
            RequestKind::Discount => {
                let related_deal = match input.related_deal.trim() {
                    "" => None,
                    raw => Some(
                        crate::parse_id(raw)
                            .map_err(|_| Invalid::new("Related deal: choose one of your deal registrations."))?,
                    ),
                };
                let discount_bp = parse_decimal(&input.discount_percent, 2)
                    .map_err(|why| Invalid::new(format!("Discount percent: {why}")))?;
                if !(1..=9000).contains(&discount_bp) {
                    return Err(Invalid::new("Discount percent: enter more than 0 and at most 90."));
                }
                Fields::Discount {
                    related_deal,
                    list_amount: Money::parse(&input.list_amount, currency, "List amount")?,
                    discount_bp,
                    justification: text(&input.justification, "Justification", 10, 4000)?,
                }
            }
            RequestKind::Mdf => Fields::Mdf {
                activity: text(&input.activity, "Activity", 3, 200)?,
                planned_date: future_date(&input.planned_date, "Planned date", today)?,
                amount: Money::parse(&input.amount, currency, "Amount")?,
                expected_outcome: text(&input.expected_outcome, "Expected outcome", 10, 4000)?,
            },
        })
    }

    pub fn kind(&self) -> RequestKind {
        match self {
            Fields::Deal { .. } => RequestKind::DealRegistration,
            Fields::Discount { .. } => RequestKind::Discount,
            Fields::Mdf { .. } => RequestKind::Mdf,
        }
    }

    /// The amount the request is about (the list amount of a discount).
    pub fn amount(&self) -> Money {
        match self {
            Fields::Deal { amount, .. } | Fields::Mdf { amount, .. } => *amount,
            Fields::Discount { list_amount, .. } => *list_amount,
        }
    }

    /// A one-line title for lists.
    pub fn title(&self) -> String {
        match self {
            Fields::Deal { customer_name, .. } => customer_name.clone(),
            Fields::Discount { discount_bp, list_amount, .. } => {
                format!(
                    "{}% off {}",
                    format_fixed(*discount_bp, 2).trim_end_matches('0').trim_end_matches('.'),
                    list_amount
                )
            }
            Fields::Mdf { activity, .. } => activity.clone(),
        }
    }

    /// The value a chain condition tests, in hundredths (amounts in cents, percents in
    /// hundredths of a percent), or `None` when this kind has no such field.
    pub fn condition_value(&self, field: &str) -> Option<i64> {
        match (self, field) {
            (_, "amount") => Some(self.amount().cents()),
            (Fields::Discount { discount_bp, .. }, "discount_percent") => Some(*discount_bp),
            _ => None,
        }
    }

    /// The form as it would be typed, to fill the edit page.
    pub fn to_input(&self) -> FieldsInput {
        let mut input = FieldsInput { currency: self.amount().currency().code().to_owned(), ..FieldsInput::default() };
        match self {
            Fields::Deal { customer_name, customer_domain, close_date, amount, products, notes } => {
                input.customer_name.clone_from(customer_name);
                input.customer_domain.clone_from(customer_domain);
                input.close_date = close_date.to_string();
                input.amount = amount.plain();
                input.products.clone_from(products);
                input.notes.clone_from(notes);
            }
            Fields::Discount { related_deal, list_amount, discount_bp, justification } => {
                input.related_deal = related_deal.map(|id| id.to_string()).unwrap_or_default();
                input.list_amount = list_amount.plain();
                input.discount_percent = format_fixed(*discount_bp, 2);
                input.justification.clone_from(justification);
            }
            Fields::Mdf { activity, planned_date, amount, expected_outcome } => {
                input.activity.clone_from(activity);
                input.planned_date = planned_date.to_string();
                input.amount = amount.plain();
                input.expected_outcome.clone_from(expected_outcome);
            }
        }
        input
    }
}
