//! The organizations tree and an organization's page.

use std::collections::{HashMap, HashSet};

use maud::{Markup, html};

use super::{Nav, csrf_field, messages};
use crate::domain::{Listed, NewPartnerForm};
use crate::domain::{Member, Org, OrgKind, OrgStatus, Role, Tier, UserStatus};

/// The new-partner form, shown to those who may create partners.
pub struct NewPartner<'a> {
    /// The partners to choose a parent from, or `None` when there are too many to list.
    pub parents: Option<&'a [(i64, String)]>,
    pub values: Option<&'a NewPartnerForm>,
    pub error: Option<&'a str>,
}

fn status_tag(status: OrgStatus) -> Markup {
    html! { @if status == OrgStatus::Suspended { " " span.tag.suspended { "suspended" } } }
}

fn kind_label(org: &Org) -> &'static str {
    match org.kind {
        OrgKind::Vendor => "Vendor",
        OrgKind::Partner if org.parent_id.is_some() => "Reseller",
        OrgKind::Partner => "Partner",
    }
}

/// Lists the organizations as a tree; one whose parent is hidden from the user
/// is shown at the top level.
/// A page of the organizations list.
pub struct IndexPage<'a> {
    pub orgs: &'a [Listed],
    pub search: &'a str,
    /// The name to continue after, when there are more.
    pub next: Option<&'a str>,
    /// Whether this page continues an earlier one.
    pub paged: bool,
}

pub fn index(nav: &Nav<'_>, p: &IndexPage<'_>, new_partner: Option<NewPartner<'_>>, notice: Option<&str>) -> Markup {
    let orgs = p.orgs;
    let ids: HashSet<i64> = orgs.iter().map(|l| l.org.id).collect();
    let mut children: HashMap<Option<i64>, Vec<&Listed>> = HashMap::new();
    for listed in orgs {
        let parent = listed.org.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(listed);
    }
    fn branch(parent: Option<i64>, children: &HashMap<Option<i64>, Vec<&Listed>>) -> Markup {
        html! {
            @if let Some(kids) = children.get(&parent) {
                ul.tree {
                    @for l in kids {
                        li {
                            a href={ "/orgs/" (l.org.id) } { (l.org.name) }
                            " " span.tag { (kind_label(&l.org)) " · " (l.org.tier.as_str()) }
                            (status_tag(l.org.status))
                            " " span.muted { (l.members) " member" @if l.members != 1 { "s" } }
                            (branch(Some(l.org.id), children))
                        }
                    }
                }
            }
        }
    }
    super::page(
        "Organizations",
        Some(nav),
        html! {
            h1 { "Organizations" }
            (messages(notice, new_partner.as_ref().and_then(|n| n.error)))
            form.filters method="get" action="/orgs" {
                label { "Name" input type="search" name="q" value=(p.search) placeholder="part of a name"; }
                button type="submit" { "Search" }
            }
            section {
                @if orgs.is_empty() { p.muted { "There is no organization you may see." } }
                @else { (branch(None, &children)) }
                @if p.paged || p.next.is_some() {
                    nav.pages {
                        @if p.paged { a href={ "/orgs?q=" (crate::error::encode(p.search)) } { "← First page" } }
                        @if let Some(next) = p.next {
                            a href={ "/orgs?q=" (crate::error::encode(p.search)) "&after=" (crate::error::encode(next)) } { "Next →" }
                        }
                    }
                }
            }
            @if let Some(form) = new_partner {
                (new_partner_form(nav.csrf, &form))
            }
        },
    )
}

fn new_partner_form(csrf: &str, form: &NewPartner<'_>) -> Markup {
    let default = NewPartnerForm::default();
    let values = form.values.unwrap_or(&default);
    html! {
        section {
            h2 { "New partner organization" }
            form method="post" action="/orgs" {
                (csrf_field(csrf))
                label for="name" { "Name" }
                input #name type="text" name="name" value=(values.name) maxlength="120" required;
                label for="tier" { "Tier" }
                select #tier name="tier" {
                    @for tier in Tier::ALL {
                        option value=(tier.as_str()) selected[values.tier == tier.as_str()] { (tier.as_str()) }
                    }
                }
                label for="parent_id" { "Distributor above it" }
                @if let Some(parents) = form.parents {
                    select #parent_id name="parent_id" {
                        option value="" { "None: an independent partner or a distributor" }
                        @for (id, name) in parents {
                            option value=(id) selected[values.parent_id == id.to_string()] { (name) }
                        }
                    }
                } @else {
                    input #parent_id type="text" inputmode="numeric" name="parent_id" value=(values.parent_id)
                        aria-describedby="parent_hint";
                    p.muted #parent_hint { "The number of its organization page (/orgs/NUMBER); empty for an independent partner or a distributor." }
                }
                p { button type="submit" { "Create organization" } }
            }
        }
    }
}

