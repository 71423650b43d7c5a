//! `GET /`: what the signed-in user has to do with the portal.

use axum::extract::State;
use maud::Markup;

use super::Ctx;
use crate::{AppState, error::AppError, services, views};

pub async fn show(State(st): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    // Names of the user's own organizations only: the page never lists the tree.
    let scope = ctx.scope();
    let member_of: Vec<i64> = ctx.actor.roles.keys().copied().filter(|id| scope.contains(*id)).collect();
    let managed_ids: Vec<i64> = ctx.actor.managed.iter().copied().filter(|id| scope.contains(*id)).collect();
    let all = member_of.iter().chain(&managed_ids).copied();
    let names = ctx.tree().names_of(all);
    let services::users::Dashboard { open, decided } = services::users::dashboard(&st.db, ctx.user.id).await?;
    let mine: Vec<_> = names
        .iter()
        .filter(|(id, _)| member_of.contains(id))
        .filter_map(|(id, name)| ctx.actor.roles.get(id).map(|role| ((*id, name.clone()), *role)))
        .collect();
    let managed: Vec<(i64, String)> = names.iter().filter(|(id, _)| managed_ids.contains(id)).cloned().collect();
    let visible = match &scope {
        crate::authz::Scope::All => ctx.tree().len(),
        crate::authz::Scope::Grants { .. } => scope.reachable().len(),
    };
    // Only the vendor's people decide steps (delegates are vendor users too).
    let (ctx, pending) = if ctx.actor.vendor_role.is_empty() {
        (ctx, Vec::new())
    } else {
        let ctx = ctx.with_delegations(&st).await?;
        let pending = super::approvals::queue_rows(&st, &ctx, 10).await?;
        (ctx, pending)
    };
    Ok(views::dashboard::page(
        &ctx.nav(),
        &ctx.user,
        &views::dashboard::Work {
            memberships: &mine,
            managed: &managed,
            visible,
            open: &open,
            decided: &decided,
            pending: &pending,
        },
    ))
}
