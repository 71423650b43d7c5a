//! `GET /`: what the signed-in user has to do with the portal.

use axum::extract::State;
use maud::Markup;

use super::Ctx;
use crate::{AppState, error::AppError, store, views};

pub async fn show(State(st): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    // Names of the user's own organizations only: the page never lists the tree.
    let scope = ctx.scope();
    let member_of: Vec<i64> = ctx.actor.roles.keys().copied().filter(|id| scope.contains(*id)).collect();
    let named = store::orgs::names(&st.db, &member_of).await?;
    let mine: Vec<_> = named
        .iter()
        .filter_map(|(id, name)| ctx.actor.roles.get(id).map(|role| ((*id, name.clone()), *role)))
        .collect();
    let managed_ids: Vec<i64> = ctx.actor.managed.iter().copied().filter(|id| scope.contains(*id)).collect();
    let managed = store::orgs::names(&st.db, &managed_ids).await?;
    let visible = match &scope {
        crate::authz::Scope::All => ctx.tree().len(),
        crate::authz::Scope::Grants { .. } => scope.reachable().len(),
    };
    let open = store::requests::open_of_requester(&st.db, ctx.user.id, 10).await?;
    let decided = store::requests::recently_decided_of_requester(&st.db, ctx.user.id, 5).await?;
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