/// A member as shown, with the actions the policy allows this viewer.
pub struct MemberRow {
    pub member: Member,
    /// Roles the viewer may change this member to.
    pub grantable: Vec<Role>,
    pub removable: bool,
    pub disable_candidate: bool,
}

/// The add-member form's input, kept when it is refused.
#[derive(Debug, Clone, Copy)]
pub struct AddMemberValues<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
}

/// A quarter's MDF budget as shown.
pub struct BudgetRow {
    pub quarter: String,
    pub amount: crate::domain::Money,
    pub committed_cents: i64,
}

/// The MDF budget form's input.
#[derive(Debug, Clone, Copy, Default)]
pub struct BudgetValues<'a> {
    pub quarter: &'a str,
    pub amount: &'a str,
    pub currency: &'a str,
}

pub struct OrgPage<'a> {
    pub org: &'a Org,
    pub parent: Option<&'a Org>,
    pub children: &'a [Org],
    pub members: &'a [MemberRow],
    /// Roles the viewer may give a new member; empty when they may not add members.
    pub grantable_new: &'a [Role],
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
    pub add_member: Option<AddMemberValues<'a>>,
    pub invitation: Option<&'a str>,
    /// Invitations waiting for an answer (for those who manage members).
    pub invitations: &'a [crate::domain::WaitingInvitation],
    /// The viewer may suspend or reactivate this organization.
    pub can_set_status: bool,
    pub budgets: &'a [BudgetRow],
    /// The budget form, when the viewer may set budgets.
    pub budget_form: Option<BudgetValues<'a>>,
}

pub fn show(nav: &Nav<'_>, p: &OrgPage<'_>) -> Markup {
    let org = p.org;
    super::page(
        &org.name,
        Some(nav),
        html! {
            h1 { (org.name) (status_tag(org.status)) }
            (messages(p.notice, p.error))
            @if let Some(link) = p.invitation {
                p.notice { "Invitation link: " a href=(link) { (link) } }
            }
            section {
                dl.facts {
                    dt { "Kind" } dd { (kind_label(org)) }
                    dt { "Tier" } dd { (org.tier.as_str()) }
                    dt { "Status" } dd { (org.status.as_str()) }
                    @if let Some(parent) = p.parent {
                        dt { "Part of" } dd { a href={ "/orgs/" (parent.id) } { (parent.name) } }
                    }
                }
                @if p.can_set_status {
                    (status_form(nav.csrf, org))
                }
            }
            section {
                h2 { "Members" }
                @if p.members.is_empty() { p.muted { "No members yet." } }
                @else {
                    table {
                        thead { tr { th { "Name" } th { "Email" } th { "Role" } th { "Actions" } } }
                        tbody { @for row in p.members { (member_row(nav.csrf, org, row)) } }
                    }
                }
            }
            @if !p.invitations.is_empty() {
                section {
                    h2 { "Invitations waiting for an answer" }
                    table {
                        thead { tr { th { "Email" } th { "Role" } th { "Invited by" } th { "Link works until" } } }
                        tbody {
                            @for i in p.invitations {
                                tr {
                                    td { (i.email) }
                                    td { (i.role.label()) }
                                    td { (i.invited_by) }
                                    td { (crate::views::Stamp::minute(i.expires_at)) }
                                }
                            }
                        }
                    }
                }
            }
            @if !p.grantable_new.is_empty() {
                (add_member_form(nav.csrf, org, p.grantable_new, p.add_member))
            }
            @if !p.budgets.is_empty() || p.budget_form.is_some() {
                (budgets(nav.csrf, org, p.budgets, p.budget_form))
            }
            @if !p.children.is_empty() {
                section {
                    h2 { "Organizations beneath it" }
                    ul { @for child in p.children { li { a href={ "/orgs/" (child.id) } { (child.name) } (status_tag(child.status)) } } }
                }
            }
        },
    )
}

