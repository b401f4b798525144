//! Registration, credentials and preferences. Passwords exist only as bcrypt hashes,
//! computed by [`PasswordHasher`] so they never stall the async workers, and never
//! appear in a log line, an error or a returned value.

#[cfg(test)]
mod tests;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, QueryTrait, SqlErr,
    sea_query::Expr,
};

use super::{DomainError, passwords::PasswordHasher, validate};
use crate::storage::Reader;
use crate::storage::entities::users::{self, Column, Entity, Model};

/// bcrypt reads at most 72 bytes; a longer password is refused, never truncated
/// (truncation would make every password sharing the first 72 bytes valid).
pub const MAX_PASSWORD_BYTES: usize = 72;

/// The salt and digest of a real bcrypt hash, used with the configured cost as the
/// hash to check when the email is unknown: verifying it costs exactly as much as a
/// real check, and no password matches it. Only the cost prefix changes, so there is
/// nothing to compute at start-up.
const DUMMY_HASH_TAIL: &str = "Lb9aYJRJYzJ9z6i6BBuqVuYaWsAAIew6vq3MUTyNMHXoUtxdcqb0O";

/// A well-formed bcrypt hash at `cost` that no password matches: verifying against it
/// costs what verifying a real user's hash costs.
fn dummy_hash(cost: u32) -> String {
    format!("$2b${cost:02}${DUMMY_HASH_TAIL}")
}

/// A user's settings. New users get `en-US`, `EUR` and no marketing emails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    pub locale: String,
    pub currency: String,
    pub marketing_emails: bool,
}

/// A registered user. Carries no password nor hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    /// Lower-cased.
    pub email: String,
    pub phone: Option<String>,
    pub created_at: DateTime<Utc>,
    pub preferences: Preferences,
}

/// A registration. `Debug` hides the password.
#[derive(Clone)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    pub phone: Option<String>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .field("phone", &self.phone)
            .finish()
    }
}

/// A partial change of [`Preferences`]: `None` keeps the stored value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreferencesPatch {
    pub locale: Option<String>,
    pub currency: Option<String>,
    pub marketing_emails: Option<bool>,
}

impl From<users::Model> for User {
    fn from(m: users::Model) -> Self {
        Self {
            id: m.id,
            email: m.email,
            phone: m.phone,
            created_at: m.created_at,
            preferences: Preferences {
                locale: m.locale,
                currency: m.currency,
                marketing_emails: m.marketing_emails,
            },
        }
    }
}

/// Registration, authentication and preferences of users.
#[derive(Clone)]
pub struct UserService {
    reader: Reader,
    hasher: PasswordHasher,
}

impl std::fmt::Debug for UserService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserService")
            .field("hasher", &self.hasher)
            .finish_non_exhaustive()
    }
}

impl UserService {
    pub fn new(reader: Reader, hasher: PasswordHasher) -> Self {
        Self { reader, hasher }
    }

    fn db(&self) -> &DatabaseConnection {
        self.reader.connection()
    }

