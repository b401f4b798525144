//! Business rules, free of any transport: registration and credentials (`users`),
//! access tokens (`tokens`) and the catalogue (`products`). Services are cheap to
//! clone (they hold a pooled connection or shared keys) and report [`DomainError`].

pub mod authentication;
pub mod images;
pub mod passwords;
pub mod products;
pub mod scopes;
pub mod summary;
pub mod tokens;
pub mod users;

#[cfg(test)]
mod test_support;
mod validate;

/// What can go wrong in a use case. The `Display` text of every variant but
/// `Internal` is written for clients and safe to show them; `Internal` displays only
/// "internal error" and carries its cause (for the log) as its `source`.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The resource does not exist (or is not visible to the caller).
    #[error("No {resource} has id {id}.")]
    NotFound { resource: &'static str, id: String },
    /// Creating it would break a uniqueness rule (e.g. a taken email).
    #[error("{detail}")]
    AlreadyExists {
        resource: &'static str,
        detail: String,
    },
    /// A value breaks a business rule; `field` names it as the API does.
    #[error("{field}: {message}")]
    InvalidInput { field: String, message: String },
    /// The input is of a kind the use case does not handle at all (e.g. not an image).
    #[error("{0}")]
    Unsupported(String),
    /// The input is of the right kind but cannot be used (e.g. an undecodable image).
    #[error("{0}")]
    Unprocessable(String),
    /// The resource exists but is not ready for this yet (e.g. still being processed).
    #[error("{0}")]
    NotReady(String),
    /// The caller keeps as many of something as they may (e.g. stored images).
    #[error("{0}")]
    LimitReached(String),
    /// Unknown email or wrong password: deliberately indistinguishable.
    #[error("The email or password is wrong.")]
    InvalidCredentials,
    /// A backing service (the database) does not answer; worth retrying later.
    #[error("{0}")]
    Unavailable(String),
    /// The work is queued behind more than the service answers in time (passwords to
    /// hash); worth retrying after `retry_after_secs`.
    #[error(
        "Passwords are arriving faster than they can be checked; retry in {retry_after_secs} s."
    )]
    Overloaded { retry_after_secs: u64 },
    /// A shared resource of this process (e.g. the memory for decoding images) is in
    /// use up to its bound; worth retrying after `retry_after_secs`.
    #[error("{detail}")]
    Busy {
        detail: String,
        retry_after_secs: u64,
    },
    /// A bug or an unexpected failure. Log the cause; never send it.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl DomainError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<sea_orm::DbErr> for DomainError {
    fn from(error: sea_orm::DbErr) -> Self {
        match error {
            // No connection could be had: the database is down or overloaded, which
            // the client may retry (503), unlike a failing query (a bug: 500).
            sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
                if matches!(
                    error,
                    sea_orm::DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout)
                ) {
                    metrics::counter!(crate::telemetry::recorder::DB_POOL_TIMEOUTS).increment(1);
                }
                tracing::warn!(error = %error, "the database does not answer");
                Self::Unavailable("The database does not answer.".to_owned())
            }
            other => Self::Internal(anyhow::Error::new(other).context("Database query failed")),
        }
    }
}

impl From<crate::storage::blobs::BlobError> for DomainError {
    fn from(error: crate::storage::blobs::BlobError) -> Self {
        match error {
            // Down, not broken: the client may retry (503), as with the database.
            crate::storage::blobs::BlobError::Unavailable(cause) => {
                tracing::warn!(
                    error = format!("{cause:#}"),
                    "the image store does not answer"
                );
                Self::Unavailable("The image store does not answer; retry shortly.".to_owned())
            }
            crate::storage::blobs::BlobError::Other(cause) => {
                Self::Internal(cause.context("The image store failed"))
            }
        }
    }
}

impl From<tokio::task::JoinError> for DomainError {
    fn from(error: tokio::task::JoinError) -> Self {
        Self::Internal(anyhow::Error::new(error).context("A blocking task failed"))
    }
}
