//! The values a summary is made of, as the API outline defines them, and the rules a
//! value from any source must pass before it is shown to a client.

use std::fmt;

use chrono::{DateTime, Utc};

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 200;
/// Longest avatar URL, in characters (what browsers and proxies reliably accept).
pub const MAX_AVATAR_URL_CHARS: usize = 2048;
/// Longest bio, in characters.
pub const MAX_BIO_CHARS: usize = 2000;

/// How a user presents themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub user_id: i64,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub bio: Option<String>,
}

impl Profile {
    /// The profile of a user who never wrote one: the local part of their email as the
    /// display name, nothing else. Users register at runtime, so no seed could give
    /// them a row in advance.
    pub fn synthesised(user_id: i64, email: &str) -> Self {
        let local = email.split('@').next().unwrap_or_default();
        let mut display_name: String = local.chars().take(MAX_DISPLAY_NAME_CHARS).collect();
        if display_name.trim().is_empty() {
            // Unreachable for registered users (the domain refuses `@example.com`),
            // but a profile must never have an empty name.
            display_name = format!("user {user_id}");
        }
        Self {
            user_id,
            display_name,
            avatar_url: None,
            bio: None,
        }
    }

    /// `Ok` when the profile can be shown as it is; otherwise what is wrong (for the
    /// log, never for the client).
    pub fn check(&self) -> Result<(), String> {
        let name = self.display_name.chars().count();
        if self.display_name.trim().is_empty() || name > MAX_DISPLAY_NAME_CHARS {
            return Err(format!(
                "display_name has {name} characters, not 1 to {MAX_DISPLAY_NAME_CHARS} (or is blank)"
            ));
        }
        if let Some(url) = &self.avatar_url {
            let web = url.starts_with("https://") || url.starts_with("http://");
            if !web
                || url.chars().count() > MAX_AVATAR_URL_CHARS
                || url.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(format!(
                    "avatar_url is not an http(s) URL of at most {MAX_AVATAR_URL_CHARS} characters"
                ));
            }
        }
        if let Some(bio) = &self.bio
            && bio.chars().count() > MAX_BIO_CHARS
        {
            return Err(format!("bio is longer than {MAX_BIO_CHARS} characters"));
        }
        Ok(())
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Pending,
    Paid,
    Shipped,
    Cancelled,
}

impl OrderStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [Self; 4] = [Self::Pending, Self::Paid, Self::Shipped, Self::Cancelled];

    /// The name used on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Cancelled => "cancelled",
        }
    }

    /// The status named exactly `value` (lower-case), if any.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One order of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: i64,
    pub user_id: i64,
    pub status: OrderStatus,
    /// In the currency's minor unit; integers, so no rounding ever happens.
    pub total_cents: i64,
    /// ISO 4217 code.
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

impl Order {
    /// `Ok` when the order can be shown as it is; otherwise what is wrong (for the log).
    pub fn check(&self) -> Result<(), String> {
        if self.id < 1 {
            return Err(format!("order id {} is not positive", self.id));
        }
        if self.total_cents < 0 {
            return Err(format!("order {}: total_cents is negative", self.id));
        }
        if !is_currency_code(&self.currency) {
            return Err(format!(
                "order {}: currency is not three upper-case letters",
                self.id
            ));
        }
        Ok(())
    }
}

/// ISO 4217 shape, `^[A-Z]{3}$`.
pub fn is_currency_code(value: &str) -> bool {
    value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase())
}

/// One of the two sources a summary is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Profile,
    Orders,
}

impl Source {
    /// The name used on the wire (`errors[].source`) and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Profile => "profile",
            Self::Orders => "orders",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a source gave nothing. Deliberately coarse: clients can act on these three, and
/// the detail (status code, parse error) goes to the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// No complete answer within the per-call timeout.
    Timeout,
    /// Unreachable, or answered with an error status.
    Unavailable,
    /// Answered, but not with a valid value (bad JSON, wrong shape, too large).
    InvalidResponse,
}

impl FailureReason {
    /// The name used on the wire (`errors[].reason`) and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Unavailable => "unavailable",
            Self::InvalidResponse => "invalid_response",
        }
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A source that failed, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceFailure {
    pub source: Source,
    pub reason: FailureReason,
}

/// What arrived. `partial` is true exactly when `errors` is not empty; the part of a
/// failed source is `None`. At least one part is always present (both failing is
/// [`super::SummaryError::AllFailed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub profile: Option<Profile>,
    /// Newest first (by `created_at`, then `id`).
    pub orders: Option<Vec<Order>>,
    pub partial: bool,
    /// In source order: profile first, then orders.
    pub errors: Vec<SourceFailure>,
}
