//! `GET/POST /invitations/{token}`: the invited person answers. Someone new chooses
//! a name and a password (the token is their credential, so that needs no session);
//! someone with an account signs in as it and accepts or declines.

use axum::{
    extract::{Extension, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::{
    Ctx, RequestInfo,
    auth::{anonymous_csrf, no_store},
    extract::{Form, Path},
};
use crate::{
    AppState,
    authz::{Action, Invitation, Organization},
    error::AppError,
    services::{
        self,
        invitations::{AcceptForm, Found, Invitee},
    },
    views::{self, auth::Answering},
};

pub async fn show(
    State(st): State<AppState>,
    Extension(info): Extension<RequestInfo>,
    jar: CookieJar,
    signed_in: Result<Ctx, AppError>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let found = services::invitations::find(&st.db, &token).await?.ok_or(AppError::NotFound)?;
    let offer = found.offer.as_ref().map(|(org, role)| (org, *role));
    // The token stays in the form's action only; `Referrer-Policy: same-origin` and
    // `no-store` keep it out of other sites' logs and of caches.
    let (csrf_token, csrf) = match &info.session {
        Some(session) => (session.csrf_token.clone(), None),
        None => {
            let (jar, token) = anonymous_csrf(&st, jar, &info);
            (token, Some(jar))
        }
    };
    let page = match (&found.invitee, offer) {
        (Invitee::Account(user), Some(offer)) => {
            let login = format!("/login?next=/invitations/{token}");
            let answering = match &signed_in {
                Err(_) => Answering::SignIn { login: &login },
                Ok(ctx) if ctx.user.id != user.id => Answering::OtherAccount(ctx.user.email.as_str()),
                Ok(ctx) => Answering::Decide { may_accept: ctx.can(&st, Action::Accept, &invitation(ctx, &found)?) },
            };
            views::auth::answer_invitation(&csrf_token, &token, &found.email, offer, answering)
        }
        (Invitee::Account(_), None) => return Err(AppError::NotFound),
        (invitee, offer) => {
            let new_name = matches!(invitee, Invitee::New).then(|| found.name.as_deref().unwrap_or_default());
            views::auth::accept_invitation(&csrf_token, &token, &found.email, offer, new_name, None)
        }
    };
    let page = no_store(page);
    Ok(match csrf {
        Some(jar) => (jar, page).into_response(),
        None => page.into_response(),
    })
}

/// The invitation as the policy sees it, for the signed-in user.
fn invitation(ctx: &Ctx, found: &Found) -> Result<Invitation, AppError> {
    let (org, role) = found.offer.as_ref().ok_or(AppError::NotFound)?;
    let org = Organization::from_tree(ctx.tree(), org.id).ok_or(AppError::NotFound)?;
    Ok(Invitation { org, role: role.as_str().to_owned() })
}

#[derive(Debug, Default, Deserialize)]
pub struct AnswerForm {
    /// `accept` or `decline`, from someone with an account.
    #[serde(default)]
    decision: String,
    #[serde(flatten)]
    new: AcceptForm,
}

pub async fn accept(
    State(st): State<AppState>,
    Extension(info): Extension<RequestInfo>,
    signed_in: Result<Ctx, AppError>,
    Path(token): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let found = services::invitations::find(&st.db, &token).await?.ok_or(AppError::NotFound)?;
    if let Invitee::Account(user) = &found.invitee {
        let ctx = signed_in?;
        if ctx.user.id != user.id {
            return Err(AppError::Forbidden);
        }
        let (org, _) = found.offer.as_ref().ok_or(AppError::NotFound)?;
        let accept = match form.decision.as_str() {
            "accept" => true,
            "decline" => false,
            _ => return Err(AppError::Invalid("Choose Accept or Decline.".into())),
        };
        if accept {
            ctx.require(&st, Action::Accept, &invitation(&ctx, &found)?, ("organization", Some(org.id))).await?;
        }
        services::invitations::answer(&st.db, ctx.who(), &token, &found, accept).await?;
        let to = if accept { format!("/orgs/{}?done=joined", org.id) } else { "/".to_owned() };
        return Ok(Redirect::to(&to).into_response());
    }
    match services::invitations::accept_new(&st.db, &st.passwords, &token, &form.new, &info.client).await {
        Ok(_) => Ok(Redirect::to("/login?welcome=1").into_response()),
        Err(services::Error::Invalid(invalid)) => {
            let csrf = info.session.map(|s| s.csrf_token).or(info.anonymous_csrf).unwrap_or_default();
            let offer = found.offer.as_ref().map(|(org, role)| (org, *role));
            let new_name = matches!(found.invitee, Invitee::New).then_some(form.new.name.as_str());
            let page = views::auth::accept_invitation(&csrf, &token, &found.email, offer, new_name, Some(&invalid.0));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, no_store(page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}
