//! `GET /`: what the signed-in user has to do with the portal.

use axum::extract::State;
use maud::Markup;

use super::{Ctx, context::sql_filter};
use crate::{AppState, error::AppError, store, views};

pub async fn show(State(st): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    let scope = ctx.scope();
    let visible = store::orgs::list(&st.db, sql_filter(&scope)).await?;
    let mine: Vec<_> =
        visible.iter().filter_map(|l| ctx.actor.roles.get(&l.org.id).map(|role| (l.org.clone(), *role))).collect();
    let managed: Vec<_> =
        visible.iter().filter(|l| ctx.actor.managed.contains(&l.org.id)).map(|l| l.org.clone()).collect();
    let open = store::requests::open_of_requester(&st.db, ctx.user.id, 10).await?;
    let decided = store::requests::recently_decided_of_requester(&st.db, ctx.user.id, 5).await?;
    // Only the vendor's people decide steps (delegates are vendor users too).
    let (ctx, pending) = if ctx.actor.vendor_role.is_empty() {
        (ctx, Vec::new())
    } else {
        let ctx = ctx.with_delegations(&st).await?;
        let pending = super::requests::queue_rows(&st, &ctx, 10).await?;
        (ctx, pending)
    };
    Ok(views::dashboard::page(
        &ctx.nav(),
        &ctx.user,
        &views::dashboard::Work {
            memberships: &mine,
            managed: &managed,
            visible: visible.len(),
            open: &open,
            decided: &decided,
            pending: &pending,
        },
    ))
}
