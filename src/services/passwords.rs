//! Password hashing with argon2id at OWASP's minimum cost (19 MiB, 2 passes, 1 lane).
//! Hashing runs on tokio's blocking pool behind a semaphore, so a flood of sign-ins
//! waits its turn instead of occupying the async workers that serve every other page,
//! and one that waits too long is told to come back later instead of queueing forever.

use std::sync::Arc;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};
use tokio::sync::Semaphore;

use super::Error;

/// How long a sign-in may wait for a free hasher before it is answered "busy".
const QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Verified against when the account does not exist, so that an unknown email
    /// costs as much time as a wrong password.
    dummy: Arc<String>,
}

fn argon2() -> Argon2<'static> {
    #[allow(clippy::expect_used)] // constant parameters, checked by the unit test below
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("hashing failed: {e}")))
}

fn verify_now(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
}

impl Passwords {
    /// `concurrency` hashes may run at once (the number of cores is a good choice).
    ///
    /// # Errors
    /// The dummy hash cannot be made (the system has no randomness).
    pub fn new(concurrency: usize) -> Result<Self, Error> {
        let dummy = hash_now("a password nobody has, for timing")?;
        Ok(Self { permits: Arc::new(Semaphore::new(concurrency.max(1))), dummy: Arc::new(dummy) })
    }

    /// # Errors
    /// Hashing fails or the blocking pool is gone (shutting down).
    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let _permit = self.permit().await?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_now(&password)).await.map_err(|e| Error::Internal(e.to_string()))?
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, Error> {
        match tokio::time::timeout(QUEUE_WAIT, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(Error::Internal(closed.to_string())),
            Err(_) => Err(Error::Busy),
        }
    }

    /// Whether `password` matches `stored`; with no stored hash it checks a dummy one
    /// (and answers no), taking the same time.
    ///
    /// # Errors
    /// `Busy` when every hasher stayed occupied for the whole wait.
    pub async fn verify(&self, stored: Option<String>, password: &str) -> Result<bool, Error> {
        let _permit = self.permit().await?;
        let (stored, real) = match stored {
            Some(s) => (s, true),
            None => ((*self.dummy).clone(), false),
        };
        let password = password.to_owned();
        let matched = tokio::task::spawn_blocking(move || verify_now(&stored, &password)).await.unwrap_or(false);
        Ok(matched && real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_argon2id() {
        let passwords = Passwords::new(1).expect("hasher");
        let hash = passwords.hash("correct horse battery staple").await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(passwords.verify(Some(hash.clone()), "correct horse battery staple").await.expect("verify"));
        assert!(!passwords.verify(Some(hash), "wrong horse battery staple").await.expect("verify"));
        assert!(!passwords.verify(None, "a password nobody has, for timing").await.expect("verify"));
    }
}
