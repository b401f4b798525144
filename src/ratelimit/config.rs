//! Rate-limit settings from the environment, through an injectable lookup so tests
//! need no process environment. The spec states the limits; these variables adjust
//! them without a rebuild. An empty value counts as unset, as in [`crate::config`].
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `REDIS_URL` | none | shared limits in Redis; none = in-process only |
//! | `RATE_LIMITS` | `on` | `off` disables every limit (refused in production) |
//! | `RATE_LIMIT_SCALE` | `1` | positive factor applied to every spec limit |
//! | `RATE_LIMIT_OVERRIDES` | none | `createUser=100/1m,searchProducts=off` (not scaled) |
//! | `RATE_LIMIT_REDIS_TIMEOUT_MS` | `50` | bound on one Redis decision, 1 ..= 60000 |
//! | `RATE_LIMIT_ON_REDIS_FAILURE` | `local` | `local` (degraded in-process) or `deny` (503) |
//! | `TRUSTED_PROXIES` | none | comma-separated IPs or CIDRs whose `X-Forwarded-For` is believed |
//!
//! Periods are a positive integer and a unit: `500ms`, `30s`, `1m`, `2h`, `1d`.

use std::{collections::BTreeMap, net::IpAddr, str::FromStr, time::Duration};

use ipnet::IpNet;
use redis::IntoConnectionInfo;

use super::{fallback::OnRedisFailure, gcra::Quota, redis::DEFAULT_TIMEOUT};
use crate::config::ConfigError;

/// Longest accepted `RATE_LIMIT_REDIS_TIMEOUT_MS`: past a minute it is no longer a
/// timeout protecting requests.
const MAX_TIMEOUT_MS: u64 = 60_000;

/// A per-operation replacement for the spec's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    /// No limit on this operation.
    Off,
    /// This quota instead of the spec's, exactly (the scale does not apply).
    Quota(Quota),
}

/// Everything the rate limiter reads from the environment.
#[derive(Clone, PartialEq)]
pub struct RateLimitConfig {
    /// False with `RATE_LIMITS=off`: no operation is limited.
    pub enabled: bool,
    /// Shared backend; `None` keeps limits in process.
    pub redis_url: Option<String>,
    /// Factor applied to every spec limit (not to overrides).
    pub scale: f64,
    /// Per-operation replacements, by operationId.
    pub overrides: BTreeMap<String, Override>,
    /// Bound on one Redis decision.
    pub redis_timeout: Duration,
    /// What a decision becomes when Redis fails.
    pub on_redis_failure: OnRedisFailure,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            redis_url: None,
            scale: 1.0,
            overrides: BTreeMap::new(),
            redis_timeout: DEFAULT_TIMEOUT,
            on_redis_failure: OnRedisFailure::Local,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Hand-written so that a password in `REDIS_URL` never reaches a log.
impl std::fmt::Debug for RateLimitConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitConfig")
            .field("enabled", &self.enabled)
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("scale", &self.scale)
            .field("overrides", &self.overrides)
            .field("redis_timeout", &self.redis_timeout)
            .field("on_redis_failure", &self.on_redis_failure)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

impl RateLimitConfig {
    /// Reads the settings through `lookup` (variable name to value). `production`
    /// (`APP_ENV=production`) refuses `RATE_LIMITS=off`.
    pub fn from_lookup<F>(production: bool, lookup: F) -> Result<Self, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let get = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let defaults = Self::default();

        let enabled = match get("RATE_LIMITS")
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("on") => true,
            Some("off") if production => {
                return Err(error(
                    "RATE_LIMITS",
                    "`off` is refused when APP_ENV=production",
                ));
            }
            Some("off") => false,
            Some(other) => return Err(error("RATE_LIMITS", format!("`{other}` is not on or off"))),
        };

        let redis_url = get("REDIS_URL");
        if let Some(url) = &redis_url {
            // The message must not echo the URL: it may carry a password.
            url.as_str().into_connection_info().map_err(|e| {
                error(
                    "REDIS_URL",
                    format!("not a usable Redis URL such as redis://host:6379 ({e})"),
                )
            })?;
        }

