//! `/requests`: the list, the new-request form, a request's page, its edit form, and
//! the actions on it (submit, withdraw, decide), each in a module of its own; what
//! they share (loading a request the user may read) is here.

mod actions;
mod form;
mod list;
mod show;

pub use actions::{decide, submit, withdraw};
pub use form::{create, edit, new, update};
pub use list::index;
pub use show::show;

use super::{Ctx, path_id};
use crate::{
    AppState,
    authz::{self, Action},
    domain::{
        Org,
        request::{RequestRecord, Step},
    },
    error::AppError,
    services,
};

/// The policy's view of a request, from its row and its steps.
pub(super) fn polar_request(ctx: &Ctx, request: &RequestRecord, steps: &[Step]) -> Result<authz::Request, AppError> {
    authz::Request::of(request, steps, ctx.tree()).ok_or(AppError::NotFound)
}

/// A request the user may read, with its steps and the policy's view of it.
struct Loaded {
    request: RequestRecord,
    steps: Vec<Step>,
    polar: authz::Request,
    org: Org,
}

async fn readable(st: &AppState, ctx: &Ctx, raw: &str) -> Result<Loaded, AppError> {
    let id = path_id(raw)?;
    let stored = services::requests::stored(&st.db, id).await?.ok_or(AppError::NotFound)?;
    let polar = polar_request(ctx, &stored.request, &stored.steps)?;
    ctx.require(st, Action::Read, &polar, ("request", Some(id))).await?;
    let services::requests::Stored { request, steps, org } = stored;
    Ok(Loaded { request, steps, polar, org })
}

/// Whether the user decides the current step in their own right (`Some(None)`), as
/// a delegate of someone (`Some(Some(id))`), or not at all (`None`).
fn decides_as(st: &AppState, ctx: &Ctx, polar: &authz::Request) -> Option<Option<i64>> {
    if !ctx.can(st, Action::Decide, polar) {
        return None;
    }
    let own = ctx.actor.with_delegators(Vec::new());
    if st.authz.allowed(&own, Action::Decide, polar) {
        return Some(None);
    }
    ctx.actor
        .delegators
        .iter()
        .find(|d| st.authz.allowed(&ctx.actor.with_delegators(vec![(*d).clone()]), Action::Decide, polar))
        .map(|d| Some(d.id))
}

fn seen_version(raw: &str) -> Result<i32, AppError> {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::Invalid("The form could not be read; reload the page and try again.".into()))
}
