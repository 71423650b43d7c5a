use super::Invalid;

/// A password someone chose for themselves: at least 12 characters, at most 256, and
/// not one that a guessing attack tries early.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    const MAX_CHARS: usize = 256;

    /// `context` holds words the password must not lean on (the user's email, name).
    ///
    /// # Errors
    /// Too short, too long, or found by zxcvbn's dictionaries of common passwords,
    /// names and keyboard patterns (score below 3).
    pub fn parse(raw: &str, context: &[&str]) -> Result<Self, Invalid> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(Invalid::new(format!("Choose a password of at least {} characters.", Self::MIN_CHARS)));
        }
        if chars > Self::MAX_CHARS {
            return Err(Invalid::new("Choose a password of at most 256 characters."));
        }
        // zxcvbn carries the common-password lists (and patterns such as
        // "qwertyuiop123"), so we do not ship a list of our own.
        if zxcvbn::zxcvbn(raw, context).score() < zxcvbn::Score::Three {
            return Err(Invalid::new("That password is too common or too easy to guess; try a longer phrase."));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_common_passwords_are_refused() {
        for bad in ["short", "password1234", "123456789012", "qwertyuiopasdf", "bob@blueharbor.example"] {
            assert!(NewPassword::parse(bad, &["bob@blueharbor.example"]).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn a_long_unusual_phrase_is_accepted() {
        assert!(NewPassword::parse("violet kettle orbits 7 harbors", &[]).is_ok());
    }
}
