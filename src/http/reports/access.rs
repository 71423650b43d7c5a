//! The access review: every role and relation in the organizations the viewer
//! administers, where it comes from, and what the policy grants there.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};

use super::{CHOICES, ReportName, Use, audit_download, csv, gate};
use crate::{
    AppState,
    authz::{Action, Organization},
    domain::report::safe_cell,
    error::AppError,
    http::{Ctx, extract::Query},
    store::{self, orgs::Filter},
    views::{self, reports::AccessRow},
};

#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AccessQuery {
    /// Someone's email, exactly.
    pub user: String,
    /// An organization id.
    pub org: String,
}

/// The access review's rows: for every active user and every organization the viewer
/// administers where the user holds any role, the roles, where they come from, and
/// what the policy answers for that user there. Computed from the same facts and the
/// same policy as every page, so it shows what the portal enforces.
async fn access_rows(st: &AppState, ctx: &Ctx, query: &AccessQuery) -> Result<Vec<AccessRow>, AppError> {
    let wanted_org = match query.org.trim() {
        "" => None,
        raw => Some(
            crate::domain::parse_id(raw)
                .map_err(|_| AppError::Invalid("Organization: choose one from the list.".into()))?,
        ),
    };
    let wanted_user = match query.user.trim() {
        "" => None,
        raw => Some(crate::domain::Email::parse(raw)?),
    };
    let tree = ctx.actor.tree();
    // The organizations whose members the viewer manages: every one for the vendor's
    // admins, their own and those beneath for partner admins.
    // Every organization for the vendor's admins; their subtrees for partner admins.
    let candidates: Vec<i64> = match wanted_org {
        Some(id) => vec![id],
        None if ctx.actor.vendor_role == "admin" => tree.ids().collect(),
        None => ctx.scope().reachable(),
    };
    let orgs: Vec<Organization> = candidates
        .into_iter()
        .filter_map(|id| Organization::from_tree(tree, id))
        .filter(|org| ctx.can(st, Action::ManageMembers, org))
        .collect();
    let mut ids: Vec<i64> = orgs.iter().map(|o| o.id).collect();
    ids.extend(orgs.iter().flat_map(|o| tree.lineage(o.id)));
    ids.sort_unstable();
    ids.dedup();
    let names: std::collections::HashMap<i64, String> = store::orgs::names(&st.db, &ids).await?.into_iter().collect();
    let name_of = |id: i64| names.get(&id).cloned().unwrap_or_default();
    // Only the people who can hold a role in these organizations: members of them or
    // of an organization above them, their account managers, and the vendor's staff.
    let mut reach = ids.clone();
    reach.extend(tree.vendor_id());
    let facts = store::reports::access_facts(&st.db, &reach, wanted_user.as_ref().map(|e| e.as_str())).await?;
    let vendor = tree.vendor_id();
    let mut rows = Vec::new();
    for (user_id, email, name) in &facts.users {
        if wanted_user.as_ref().is_some_and(|w| w.as_str() != email) {
            continue;
        }
        let memberships: Vec<(i64, crate::domain::Role)> =
            facts.memberships.iter().filter(|(u, ..)| u == user_id).map(|(_, o, r)| (*o, *r)).collect();
        let managed: Vec<i64> = facts.managed.iter().filter(|(m, _)| m == user_id).map(|(_, o)| *o).collect();
        let actor = crate::authz::Actor::with_tree(*user_id, true, memberships.clone(), managed.clone(), tree.clone());
        for org in &orgs {
            let roles = actor.roles_on(org.id);
            if roles.is_empty() {
                continue;
            }
            let mut because = Vec::new();
            for holder in tree.active_lineage(org.id) {
                if let Some((_, role)) = memberships.iter().find(|(o, _)| *o == holder) {
                    if holder == org.id {
                        because.push(format!("{} here", role.label().to_lowercase()));
                    } else {
                        because.push(format!("{} of {} (inherited)", role.label().to_lowercase(), name_of(holder)));
                    }
                }
            }
            match actor.vendor_role.as_str() {
                "admin" if Some(org.id) != vendor => because.push("vendor admin".into()),
                "finance" if Some(org.id) != vendor => because.push("vendor finance".into()),
                _ => {}
            }
            if actor.vendor_role == "channel_manager" {
                for holder in tree.lineage(org.id) {
                    if managed.contains(&holder) {
                        because.push(format!("account manager of {}", name_of(holder)));
                    }
                }
            }
            let may: Vec<&str> = [
                (Action::Read, "read"),
                (Action::ManageMembers, "manage members"),
                (Action::CreateRequest, "raise requests"),
                (Action::SetBudget, "set MDF budgets"),
                (Action::SetStatus, "suspend"),
            ]
            .into_iter()
            .filter(|(action, _)| st.authz.allowed(&actor, *action, org))
            .map(|(_, label)| label)
            .collect();
            let mut decides: Vec<&str> = Vec::new();
            if roles.contains("account_manager") {
                decides.push("account-manager steps");
            }
            if !org.is_vendor
                && matches!(actor.vendor_role.as_str(), "finance" | "admin" | "staff" | "channel_manager")
                && roles.contains("viewer")
            {
                decides.push(match actor.vendor_role.as_str() {
                    "finance" => "finance steps",
                    "admin" => "admin steps",
                    "staff" => "staff steps",
                    _ => "channel-manager steps",
                });
            }
            rows.push(AccessRow {
                user: format!("{name} <{email}>"),
                org: name_of(org.id),
                org_id: org.id,
                roles: roles.names().join(", "),
                because: because.join("; "),
                may: may.join(", "),
                decides: decides.join(", "),
            });
        }
    }
    rows.sort_by(|a, b| a.org.cmp(&b.org).then_with(|| a.user.cmp(&b.user)));
    Ok(rows)
}