fn budgets(csrf: &str, org: &Org, rows: &[BudgetRow], form: Option<BudgetValues<'_>>) -> Markup {
    use crate::domain::{Currency, money::grouped};
    html! {
        section {
            h2 { "Marketing funds (MDF)" }
            @if rows.is_empty() {
                p.muted { "No MDF budget is set." }
            } @else {
                table {
                    thead { tr { th { "Quarter" } th.num { "Budget" } th.num { "Committed" } th.num { "Remaining" } } }
                    tbody {
                        @for row in rows {
                            @let code = row.amount.currency().code();
                            tr {
                                td { (row.quarter) }
                                td.num { (row.amount) }
                                td.num { (code) " " (grouped(row.committed_cents)) }
                                td.num { (code) " " (grouped(row.amount.cents() - row.committed_cents)) }
                            }
                        }
                    }
                }
            }
            @if let Some(values) = form {
                form method="post" action={ "/orgs/" (org.id) "/mdf-budget" } {
                    (super::csrf_field(csrf))
                    label for="quarter" { "Quarter" }
                    input type="text" id="quarter" name="quarter" value=(values.quarter) placeholder="2026-Q4" required;
                    label for="budget_amount" { "Budget" }
                    div.amount {
                        select name="currency" aria-label="Currency" {
                            @for c in Currency::ALL {
                                option value=(c.code()) selected[values.currency == c.code()] { (c.code()) }
                            }
                        }
                        input type="text" inputmode="decimal" id="budget_amount" name="amount" value=(values.amount) required;
                    }
                    p { button type="submit" { "Set budget" } }
                }
            }
        }
    }
}

fn status_form(csrf: &str, org: &Org) -> Markup {
    let (next, label) = match org.status {
        OrgStatus::Active => (OrgStatus::Suspended, "Suspend organization"),
        OrgStatus::Suspended => (OrgStatus::Active, "Reactivate organization"),
    };
    html! {
        form.actions method="post" action={ "/orgs/" (org.id) "/status" } {
            (csrf_field(csrf))
            input type="hidden" name="status" value=(next.as_str());
            button.danger[next == OrgStatus::Suspended].secondary[next == OrgStatus::Active] type="submit" { (label) }
        }
    }
}

fn member_row(csrf: &str, org: &Org, row: &MemberRow) -> Markup {
    let m = &row.member;
    html! {
        tr {
            td { (m.user.name) @if m.user.status != UserStatus::Active { " " span.tag.(m.user.status.as_str()) { (m.user.status.as_str()) } } }
            td { (m.user.email) }
            td { (m.role.label()) }
            td.actions {
                @if !row.grantable.is_empty() {
                    form method="post" action={ "/orgs/" (org.id) "/members/" (m.user.id) "/role" } {
                        (csrf_field(csrf))
                        input type="hidden" name="current" value=(m.role.as_str());
                        select name="role" aria-label="New role" {
                            @for role in &row.grantable { option value=(role.as_str()) { (role.label()) } }
                        }
                        button.secondary type="submit" { "Change role" }
                    }
                }
                @if row.removable {
                    form method="post" action={ "/orgs/" (org.id) "/members/" (m.user.id) "/remove" } {
                        (csrf_field(csrf))
                        input type="hidden" name="current" value=(m.role.as_str());
                        button.danger type="submit" { "Remove" }
                    }
                }
                @if row.disable_candidate {
                    form method="post" action={ "/users/" (m.user.id) "/disable" } {
                        (csrf_field(csrf))
                        input type="hidden" name="org_id" value=(org.id);
                        button.danger type="submit" { "Disable account" }
                    }
                }
            }
        }
    }
}

fn add_member_form(csrf: &str, org: &Org, roles: &[Role], values: Option<AddMemberValues<'_>>) -> Markup {
    let values = values.unwrap_or(AddMemberValues { email: "", name: "", role: "" });
    html! {
        section {
            h2 { "Add a member" }
            p.muted { "They join once they accept the invitation: someone new by choosing a password, someone with an account after signing in." }
            form method="post" action={ "/orgs/" (org.id) "/members" } {
                (csrf_field(csrf))
                label for="member-email" { "Email" }
                input #member-email type="email" name="email" value=(values.email) required;
                label for="member-name" { "Name " span.muted { "(optional; suggested to them if they are new)" } }
                input #member-name type="text" name="name" value=(values.name) maxlength="120";
                label for="member-role" { "Role" }
                select #member-role name="role" {
                    @for role in roles { option value=(role.as_str()) selected[values.role == role.as_str()] { (role.label()) } }
                }
                p { button type="submit" { "Send invitation" } }
            }
        }
    }
}
