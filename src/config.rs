//! Service configuration: one [`Settings`] tree read from environment variables.
//!
//! Every variable has a documented default except the secrets. Parsing goes through an
//! injectable lookup ([`Settings::from_lookup`]) so tests never touch the process
//! environment. An empty value counts as unset (handy with `.env` files and compose).
//!
//! | variable | default | allowed |
//! | --- | --- | --- |
//! | `APP_ENV` | `development` | `development`, `production`, `test` |
//! | `BIND_ADDR` | `127.0.0.1:8080` | a socket address |
//! | `LOG_FORMAT` | `pretty` | `pretty`, `json` |
//! | `MAX_BODY_BYTES` | `65536` | 1 ..= 1073741824 |
//! | `DATABASE_URL` | `sqlite://data/apiary.db?mode=rwc` | `sqlite:...`, `postgres://...`, `postgresql://...` |
//! | `DATABASE_MAX_CONNECTIONS` | `10` | 1 ..= 1000 |
//! | `DATABASE_CONNECT_TIMEOUT_SECS` | `5` | 1 ..= 3600 |
//! | `DATABASE_ACQUIRE_TIMEOUT_SECS` | `5` | 1 ..= 3600 |
//! | `JWT_SECRET` | random per process, except in production (required) | at least 32 bytes |
//! | `JWT_PREVIOUS_SECRETS` | none | comma-separated, each at least 32 bytes; verify only |
//! | `JWT_TTL_SECS` | `900` | 1 ..= 86400 |
//! | `JWT_ISSUER` | `apiary` | non-empty |
//! | `JWT_AUDIENCE` | `apiary-api` | non-empty |
//! | `CATALOGUE_ADMINS` | none | comma-separated emails; their tokens carry `products:write` |
//! | `BCRYPT_COST` | `12` | 10 ..= 31 (4 ..= 31 when `APP_ENV=test`) |
//! | `BCRYPT_CONCURRENCY` | cores - 1, at least 1 | 1 ..= 1024 |
//! | `BCRYPT_NICE` | `10` | 0 ..= 19 |
//! | `STORAGE_URL` | none (`STORAGE_DIR` then) | `s3://BUCKET/PREFIX` or `file://PATH`; wins over `STORAGE_DIR` |
//! | `STORAGE_DIR` | `data/images` | a directory (created on start) |
//! | `AWS_ENDPOINT_URL` | AWS itself | `https://...`; `http://` on a loopback host only |
//! | `AWS_REGION` | `us-east-1` | a region name |
//! | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` | the instance's credentials | both or neither; never logged |
//! | `AWS_SESSION_TOKEN` | none | temporary credentials' token; never logged |
//! | `IMAGE_WORKERS` | the number of cores | 0 ..= 256 (0: no worker in this process) |
//! | `IMAGE_JOB_VISIBILITY_SECS` | `60` | 1 ..= 86400 |
//! | `IMAGE_JOB_MAX_ATTEMPTS` | `5` | 1 ..= 100 |
//! | `IMAGE_JOB_BACKOFF_MS` | `1000` | 1 ..= 3600000 |
//! | `IMAGE_QUEUE_NAME` | `apiary:images` | a Redis key prefix |
//! | `CORS_ALLOWED_ORIGINS` | none | `*`, or comma-separated exact origins |
//! | `HTTP_HEADER_TIMEOUT_SECS` | `20` | 1 ..= 3600 |
//! | `HTTP_IDLE_TIMEOUT_SECS` | `60` | 1 ..= 3600 |
//! | `HTTP_BODY_TIMEOUT_SECS` | `60` | 1 ..= 3600 |
//! | `HTTP_MAX_CONNECTIONS` | `10000` | 1 ..= 1000000 (clamped below the open-file limit) |
//! | `HTTP_MAX_H2_STREAMS` | `100` | 1 ..= 10000 |

mod database;
mod http;
mod images;
mod secret;
mod storage;
#[cfg(test)]
mod tests;

use std::{net::SocketAddr, str::FromStr, time::Duration};

use crate::domain::{passwords::HashPool, scopes::Grants};
pub use database::DatabaseSettings;
pub use http::{AllowedOrigins, HttpSettings};
pub use images::ImageSettings;
pub use secret::Secret;
pub use storage::{S3Settings, StorageSettings};

/// Shortest accepted JWT secret: HS256 keys shorter than the hash output weaken it.
pub const MIN_SECRET_BYTES: usize = 32;
/// Length of a secret generated when none is configured (outside production).
const GENERATED_SECRET_BYTES: usize = 48;
/// bcrypt's own bounds; below [`MIN_BCRYPT_COST`] only tests may go (speed).
const BCRYPT_COST_BOUNDS: (u32, u32) = (4, 31);
/// The lowest cost outside tests: cheaper hashes make offline guessing too easy.
pub const MIN_BCRYPT_COST: u32 = 10;

