//! Deciding an approval step: the decision with its comment, and the states a step
//! goes through.

use crate::Invalid;

/// A decision on the current step, with its comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Approve,
    Reject,
    SendBack,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approve => "approved",
            Outcome::Reject => "rejected",
            Outcome::SendBack => "sent_back",
        }
    }
}

/// The longest comment kept.
pub const MAX_COMMENT: usize = 4000;

impl Decision {
    /// Parses the decision form: `approve`, `reject` or `send_back`, and a comment that
    /// rejections and send-backs must have.
    ///
    /// # Errors
    /// An unknown decision, a missing comment, or one longer than [`MAX_COMMENT`].
    pub fn parse(decision: &str, comment: &str) -> Result<Self, Invalid> {
        let outcome = match decision.trim() {
            "approve" => Outcome::Approve,
            "reject" => Outcome::Reject,
            "send_back" => Outcome::SendBack,
            _ => return Err(Invalid::new("Choose approve, reject or send back.")),
        };
        let comment = comment.trim();
        if comment.chars().count() > MAX_COMMENT {
            return Err(Invalid::new(format!("Keep the comment under {MAX_COMMENT} characters.")));
        }
        if comment.is_empty() && outcome != Outcome::Approve {
            return Err(Invalid::new("Say why in a comment: a rejection or a send-back needs one."));
        }
        Ok(Self { outcome, comment: (!comment.is_empty()).then(|| comment.to_owned()) })
    }
}

/// The state of one approval step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// A later step, not yet reached.
    Waiting,
    /// The current step, waiting for its decider.
    Pending,
    Approved,
    Rejected,
    SentBack,
    /// Not reached because the request was rejected, sent back or withdrawn first.
    Cancelled,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Waiting => "waiting",
            StepStatus::Pending => "pending",
            StepStatus::Approved => "approved",
            StepStatus::Rejected => "rejected",
            StepStatus::SentBack => "sent_back",
            StepStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Waiting => "Waiting",
            StepStatus::Pending => "Waiting for decision",
            StepStatus::Approved => "Approved",
            StepStatus::Rejected => "Rejected",
            StepStatus::SentBack => "Sent back",
            StepStatus::Cancelled => "Not reached",
        }
    }

    /// # Errors
    /// An unknown step status.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        [
            StepStatus::Waiting,
            StepStatus::Pending,
            StepStatus::Approved,
            StepStatus::Rejected,
            StepStatus::SentBack,
            StepStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
        .ok_or_else(|| Invalid::new(format!("Unknown step status {raw:?}.")))
    }
}

impl Outcome {
    /// The status a step takes when decided so.
    pub fn step_status(self) -> StepStatus {
        match self {
            Outcome::Approve => StepStatus::Approved,
            Outcome::Reject => StepStatus::Rejected,
            Outcome::SendBack => StepStatus::SentBack,
        }
    }
}