        let scale = match get("RATE_LIMIT_SCALE") {
            None => defaults.scale,
            Some(value) => match value.parse::<f64>() {
                Ok(scale) if scale.is_finite() && scale > 0.0 => scale,
                _ => {
                    return Err(error(
                        "RATE_LIMIT_SCALE",
                        format!("`{value}` is not a positive number"),
                    ));
                }
            },
        };

        let overrides = match get("RATE_LIMIT_OVERRIDES") {
            None => BTreeMap::new(),
            Some(value) => parse_overrides(&value).map_err(|m| error("RATE_LIMIT_OVERRIDES", m))?,
        };

        let redis_timeout = match get("RATE_LIMIT_REDIS_TIMEOUT_MS") {
            None => defaults.redis_timeout,
            Some(value) => match value.parse::<u64>() {
                Ok(ms @ 1..=MAX_TIMEOUT_MS) => Duration::from_millis(ms),
                _ => {
                    return Err(error(
                        "RATE_LIMIT_REDIS_TIMEOUT_MS",
                        format!("`{value}` is not an integer in 1 ..= {MAX_TIMEOUT_MS}"),
                    ));
                }
            },
        };

        let on_redis_failure = match get("RATE_LIMIT_ON_REDIS_FAILURE")
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("local") => OnRedisFailure::Local,
            Some("deny") => OnRedisFailure::Deny,
            Some(other) => {
                return Err(error(
                    "RATE_LIMIT_ON_REDIS_FAILURE",
                    format!("`{other}` is not local or deny"),
                ));
            }
        };

        let trusted_proxies = match get("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(value) => parse_networks(&value).map_err(|m| error("TRUSTED_PROXIES", m))?,
        };

        Ok(Self {
            enabled,
            redis_url,
            scale,
            overrides,
            redis_timeout,
            on_redis_failure,
            trusted_proxies,
        })
    }

    /// The quota to enforce on `operation_id`, whose spec says `spec_quota`; `None`
    /// when the operation is not limited (`RATE_LIMITS=off` or an `off` override).
    pub fn effective_quota(&self, operation_id: &str, spec_quota: Quota) -> Option<Quota> {
        if !self.enabled {
            return None;
        }
        match self.overrides.get(operation_id) {
            Some(Override::Off) => None,
            Some(Override::Quota(quota)) => Some(*quota),
            None => Some(spec_quota.scaled(self.scale)),
        }
    }

    /// Overridden operationIds that are not in `known` (typos the caller should refuse
    /// or at least report at start-up).
    pub fn unknown_overrides<'a>(&'a self, known: &[&str]) -> Vec<&'a str> {
        self.overrides
            .keys()
            .map(String::as_str)
            .filter(|name| !known.contains(name))
            .collect()
    }

    /// Logs what start-up should make visible: loudly when limits are off or changed.
    pub fn log_startup(&self) {
        if !self.enabled {
            tracing::warn!("RATE_LIMITS=off: no operation is rate limited");
            return;
        }
        let backend = if self.redis_url.is_some() {
            "redis"
        } else {
            "in-process"
        };
        tracing::info!(
            backend,
            redis_timeout_ms = u64::try_from(self.redis_timeout.as_millis()).unwrap_or(u64::MAX),
            on_redis_failure = ?self.on_redis_failure,
            trusted_proxies = self.trusted_proxies.len(),
            "rate limits enabled"
        );
        if self.scale != 1.0 {
            tracing::warn!(
                scale = self.scale,
                "RATE_LIMIT_SCALE: every spec limit is multiplied"
            );
        }
        for (operation, value) in &self.overrides {
            tracing::warn!(
                operation,
                ?value,
                "RATE_LIMIT_OVERRIDES replaces the spec limit"
            );
        }
    }
}

/// Parses `"100/1m"`.
impl FromStr for Quota {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let (requests, per) = value
            .split_once('/')
            .ok_or_else(|| format!("`{value}` is not REQUESTS/PERIOD such as 100/1m"))?;
        let requests = match requests.trim().parse::<u32>() {
            Ok(n) if n > 0 => n,
            _ => return Err(format!("`{requests}` is not a positive number of requests")),
        };
        Ok(Self::new(requests, parse_period(per)?))
    }
}

