//! Signing in and out, sessions, and changing one's password.
//!
//! Sessions are our own table rather than tower-sessions': ending every session of one
//! user (on a password change or when an account is disabled) needs sessions indexed
//! by user, which its opaque records are not, and `last_seen_at` is refreshed only
//! when it is a second or more behind, so that the bursts a page makes (a redirect,
//! a download) write once while the idle timeout holds to the second.
//!
//! Sign-in throttling is ours too: tower_governor and similar layers count requests
//! per key in the process's memory, while we must count *failed* sign-ins (known only
//! after the password check) per account and per address, shared by every instance,
//! so the counters live in the database.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use rand::RngCore;
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Error, Who, audit_allowed, audit_denied, passwords::Passwords};
use crate::config::ThrottleSettings;
use crate::domain::{Email, Invalid, NewPassword, User, UserStatus};
use crate::store::{
    self,
    sessions::{SessionRow, UserFacts},
};

/// How far behind a session's `last_seen_at` may fall before a request refreshes it:
/// the precision of the idle timeout. A session ends no earlier than its idle
/// setting after its last use, and no more than this later.
const TOUCH_EVERY: ChronoDuration = ChronoDuration::seconds(1);
/// Failed sign-ins further apart than this start a fresh count.
pub const FAILURE_WINDOW: ChronoDuration = ChronoDuration::minutes(15);
/// An address an account signed in from within this long is one of its usual ones.
pub const KNOWN_ADDRESS_FOR: ChronoDuration = ChronoDuration::days(90);

/// A random 256-bit token, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The key a session is stored under: the SHA-256 of its cookie token.
pub fn session_key(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A session just opened; `token` goes into the cookie and is not stored.
#[derive(Debug)]
pub struct Opened {
    pub token: String,
    pub user: User,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("The email or password is not right.")]
    Rejected,
    #[error("Too many failed sign-ins. Try again in {retry_after} seconds.")]
    Throttled { retry_after: u64 },
    #[error(transparent)]
    Service(#[from] Error),
}

impl From<sea_orm::DbErr> for SignInError {
    fn from(e: sea_orm::DbErr) -> Self {
        SignInError::Service(Error::Db(e))
    }
}

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub idle: std::time::Duration,
    pub absolute: std::time::Duration,
}

fn seconds_until(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    u64::try_from((until - now).num_milliseconds()).map_or(0, |ms| ms.div_ceil(1000))
}

/// How long `key` makes attempts wait, if it does; a count whose window has passed
/// (and whose wait is over) is cleared.
async fn waiting_for(db: &DatabaseConnection, key: &str, now: DateTime<Utc>) -> Result<Option<u64>, sea_orm::DbErr> {
    let Some(counter) = store::throttle::get(db, key).await? else { return Ok(None) };
    if let Some(until) = counter.locked_until.filter(|until| *until > now) {
        return Ok(Some(seconds_until(until, now).max(1)));
    }
    if now - counter.window_started_at > FAILURE_WINDOW {
        store::throttle::clear(db, key).await?;
    }
    Ok(None)
}

/// Counts a failure on `key` and locks it for `lockout` at `max` failures.
async fn count_failure(
    db: &DatabaseConnection,
    key: &str,
    max: u32,
    lockout: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let failures = store::throttle::add_failure(db, key, now).await?;
    if u32::try_from(failures).unwrap_or(u32::MAX) >= max {
        let lockout = ChronoDuration::from_std(lockout).unwrap_or(ChronoDuration::seconds(60));
        store::throttle::lock(db, key, now + lockout).await?;
    }
    Ok(())
}

/// Counts a failure on the account across all addresses and sets how long its next
/// attempt from an address it has not signed in from must wait.
async fn slow_down(
    db: &DatabaseConnection,
    key: &str,
    throttle: ThrottleSettings,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let failures = store::throttle::add_failure(db, key, now).await?;
    let failures = u32::try_from(failures).unwrap_or(u32::MAX);
    if let Some(wait) = account_delay(failures, throttle.max_failures_per_account, throttle.lockout) {
        store::throttle::delay(db, key, now + wait).await?;
    }
    Ok(())
}