/// A configuration value that cannot be used; the message names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {variable}: {message}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong and what is allowed (never the value of a secret).
    pub message: String,
}

impl ConfigError {
    fn new(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

/// Where the service runs; decides which safety nets are mandatory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppEnv {
    /// A developer's machine: forgiving defaults.
    #[default]
    Development,
    /// Real traffic: secrets must be configured.
    Production,
    /// Automated tests: cheap bcrypt costs are allowed.
    Test,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable, for terminals.
    #[default]
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Signing and verification settings for access tokens.
#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// The key that signs new tokens (and verifies them).
    pub secret: Secret,
    /// Older keys that still verify tokens during a key rotation; they never sign.
    pub previous_secrets: Vec<Secret>,
    /// Lifetime of an issued token.
    pub ttl: Duration,
    /// The `iss` claim written and required.
    pub issuer: String,
    /// The `aud` claim written and required.
    pub audience: String,
    /// True when no `JWT_SECRET` was given and `secret` is random: the caller must log a
    /// warning (tokens do not survive a restart nor work across instances).
    pub generated: bool,
}

/// Everything the service reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub app_env: AppEnv,
    pub bind_addr: SocketAddr,
    /// When set, `GET /metrics` is served on this address only (see
    /// [`Settings::metrics_on_main_address`]).
    pub metrics_addr: Option<SocketAddr>,
    pub log_format: LogFormat,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    pub database: DatabaseSettings,
    pub jwt: JwtSettings,
    /// Which accounts' tokens carry which scopes (`CATALOGUE_ADMINS`).
    pub grants: Grants,
    /// bcrypt work factor for new password hashes.
    pub bcrypt_cost: u32,
    /// The bcrypt threads: how many hashes run at once, how readily they give a core
    /// back to the async workers, and how long a hash may wait for one.
    pub bcrypt: HashPool,
    /// Where the user summary's profile and orders come from.
    pub upstream: crate::upstream::UpstreamSettings,
    /// Rate limits: backend, scale, overrides, trusted proxies.
    pub rate_limits: crate::ratelimit::RateLimitConfig,
    /// The image pipeline: storage directory, workers, job queue.
    pub images: ImageSettings,
    /// The HTTP edge: cross-origin access and connection bounds.
    pub http: HttpSettings,
}

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (variable name to value), so that tests can
    /// supply their own environment.
    pub fn from_lookup<F>(lookup: F) -> Result<Self, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        // Empty counts as unset: `FOO=` in an env file means "not configured".
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let app_env = match get("APP_ENV") {
            None => AppEnv::default(),
            Some(value) => parse_app_env(&value)?,
        };
        let bind_addr = parsed(
            &get,
            "BIND_ADDR",
            "127.0.0.1:8080",
            "a socket address such as 127.0.0.1:8080",
        )?;
        let metrics_addr = match get("METRICS_ADDR") {
            None => None,
            Some(value) => Some(value.trim().parse().map_err(|_| {
                ConfigError::new(
                    "METRICS_ADDR",
                    format!("`{value}` is not a socket address such as 127.0.0.1:9090"),
                )
            })?),
        };
        let log_format = match get("LOG_FORMAT") {
            None => LogFormat::default(),
            Some(value) => parse_log_format(&value)?,
        };
        let max_body_bytes = bounded(&get, "MAX_BODY_BYTES", 65_536, 1, 1 << 30)? as usize;
        let database = database::from_lookup(&get, app_env == AppEnv::Production)?;
        let jwt = jwt_from_lookup(&get, app_env)?;
        let grants = grants(get("CATALOGUE_ADMINS").as_deref())?;
        let bcrypt_cost = bcrypt_cost(&get, app_env)?;
        let bcrypt = HashPool {
            concurrency: bounded(
                &get,
                "BCRYPT_CONCURRENCY",
                HashPool::default_concurrency() as u64,
                1,
                1024,
            )? as usize,
            nice: bounded(
                &get,
                "BCRYPT_NICE",
                u64::from(HashPool::DEFAULT_NICE),
                0,
                u64::from(HashPool::MAX_NICE),
            )? as u8,
            max_wait: Duration::from_secs(bounded(
                &get,
                "BCRYPT_QUEUE_TIMEOUT_SECS",
                HashPool::DEFAULT_MAX_WAIT.as_secs(),
                1,
                600,
            )?),
        };
        let upstream = crate::upstream::UpstreamSettings::from_lookup(get)?;
        let rate_limits =
            crate::ratelimit::RateLimitConfig::from_lookup(app_env == AppEnv::Production, get)?;
        let images = ImageSettings::from_lookup(&get)?;
        let http = HttpSettings::from_lookup(&get)?;

        Ok(Self {
            app_env,
            bind_addr,
            metrics_addr,
            log_format,
            max_body_bytes,
            database,
            jwt,
            grants,
            bcrypt_cost,
            bcrypt,
            upstream,
            rate_limits,
            images,
            http,
        })
    }
}