/// Parses a period: a positive integer and one of `ms`, `s`, `m`, `h`, `d`.
pub fn parse_period(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (digits, unit) = value.split_at(split);
    let expected = || format!("`{value}` is not a period such as 500ms, 30s, 1m, 2h, 1d");
    let amount: u64 = digits.parse().map_err(|_| expected())?;
    let unit_ms: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(expected()),
    };
    match amount.checked_mul(unit_ms) {
        Some(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
        _ => Err(expected()),
    }
}

fn parse_overrides(value: &str) -> Result<BTreeMap<String, Override>, String> {
    let mut overrides = BTreeMap::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (operation, limit) = item
            .split_once('=')
            .ok_or_else(|| format!("`{item}` is not operationId=REQUESTS/PERIOD or =off"))?;
        let operation = operation.trim();
        if operation.is_empty()
            || !operation
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(format!("`{operation}` is not an operationId"));
        }
        let limit = limit.trim();
        let parsed = if limit.eq_ignore_ascii_case("off") {
            Override::Off
        } else {
            Override::Quota(limit.parse().map_err(|m| format!("{operation}: {m}"))?)
        };
        if overrides.insert(operation.to_owned(), parsed).is_some() {
            return Err(format!("`{operation}` appears twice"));
        }
    }
    Ok(overrides)
}