/// The wait an account's `failures`-th failure imposes: none for the first
/// `free - 1`, then one second doubling with every further failure, up to `cap`.
fn account_delay(failures: u32, free: u32, cap: std::time::Duration) -> Option<ChronoDuration> {
    let over = failures.checked_sub(free)?;
    let seconds = 1u64.checked_shl(over.min(62)).unwrap_or(u64::MAX).min(cap.as_secs().max(1));
    Some(ChronoDuration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX)))
}

/// Checks the credentials and opens a session.
///
/// Failed sign-ins are counted three ways (OWASP's advice against both guessing
/// and targeted lockout): per account and address pair, which locks that pair for
/// the lockout after the allowed failures; per address, which locks the address the
/// same way after many; and per account across all addresses, which never locks but
/// makes attempts wait a delay that doubles with each further failure, except from
/// the addresses the account signed in from within [`KNOWN_ADDRESS_FOR`], so its
/// owner keeps signing in from them while someone guessing elsewhere is slowed down.
/// Waiting attempts are refused before any hashing, so a flood costs little. Unknown
/// emails, wrong passwords and disabled accounts get the same answer.
///
/// The session the browser held before (`replacing`), if any, ends in the same
/// transaction: a new session id at every sign-in.
///
/// # Errors
/// `Rejected`, `Throttled`, or a database error.
pub async fn sign_in(
    db: &DatabaseConnection,
    passwords: &Passwords,
    throttle: ThrottleSettings,
    (email, password): (&str, &str),
    client: &str,
    replacing: Option<&str>,
) -> Result<Opened, SignInError> {
    let now = Utc::now();
    let email = Email::parse(email).ok();
    let address_key = format!("address:{client}");
    let pair_key = email.as_ref().map(|e| format!("pair:{e}|{client}"));
    let account_key = email.as_ref().map(|e| format!("account:{e}"));
    let mut wait = waiting_for(db, &address_key, now).await?;
    if let (Some(email), Some(pair_key), Some(account_key)) = (&email, &pair_key, &account_key) {
        wait = wait.max(waiting_for(db, pair_key, now).await?);
        let usual = store::throttle::is_known_address(db, email.as_str(), client, now - KNOWN_ADDRESS_FOR).await?;
        if !usual {
            wait = wait.max(waiting_for(db, account_key, now).await?);
        }
    }
    if let Some(retry_after) = wait {
        audit_denied(
            db,
            None,
            client,
            "sign_in",
            ("session", None),
            json!({"email": email.as_ref().map(Email::as_str), "reason": "throttled"}),
        )
        .await?;
        return Err(SignInError::Throttled { retry_after });
    }

    let found = match &email {
        Some(email) => store::users::find_by_email(db, email).await?,
        None => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    let matched = passwords.verify(hash, password).await?;
    let user = match user {
        Some(user) if matched && user.status == UserStatus::Active => user,
        other => {
            count_failure(db, &address_key, throttle.max_failures_per_address, throttle.lockout, now).await?;
            if let (Some(pair_key), Some(account_key)) = (&pair_key, &account_key) {
                count_failure(db, pair_key, throttle.max_failures_per_account, throttle.lockout, now).await?;
                slow_down(db, account_key, throttle, now).await?;
            }
            audit_denied(
                db,
                other.as_ref().map(|u| u.id),
                client,
                "sign_in",
                ("session", None),
                json!({"email": email.as_ref().map(Email::as_str)}),
            )
            .await?;
            return Err(SignInError::Rejected);
        }
    };

    let token = random_token();
    let txn = db.begin().await?;
    if let Some(old) = replacing {
        store::sessions::delete(&txn, old).await?;
    }
    store::sessions::create(&txn, &session_key(&token), user.id, &random_token()).await?;
    store::users::touch_sign_in(&txn, user.id, now).await?;
    // The account's count across addresses stays: someone guessing elsewhere is not
    // let off because its owner signed in.
    if let (Some(email), Some(pair_key)) = (&email, &pair_key) {
        store::throttle::clear(&txn, pair_key).await?;
        store::throttle::remember_address(&txn, email.as_str(), client, now).await?;
    }
    audit_allowed(&txn, Who { user_id: user.id, client }, "sign_in", ("session", None), json!({})).await?;
    txn.commit().await?;
    Ok(Opened { token, user })
}

/// Finds the live session for a cookie token, with its user's facts, ending it if
/// it has expired or its account is no longer active.
///
/// # Errors
/// Database errors.
pub async fn resume(
    db: &DatabaseConnection,
    token: &str,
    lifetimes: Lifetimes,
) -> Result<Option<(SessionRow, UserFacts)>, sea_orm::DbErr> {
    let key = session_key(token);
    let Some((session, facts)) = store::sessions::find_with_facts(db, &key).await? else { return Ok(None) };
    let now = Utc::now();
    let idle = ChronoDuration::from_std(lifetimes.idle).unwrap_or(ChronoDuration::minutes(30));
    let absolute = ChronoDuration::from_std(lifetimes.absolute).unwrap_or(ChronoDuration::hours(12));
    let expired = now - session.last_seen_at > idle + TOUCH_EVERY || now - session.created_at > absolute;
    if expired || facts.user.status != UserStatus::Active {
        store::sessions::delete(db, &key).await?;
        return Ok(None);
    }
    if now - session.last_seen_at >= TOUCH_EVERY {
        store::sessions::touch(db, &key, now).await?;
    }
    Ok(Some((session, facts)))
}

/// Ends the session server-side.
///
/// # Errors
/// Database errors.
pub async fn sign_out(db: &DatabaseConnection, session_id: &str, who: Who<'_>) -> Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    store::sessions::delete(&txn, session_id).await?;
    audit_allowed(&txn, who, "sign_out", ("session", None), json!({})).await?;
    txn.commit().await
}

/// Raw fields of the change-password form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub current: String,
    #[serde(default)]
    pub new: String,
    #[serde(default)]
    pub confirm: String,
}

