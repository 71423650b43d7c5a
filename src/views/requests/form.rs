//! The request form, new or edited.

use chrono::NaiveDate;
use maud::{Markup, html};

use crate::views::{Nav, csrf_field, messages};
use crate::{
    domain::request::MdfBudget,
    domain::{Currency, FieldsInput, Org, RequestKind, money::grouped},
};

pub struct FormPage<'a> {
    pub org: &'a Org,
    pub kind: RequestKind,
    pub input: &'a FieldsInput,
    /// The request being edited and the version the form was filled from.
    pub existing: Option<(i64, i32)>,
    pub form_key: &'a str,
    pub error: Option<&'a str>,
    pub deals: &'a [(i64, String)],
    pub budget: Option<&'a MdfBudget>,
    pub today: NaiveDate,
}

fn text_field(label: &str, name: &str, value: &str, required: bool) -> Markup {
    html! { label for=(name) { (label) } input type="text" id=(name) name=(name) value=(value) required[required]; }
}

fn area_field(label: &str, name: &str, value: &str, required: bool) -> Markup {
    html! { label for=(name) { (label) } textarea id=(name) name=(name) rows="4" required[required] { (value) } }
}

fn date_field(label: &str, name: &str, value: &str, min: NaiveDate) -> Markup {
    html! { label for=(name) { (label) } input type="date" id=(name) name=(name) value=(value) min=(min) required; }
}

fn amount_field(label: &str, name: &str, value: &str, currency: &str) -> Markup {
    html! {
        label for=(name) { (label) }
        div.amount {
            select name="currency" aria-label="Currency" {
                @for c in Currency::ALL { option value=(c.code()) selected[currency == c.code()] { (c.code()) } }
            }
            input type="text" inputmode="decimal" id=(name) name=(name) value=(value) placeholder="12500.00" required;
        }
    }
}

pub fn form(nav: &Nav<'_>, p: &FormPage<'_>) -> Markup {
    let i = p.input;
    let (title, action) = match p.existing {
        Some((id, _)) => (format!("Edit request #{id}"), format!("/requests/{id}/edit")),
        None => (format!("New {}", p.kind.label().to_lowercase()), "/requests".to_owned()),
    };
    crate::views::page(
        &title,
        Some(nav),
        html! {
            h1 { (title) }
            p.muted { "For " (p.org.name) }
            (messages(None, p.error))
            form.request method="post" action=(action) {
                (csrf_field(nav.csrf))
                input type="hidden" name="kind" value=(p.kind.as_str());
                input type="hidden" name="org" value=(p.org.id);
                @if let Some((_, version)) = p.existing {
                    input type="hidden" name="version" value=(version);
                } @else {
                    input type="hidden" name="form_key" value=(p.form_key);
                }
                @match p.kind {
                    RequestKind::DealRegistration => {
                        (text_field("Customer company", "customer_name", &i.customer_name, true))
                        (text_field("Customer domain", "customer_domain", &i.customer_domain, true))
                        (date_field("Expected close date", "close_date", &i.close_date, p.today))
                        (amount_field("Estimated amount", "amount", &i.amount, &i.currency))
                        (text_field("Products", "products", &i.products, true))
                        (area_field("Notes", "notes", &i.notes, false))
                    }
                    RequestKind::Discount => {
                        label for="related_deal" { "Related deal (optional)" }
                        select id="related_deal" name="related_deal" {
                            option value="" { "None" }
                            @for (id, name) in p.deals {
                                option value=(id) selected[i.related_deal == id.to_string()] { "#" (id) " " (name) }
                            }
                        }
                        (amount_field("List amount", "list_amount", &i.list_amount, &i.currency))
                        label for="discount_percent" { "Requested discount (%)" }
                        input type="text" inputmode="decimal" id="discount_percent" name="discount_percent" value=(i.discount_percent) placeholder="15" required;
                        (area_field("Justification", "justification", &i.justification, true))
                    }
                    RequestKind::Mdf => {
                        @if let Some(b) = p.budget {
                            p.budget { "MDF budget " (b.quarter) ": " (b.currency.code()) " " (grouped(b.budget_cents))
                                ", remaining " (b.currency.code()) " " (grouped(b.remaining_cents.max(0))) "." }
                        } @else {
                            p.muted { "No MDF budget is set for " (p.org.name) " in the quarter of the planned date." }
                        }
                        (text_field("Activity", "activity", &i.activity, true))
                        (date_field("Planned date", "planned_date", &i.planned_date, p.today))
                        (amount_field("Amount", "amount", &i.amount, &i.currency))
                        (area_field("Expected outcome", "expected_outcome", &i.expected_outcome, true))
                    }
                }
                p.actions {
                    button type="submit" name="then" value="submit" { "Save and submit" }
                    button.secondary type="submit" name="then" value="save" { "Save as draft" }
                }
            }
        },
    )
}