    /// Creates a user with the default preferences. The email is stored as
    /// [`normalise_email`] writes it (lower-cased ASCII);
    /// a taken email (in any case, even by a registration racing this one) is
    /// `AlreadyExists`.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn register(&self, new: NewUser) -> Result<User, DomainError> {
        let email = normalise_email(&new.email)?;
        check_password(&new.password)?;
        if let Some(phone) = &new.phone {
            check_phone(phone)?;
        }
        let hash = self.hasher.hash(new.password).await?;
        let row = users::ActiveModel {
            id: NotSet,
            email: Set(email),
            password_hash: Set(hash),
            phone: Set(new.phone),
            // Microseconds: what PostgreSQL keeps, so the returned value is the stored one.
            created_at: Set(Utc::now().trunc_subsecs(6)),
            locale: Set("en-US".to_owned()),
            currency: Set("EUR".to_owned()),
            marketing_emails: Set(false),
        };
        // No "does it exist?" query first: two registrations could both pass it. The
        // UNIQUE constraint decides, atomically, on SQLite and PostgreSQL alike.
        match row.insert(self.db()).await {
            Ok(model) => Ok(model.into()),
            Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Err(DomainError::AlreadyExists {
                    resource: "user",
                    detail: "A user with this email already exists.".to_owned(),
                })
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The user these credentials belong to. An unknown email and a wrong password
    /// both give `InvalidCredentials` after the same bcrypt work, so neither the answer
    /// nor its timing tells whether the email is registered.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<User, DomainError> {
        // Longer passwords cannot have been registered, and bcrypt would truncate them
        // into a match. Refusing early leaks nothing: the caller knows the length.
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(DomainError::InvalidCredentials);
        }
        // An address registration refuses is nobody's (this also keeps a NUL, which
        // PostgreSQL refuses in a query, out of the lookup).
        let Ok(email) = normalise_email(email) else {
            return Err(DomainError::InvalidCredentials);
        };
        let found = Entity::find()
            .filter(Column::Email.eq(email))
            .one(self.db())
            .await?;
        let hash = match &found {
            Some(user) => user.password_hash.clone(),
            None => dummy_hash(self.hasher.cost()),
        };
        let matches = self.hasher.verify(password.to_owned(), hash).await?;
        match found {
            Some(user) if matches => Ok(user.into()),
            _ => Err(DomainError::InvalidCredentials),
        }
    }

    /// The user with this id, with their preferences.
    pub async fn get(&self, user_id: i64) -> Result<User, DomainError> {
        let query = Entity::find_by_id(user_id).limit(1);
        self.reader
            .one::<Model>(query.build(self.db().get_database_backend()))
            .await?
            .map(User::from)
            .ok_or_else(|| not_found(user_id))
    }

    /// Merges the given fields into the stored preferences with one UPDATE (so two
    /// concurrent patches of different fields both survive) and returns the result.
    #[tracing::instrument(skip_all, fields(user.id = user_id), err(level = "debug"))]
    pub async fn update_preferences(
        &self,
        user_id: i64,
        patch: PreferencesPatch,
    ) -> Result<Preferences, DomainError> {
        let mut update = Entity::update_many().filter(Column::Id.eq(user_id));
        let mut changed = false;
        if let Some(locale) = patch.locale {
            validate::locale("locale", &locale)?;
            update = update.col_expr(Column::Locale, Expr::value(locale));
            changed = true;
        }
        if let Some(currency) = patch.currency {
            validate::currency("currency", &currency)?;
            update = update.col_expr(Column::Currency, Expr::value(currency));
            changed = true;
        }
        if let Some(marketing_emails) = patch.marketing_emails {
            update = update.col_expr(Column::MarketingEmails, Expr::value(marketing_emails));
            changed = true;
        }
        if !changed {
            return Ok(self.get(user_id).await?.preferences);
        }
        // RETURNING (SQLite 3.35+, PostgreSQL) hands back the merged row atomically.
        let updated = update.exec_with_returning(self.db()).await?;
        updated
            .into_iter()
            .next()
            .map(|model| User::from(model).preferences)
            .ok_or_else(|| not_found(user_id))
    }
}

fn not_found(user_id: i64) -> DomainError {
    DomainError::NotFound {
        resource: "user",
        id: user_id.to_string(),
    }
}

/// The one form in which an email is stored and looked up, for registration and login
/// alike: printable ASCII (all the spec's `format: email` accepts; the HTTP layer checks
/// the rest of the format), lower-cased. An address outside it is refused, never folded
/// into it: full Unicode lower-casing would turn the Kelvin sign (U+212A) into `k`, and
/// let a login match an account under a spelling its registration refuses.
pub(crate) fn normalise_email(email: &str) -> Result<String, DomainError> {
    let printable = email.bytes().all(|b| (b' '..=b'~').contains(&b));
    let at = email.find('@');
    if !printable || email.len() > 254 || at.is_none_or(|i| i == 0 || i + 1 == email.len()) {
        return Err(DomainError::invalid(
            "email",
            "must be an email address of at most 254 ASCII characters",
        ));
    }
    Ok(email.to_ascii_lowercase())
}

fn check_password(password: &str) -> Result<(), DomainError> {
    if password.is_empty() {
        return Err(DomainError::invalid("password", "must not be empty"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(DomainError::invalid(
            "password",
            format!("must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8 (bcrypt's limit)"),
        ));
    }
    Ok(())
}

/// E.164: `+`, a non-zero digit, then 6 to 14 digits.
fn check_phone(phone: &str) -> Result<(), DomainError> {
    let digits = phone.strip_prefix('+').unwrap_or_default();
    let ok = (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "phone",
            "must be an E.164 number such as +442071838750",
        ))
    }
}