/// Changes the user's password and ends their other sessions.
///
/// # Errors
/// `Invalid` for a wrong current password, a mismatch or a weak new password.
pub async fn change_password(
    db: &DatabaseConnection,
    passwords: &Passwords,
    user: &User,
    session_id: &str,
    form: &PasswordForm,
    client: &str,
) -> Result<u64, Error> {
    let (_, hash) = store::users::find_with_hash(db, user.id).await?.ok_or(Error::NotFound)?;
    if !passwords.verify(hash, &form.current).await? {
        audit_denied(
            db,
            Some(user.id),
            client,
            "change_password",
            ("user", Some(user.id)),
            json!({"reason": "wrong current password"}),
        )
        .await?;
        return Err(Invalid::new("Your current password is not right.").into());
    }
    if form.new != form.confirm {
        return Err(Invalid::new("The new password and its confirmation differ.").into());
    }
    let new = NewPassword::parse(&form.new, &[user.email.as_str(), &user.name])?;
    let hash = passwords.hash(new.expose()).await?;
    let txn = db.begin().await?;
    store::users::set_password(&txn, user.id, hash).await?;
    let ended = store::sessions::delete_for_user(&txn, user.id, Some(session_id)).await?;
    audit_allowed(
        &txn,
        Who { user_id: user.id, client },
        "change_password",
        ("user", Some(user.id)),
        json!({"other_sessions_ended": ended}),
    )
    .await?;
    txn.commit().await?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accounts_delay_starts_at_the_allowed_failures_and_doubles_up_to_the_cap() {
        let cap = std::time::Duration::from_secs(60);
        let delays: Vec<Option<i64>> = (1..=13).map(|f| account_delay(f, 5, cap).map(|d| d.num_seconds())).collect();
        assert_eq!(delays[..4], [None, None, None, None]);
        assert_eq!(delays[4..], [Some(1), Some(2), Some(4), Some(8), Some(16), Some(32), Some(60), Some(60), Some(60)]);
        assert_eq!(account_delay(u32::MAX, 5, cap).map(|d| d.num_seconds()), Some(60));
    }
}
