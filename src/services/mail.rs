//! Delivering the email outbox: through SMTP when `PORTAL_SMTP_URL` is set, otherwise
//! written to the log and kept, so nothing is lost and an operator can see what
//! would have gone out.

use chrono::Utc;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor, message::Mailbox};
use sea_orm::{ConnectionTrait, DbBackend, TransactionSession, TransactionTrait};

use super::Error;
use crate::store::notifications::{self as outbox, OutgoingEmail};

/// Attempts before an email is marked failed.
pub const MAX_ATTEMPTS: i32 = 5;

/// How the outbox leaves the portal.
#[derive(Clone)]
pub enum Mailer {
    /// No SMTP server configured: emails are logged.
    Log,
    Smtp(Box<Smtp>),
}

/// A configured SMTP server.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    base_url: String,
}

impl Mailer {
    /// # Errors
    /// A malformed SMTP URL or sender address.
    pub fn new(smtp_url: Option<&str>, from: &str, base_url: &str) -> Result<Self, String> {
        let Some(url) = smtp_url else { return Ok(Mailer::Log) };
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| format!("PORTAL_SMTP_URL: {e}"))?.build();
        let from = from.parse().map_err(|e| format!("PORTAL_MAIL_FROM: {e}"))?;
        Ok(Mailer::Smtp(Box::new(Smtp { transport, from, base_url: base_url.to_owned() })))
    }

    async fn send(&self, email: &OutgoingEmail) -> Result<&'static str, String> {
        match self {
            Mailer::Log => {
                tracing::info!(to = %email.to_email, subject = %email.subject, "email (no SMTP server configured)");
                Ok("logged")
            }
            Mailer::Smtp(smtp) => {
                let Smtp { transport, from, base_url } = smtp.as_ref();
                let to: Mailbox = email.to_email.parse().map_err(|e| format!("recipient: {e}"))?;
                let body = email.body.replace("Open the request: /", &format!("Open the request: {base_url}/"));
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(email.subject.clone())
                    .body(body)
                    .map_err(|e| e.to_string())?;
                transport.send(message).await.map_err(|e| e.to_string())?;
                Ok("sent")
            }
        }
    }
}

/// Delivers up to `limit` pending emails; returns how many left the outbox. On
/// PostgreSQL they are claimed `FOR UPDATE SKIP LOCKED` inside one transaction, so
/// two instances never send the same email.
///
/// # Errors
/// Database errors (a failed send is recorded on the email instead).
pub async fn deliver_pending(
    db: &(impl ConnectionTrait + TransactionTrait),
    mailer: &Mailer,
    limit: u64,
) -> Result<usize, Error> {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let early = if postgres { Vec::new() } else { outbox::claim_emails(db, limit).await? };
    let txn = db.begin().await?;
    let emails = if postgres { outbox::claim_emails(&txn, limit).await? } else { early };
    let mut delivered = 0;
    for email in &emails {
        let attempts = email.attempts + 1;
        match mailer.send(email).await {
            Ok(status) => {
                outbox::mark_email(&txn, email.id, status, attempts, None, Utc::now()).await?;
                delivered += 1;
            }
            Err(err) => {
                tracing::warn!(id = email.id, %err, "email not delivered");
                let status = if attempts >= MAX_ATTEMPTS { "failed" } else { "pending" };
                outbox::mark_email(&txn, email.id, status, attempts, Some(&err), Utc::now()).await?;
            }
        }
    }
    txn.commit().await?;
    Ok(delivered)
}
