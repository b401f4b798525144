//! Database settings: URL, pool size and timeouts. The URL may hold a password, so
//! `Debug` shows it redacted.

use std::{path::PathBuf, time::Duration};

use super::{ConfigError, bounded};

/// The default database: a SQLite file under `data/`, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/apiary.db?mode=rwc";

/// A pooled connection's lifetime unless `DATABASE_MAX_LIFETIME_SECS` says otherwise
/// (the connection pool's own default).
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// How to reach the relational database.
#[derive(Clone)]
pub struct DatabaseSettings {
    /// `sqlite:...` or `postgres://...`; may contain a password.
    pub url: String,
    /// Upper bound of the connection pool.
    pub max_connections: u32,
    /// How long opening one connection may take.
    pub connect_timeout: Duration,
    /// How long a query may wait for a free pooled connection.
    pub acquire_timeout: Duration,
    /// How long a pooled connection lives before the pool closes it and opens another,
    /// so that a server-side restart, failover or proxy rotation reaches every
    /// connection in time.
    pub max_lifetime: Duration,
    /// PostgreSQL only: connections of their own that the request paths' reads share,
    /// each carrying many queries at once; 0 reads through the pool instead.
    pub read_connections: u32,
    /// Whether an empty database gets the demo catalogue and demo orders
    /// (`SEED_DEMO_DATA`; on by default, off by default with `APP_ENV=production`).
    pub seed_demo_data: bool,
}

/// `DATABASE_READ_CONNECTIONS` unless set.
pub const DEFAULT_READ_CONNECTIONS: u32 = 4;

impl DatabaseSettings {
    /// Settings for `url` with the documented pool defaults (handy in tests).
    pub fn with_url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(5),
            max_lifetime: DEFAULT_MAX_LIFETIME,
            read_connections: DEFAULT_READ_CONNECTIONS,
            seed_demo_data: true,
        }
    }

    /// True for a `sqlite:` URL.
    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }

    /// The file a SQLite URL points at, or `None` for in-memory databases and other
    /// backends. `sqlite://data/x.db` is relative, `sqlite:///tmp/x.db` absolute.
    pub fn sqlite_file_path(&self) -> Option<PathBuf> {
        let rest = self.url.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let in_memory = path.is_empty()
            || path == ":memory:"
            || query.split('&').any(|pair| pair == "mode=memory");
        (!in_memory).then(|| PathBuf::from(path))
    }

    /// The URL with any password replaced by `***`, for logs and messages.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &self.redacted_url())
            .field("max_connections", &self.max_connections)
            .field("connect_timeout", &self.connect_timeout)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("max_lifetime", &self.max_lifetime)
            .field("read_connections", &self.read_connections)
            .field("seed_demo_data", &self.seed_demo_data)
            .finish()
    }
}

/// `scheme://user:password@host/...` becomes `scheme://user:***@host/...`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    // The last `@` ends the user info: a password may itself contain `@`.
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let Some(colon) = authority[..at].find(':') else {
        return url.to_owned();
    };
    format!(
        "{}{}***{}",
        &url[..scheme_end],
        &authority[..=colon],
        &url[scheme_end + at..]
    )
}

pub(super) fn from_lookup(
    get: &impl Fn(&str) -> Option<String>,
    production: bool,
) -> Result<DatabaseSettings, ConfigError> {
    let url = get("DATABASE_URL")
        .map_or_else(|| DEFAULT_DATABASE_URL.to_owned(), |u| u.trim().to_owned());
    // Only the scheme is echoed: the rest may carry a password.
    if !["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|scheme| url.starts_with(scheme))
    {
        return Err(ConfigError::new(
            "DATABASE_URL",
            "must start with sqlite:, postgres:// or postgresql://",
        ));
    }
    let max_connections = bounded(get, "DATABASE_MAX_CONNECTIONS", 10, 1, 1000)?;
    Ok(DatabaseSettings {
        url,
        max_connections: u32::try_from(max_connections).unwrap_or(u32::MAX),
        connect_timeout: Duration::from_secs(bounded(
            get,
            "DATABASE_CONNECT_TIMEOUT_SECS",
            5,
            1,
            3600,
        )?),
        acquire_timeout: Duration::from_secs(bounded(
            get,
            "DATABASE_ACQUIRE_TIMEOUT_SECS",
            5,
            1,
            3600,
        )?),
        max_lifetime: Duration::from_secs(bounded(
            get,
            "DATABASE_MAX_LIFETIME_SECS",
            DEFAULT_MAX_LIFETIME.as_secs(),
            1,
            86_400,
        )?),
        read_connections: u32::try_from(bounded(
            get,
            "DATABASE_READ_CONNECTIONS",
            DEFAULT_READ_CONNECTIONS.into(),
            0,
            64,
        )?)
        .unwrap_or(u32::MAX),
        seed_demo_data: seed_demo_data(get, production)?,
    })
}

/// `SEED_DEMO_DATA`: `on` or `off`. Unset, a production database is never seeded: its
/// first users must not find orders they never placed.
fn seed_demo_data(
    get: &impl Fn(&str) -> Option<String>,
    production: bool,
) -> Result<bool, ConfigError> {
    match get("SEED_DEMO_DATA").as_deref().map(str::trim) {
        None => Ok(!production),
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        Some(other) => Err(ConfigError::new(
            "SEED_DEMO_DATA",
            format!("`{other}` is not `on` or `off`"),
        )),
    }
}