fn parse_networks(value: &str) -> Result<Vec<IpNet>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{item}` is not an IP address or CIDR such as 10.0.0.0/8"))
        })
        .collect()
}

fn error(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

/// `redis://user:secret@host` -> `redis://***@host`.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn parse(production: bool, vars: &[(&str, &str)]) -> Result<RateLimitConfig, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        RateLimitConfig::from_lookup(production, |name| vars.get(name).cloned())
    }

    fn variable_of(result: Result<RateLimitConfig, ConfigError>) -> &'static str {
        match result {
            Ok(config) => panic!("expected an error, got {config:?}"),
            Err(error) => error.variable,
        }
    }

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn defaults() {
        let config = parse(true, &[]).unwrap();
        assert_eq!(config, RateLimitConfig::default());
        assert!(config.enabled);
        assert_eq!(config.redis_url, None);
        assert_eq!(config.redis_timeout, Duration::from_millis(50));
        assert_eq!(config.on_redis_failure, OnRedisFailure::Local);
        let quota = Quota::new(5, MINUTE);
        assert_eq!(config.effective_quota("createUser", quota), Some(quota));
    }

    #[test]
    fn empty_values_count_as_unset() {
        let config = parse(
            false,
            &[
                ("REDIS_URL", ""),
                ("RATE_LIMITS", " "),
                ("RATE_LIMIT_SCALE", ""),
            ],
        )
        .unwrap();
        assert_eq!(config, RateLimitConfig::default());
    }

    #[test]
    fn off_disables_outside_production_and_is_refused_in_production() {
        let config = parse(false, &[("RATE_LIMITS", "OFF")]).unwrap();
        assert!(!config.enabled);
        assert_eq!(
            config.effective_quota("createUser", Quota::new(5, MINUTE)),
            None
        );
        let refused = parse(true, &[("RATE_LIMITS", "off")]).unwrap_err();
        assert_eq!(refused.variable, "RATE_LIMITS");
        assert!(refused.to_string().contains("production"), "{refused}");
        assert_eq!(
            variable_of(parse(false, &[("RATE_LIMITS", "no")])),
            "RATE_LIMITS"
        );
    }

    #[test]
    fn scale_multiplies_spec_limits_but_not_overrides() {
        let config = parse(
            false,
            &[
                ("RATE_LIMIT_SCALE", "10"),
                (
                    "RATE_LIMIT_OVERRIDES",
                    " createUser=100/1m , searchProducts=off ",
                ),
            ],
        )
        .unwrap();
        let spec = Quota::new(5, MINUTE);
        assert_eq!(
            config.effective_quota("createToken", spec),
            Some(Quota::new(50, MINUTE))
        );
        assert_eq!(
            config.effective_quota("createUser", spec),
            Some(Quota::new(100, MINUTE))
        );
        assert_eq!(config.effective_quota("searchProducts", spec), None);
        assert_eq!(
            config.unknown_overrides(&["createUser", "createToken"]),
            vec!["searchProducts"]
        );
    }

    #[test]
    fn scale_must_be_positive_and_finite() {
        for bad in ["0", "-1", "abc", "inf", "NaN"] {
            assert_eq!(
                variable_of(parse(false, &[("RATE_LIMIT_SCALE", bad)])),
                "RATE_LIMIT_SCALE",
                "{bad}"
            );
        }
        let small = parse(false, &[("RATE_LIMIT_SCALE", "0.001")]).unwrap();
        assert_eq!(
            small.effective_quota("x", Quota::new(5, MINUTE)),
            Some(Quota::new(1, MINUTE))
        );
    }

    #[test]
    fn bad_overrides_name_the_variable() {
        for bad in [
            "createUser",
            "createUser=0/1m",
            "createUser=5/1 minute",
            "createUser=5",
            "=5/1m",
            "create user=5/1m",
            "createUser=5/1m,createUser=off",
        ] {
            assert_eq!(
                variable_of(parse(false, &[("RATE_LIMIT_OVERRIDES", bad)])),
                "RATE_LIMIT_OVERRIDES",
                "{bad}"
            );
        }
    }

    #[test]
    fn periods() {
        assert_eq!(parse_period("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_period("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_period("1m"), Ok(MINUTE));
        assert_eq!(parse_period("2h"), Ok(Duration::from_secs(7_200)));
        assert_eq!(parse_period("1d"), Ok(Duration::from_secs(86_400)));
        for bad in [
            "",
            "m",
            "0s",
            "1",
            "1w",
            "-1s",
            "1.5m",
            "99999999999999999d",
        ] {
            assert!(parse_period(bad).is_err(), "{bad}");
        }
        assert_eq!("10/1m".parse::<Quota>(), Ok(Quota::new(10, MINUTE)));
    }

    #[test]
    fn redis_settings() {
        let config = parse(
            true,
            &[
                ("REDIS_URL", "redis://:s3cret@127.0.0.1:6379/0"),
                ("RATE_LIMIT_REDIS_TIMEOUT_MS", "200"),
                ("RATE_LIMIT_ON_REDIS_FAILURE", "deny"),
            ],
        )
        .unwrap();
        assert_eq!(
            config.redis_url.as_deref(),
            Some("redis://:s3cret@127.0.0.1:6379/0")
        );
        assert_eq!(config.redis_timeout, Duration::from_millis(200));
        assert_eq!(config.on_redis_failure, OnRedisFailure::Deny);
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("127.0.0.1:6379"), "{debug}");

        let bad_url = parse(false, &[("REDIS_URL", "http://:s3cret@localhost")]).unwrap_err();
        assert_eq!(bad_url.variable, "REDIS_URL");
        assert!(!bad_url.to_string().contains("s3cret"), "{bad_url}");
        for bad in ["0", "60001", "fast"] {
            assert_eq!(
                variable_of(parse(false, &[("RATE_LIMIT_REDIS_TIMEOUT_MS", bad)])),
                "RATE_LIMIT_REDIS_TIMEOUT_MS"
            );
        }
        assert_eq!(
            variable_of(parse(false, &[("RATE_LIMIT_ON_REDIS_FAILURE", "open")])),
            "RATE_LIMIT_ON_REDIS_FAILURE"
        );
    }

    #[test]
    fn trusted_proxies_take_addresses_and_networks() {
        let config = parse(
            false,
            &[("TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1,,2001:db8::/32")],
        )
        .unwrap();
        let expected: Vec<IpNet> = ["10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32"]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(config.trusted_proxies, expected);
        assert_eq!(
            variable_of(parse(
                false,
                &[("TRUSTED_PROXIES", "10.0.0.0/8,proxy.local")]
            )),
            "TRUSTED_PROXIES"
        );
    }
}
