//! `GET /requests/{id}`: a request's page, with its steps, timeline, conflicts and
//! the actions the user may take.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use maud::Markup;
use serde::Deserialize;

use crate::http::{
    Ctx,
    extract::{Path, Query},
};
use crate::{
    AppState,
    authz::Action,
    error::AppError,
    services,
    views::{
        self,
        requests::{DetailPage, StepView},
    },
};

use super::{Loaded, decides_as, readable};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Done {
    done: String,
}

fn notice_text(done: &str) -> Option<&'static str> {
    match done {
        "saved" => Some("The draft is saved. Submit it when it is ready."),
        "submitted" => Some("The request is submitted for approval."),
        "edited" => Some("Your changes are saved."),
        "withdrawn" => Some("The request is withdrawn."),
        "approved" => Some("Your approval is recorded."),
        "rejected" => Some("The rejection is recorded."),
        "sent_back" => Some("The request is sent back to its requester."),
        _ => None,
    }
}

pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let ctx = ctx.with_delegations(&st).await?;
    let loaded = readable(&st, &ctx, &id).await?;
    Ok(render_show(&st, &ctx, &loaded, notice_text(&done.done), None, None).await?.into_response())
}

pub(super) async fn render_show(
    st: &AppState,
    ctx: &Ctx,
    loaded: &Loaded,
    notice: Option<&str>,
    error: Option<&str>,
    comment: Option<&str>,
) -> Result<Markup, AppError> {
    let Loaded { request, steps, polar, org } = loaded;
    let decides = decides_as(st, ctx, polar);
    let facts =
        services::requests::page_facts(&st.db, st.chains.protection_days, (request, steps, org), decides.flatten())
            .await?;
    let name_of =
        |id: Option<i64>| id.and_then(|id| facts.names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()));
    let step_views: Vec<StepView> = steps
        .iter()
        .filter(|s| s.round == request.round)
        .map(|s| StepView {
            step: s,
            decided_by: name_of(s.decided_by),
            on_behalf_of: name_of(s.on_behalf_of),
            decider_label: crate::domain::Decider::parse(&s.decider).map_or_else(|_| s.decider.clone(), |d| d.label()),
        })
        .collect();
    let scope = ctx.scope();
    // The decider sees every conflicting registration to weigh them; others only those
    // they may read (and how many there are).
    let visible_conflicts: Vec<_> =
        facts.conflicts.iter().filter(|c| decides.is_some() || scope.contains(c.org_id)).cloned().collect();
    let related = facts
        .related
        .as_ref()
        .filter(|d| scope.contains(d.org_id) || d.requester_id == ctx.user.id)
        .map(|d| (d.id, d.title.clone()));
    Ok(views::requests::detail(
        &ctx.nav(),
        &DetailPage {
            request,
            org,
            requester: name_of(Some(request.requester_id)).unwrap_or_default(),
            steps: &step_views,
            events: &facts.events,
            conflict_count: facts.conflicts.len(),
            conflicts: &visible_conflicts,
            related,
            can_edit: ctx.can(st, Action::Edit, polar),
            can_submit: ctx.can(st, Action::Submit, polar),
            can_withdraw: ctx.can(st, Action::Withdraw, polar),
            can_decide: decides.is_some(),
            on_behalf: facts.on_behalf.as_deref(),
            budget: facts.budget.as_ref(),
            notice,
            error,
            comment,
        },
    ))
}