impl Settings {
    /// Whether the main address serves `GET /metrics`: only outside production and
    /// without `METRICS_ADDR`. Per-operation traffic is nobody's business on a public
    /// address, so production serves it on `METRICS_ADDR` or not at all.
    pub fn metrics_on_main_address(&self) -> bool {
        self.metrics_addr.is_none() && self.app_env != AppEnv::Production
    }
}

fn parse_app_env(value: &str) -> Result<AppEnv, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "development" => Ok(AppEnv::Development),
        "production" => Ok(AppEnv::Production),
        "test" => Ok(AppEnv::Test),
        _ => Err(ConfigError::new(
            "APP_ENV",
            format!("`{value}` is not one of development, production, test"),
        )),
    }
}

fn parse_log_format(value: &str) -> Result<LogFormat, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "pretty" => Ok(LogFormat::Pretty),
        "json" => Ok(LogFormat::Json),
        _ => Err(ConfigError::new(
            "LOG_FORMAT",
            format!("`{value}` is not one of pretty, json"),
        )),
    }
}

/// Parses `name` with [`FromStr`], falling back to `default` when unset.
fn parsed<T: FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
    expected: &str,
) -> Result<T, ConfigError> {
    let value = get(name).unwrap_or_else(|| default.to_owned());
    value
        .trim()
        .parse()
        .map_err(|_| ConfigError::new(name, format!("`{value}` is not {expected}")))
}

/// Parses an integer in `min..=max`, falling back to `default` when unset.
fn bounded(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    let Some(value) = get(name) else {
        return Ok(default);
    };
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::new(
            name,
            format!("`{value}` is not an integer from {min} to {max}"),
        )),
    }
}

fn non_empty(get: &impl Fn(&str) -> Option<String>, name: &'static str, default: &str) -> String {
    get(name).map_or_else(|| default.to_owned(), |value| value.trim().to_owned())
}

fn jwt_from_lookup(
    get: &impl Fn(&str) -> Option<String>,
    app_env: AppEnv,
) -> Result<JwtSettings, ConfigError> {
    let (secret, generated) = match get("JWT_SECRET") {
        Some(value) => (secret::parse("JWT_SECRET", &value)?, false),
        None if app_env == AppEnv::Production => {
            return Err(ConfigError::new(
                "JWT_SECRET",
                format!(
                    "is required when APP_ENV=production (at least {MIN_SECRET_BYTES} bytes, \
                     e.g. from `openssl rand -base64 48`)"
                ),
            ));
        }
        None => (Secret::random(GENERATED_SECRET_BYTES), true),
    };
    let previous_secrets = match get("JWT_PREVIOUS_SECRETS") {
        None => Vec::new(),
        Some(list) => secret::parse_list("JWT_PREVIOUS_SECRETS", &list)?,
    };
    Ok(JwtSettings {
        secret,
        previous_secrets,
        ttl: Duration::from_secs(bounded(get, "JWT_TTL_SECS", 900, 1, 86_400)?),
        issuer: non_empty(get, "JWT_ISSUER", "apiary"),
        audience: non_empty(get, "JWT_AUDIENCE", "apiary-api"),
        generated,
    })
}

/// `CATALOGUE_ADMINS`: comma-separated emails; blanks between commas are ignored.
fn grants(value: Option<&str>) -> Result<Grants, ConfigError> {
    let emails = value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|email| !email.is_empty());
    Grants::new(emails).map_err(|error| ConfigError::new("CATALOGUE_ADMINS", error.to_string()))
}

fn bcrypt_cost(get: &impl Fn(&str) -> Option<String>, app_env: AppEnv) -> Result<u32, ConfigError> {
    let (bcrypt_min, max) = BCRYPT_COST_BOUNDS;
    let min = if app_env == AppEnv::Test {
        bcrypt_min
    } else {
        MIN_BCRYPT_COST
    };
    let Some(value) = get("BCRYPT_COST") else {
        return Ok(12);
    };
    match value.trim().parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(n) if (bcrypt_min..min).contains(&n) => Err(ConfigError::new(
            "BCRYPT_COST",
            format!(
                "{n} is too weak: at least {MIN_BCRYPT_COST} (lower only with APP_ENV=test), at most {max}"
            ),
        )),
        _ => Err(ConfigError::new(
            "BCRYPT_COST",
            format!("`{value}` is not an integer from {min} to {max}"),
        )),
    }
}