pub async fn access(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<AccessQuery>,
) -> Result<Response, AppError> {
    gate(&st, &ctx, ReportName::Access, Use::View).await?;
    let orgs: Vec<(i64, String)> = store::orgs::list(&st.db, Filter::All, None, None, CHOICES)
        .await?
        .into_iter()
        .filter(|l| {
            Organization::from_tree(ctx.tree(), l.org.id).is_some_and(|o| ctx.can(&st, Action::ManageMembers, &o))
        })
        .map(|l| (l.org.id, l.org.name))
        .collect();
    // Over many organizations the whole review is a download, not a page: the page
    // asks for a person or an organization first.
    let reviewed = if ctx.actor.vendor_role == "admin" { ctx.tree().len() } else { ctx.scope().reachable().len() };
    let unfiltered = query.user.trim().is_empty() && query.org.trim().is_empty();
    let (rows, error, broad) = if unfiltered && reviewed > ACCESS_PAGE_ORGS {
        let message = format!(
            "You administer {reviewed} organizations: choose a person or an organization to review, or download the whole review as CSV."
        );
        (Vec::new(), Some(message), true)
    } else {
        match access_rows(&st, &ctx, &query).await {
            Ok(rows) => (rows, None, false),
            Err(AppError::Invalid(message)) => (Vec::new(), Some(message), false),
            Err(err) => return Err(err),
        }
    };
    let qs = serde_urlencoded::to_string(&query).unwrap_or_default();
    let page = views::reports::access(
        &ctx.nav(),
        &views::reports::AccessPage {
            user: &query.user,
            org: &query.org,
            qs: &qs,
            orgs: &orgs,
            rows: &rows,
            error: error.as_deref(),
        },
    );
    let status = if error.is_some() && !broad { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, page).into_response())
}

/// Up to how many organizations the access review's page shows everything at once.
const ACCESS_PAGE_ORGS: usize = 200;

const ACCESS_HEADER: &[&str] = &["user", "organization", "roles", "because", "may", "decides"];

pub async fn access_csv(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<AccessQuery>,
) -> Result<Response, AppError> {
    gate(&st, &ctx, ReportName::Access, Use::Export).await?;
    let rows = access_rows(&st, &ctx, &query).await?;
    audit_download(&st, &ctx, ReportName::Access, serde_json::json!(query), rows.len() as u64).await?;
    let records = rows
        .iter()
        .map(|r| {
            [&r.user, &r.org, &r.roles, &r.because, &r.may, &r.decides]
                .iter()
                .map(|cell| safe_cell(cell).into_owned())
                .collect()
        })
        .collect();
    Ok(csv::batches(&st, ReportName::Access, ACCESS_HEADER, csv::all_at_once(records)))
}
