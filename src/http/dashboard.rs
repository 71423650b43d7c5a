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
    Ok(views::dashboard::page(&ctx.nav(), &ctx.user, &mine, &managed, visible.len()))
}
