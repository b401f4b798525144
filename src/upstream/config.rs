//! Settings of the user summary's upstream sources, read like every other setting:
//! through an injectable lookup, an empty value counting as unset, and an error naming
//! the variable.
//!
//! | variable | default | allowed |
//! | --- | --- | --- |
//! | `PROFILE_SERVICE_URL` | unset: the built-in source | an `http://` or `https://` base URL |
//! | `ORDERS_SERVICE_URL` | unset: the built-in source | an `http://` or `https://` base URL |
//! | `UPSTREAM_TIMEOUT_MS` | `2000` | 1 ..= 60000 |

use std::time::Duration;

use reqwest::Url;

use crate::config::ConfigError;

/// The per-call timeout when `UPSTREAM_TIMEOUT_MS` is unset.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_millis(2000);
/// Bounds of `UPSTREAM_TIMEOUT_MS`: beyond a minute a client has long given up.
const TIMEOUT_MS_BOUNDS: (u64, u64) = (1, 60_000);

/// Where the summary's sources are, and how long each call may take.
#[derive(Clone, PartialEq, Eq)]
pub struct UpstreamSettings {
    /// Base URL of the profile service; `None` uses the built-in source.
    pub profile_service_url: Option<Url>,
    /// Base URL of the orders service; `None` uses the built-in source.
    pub orders_service_url: Option<Url>,
    /// The most one source call may take (every source, built-in ones included).
    pub timeout: Duration,
}

impl Default for UpstreamSettings {
    /// Built-in sources, 2 s timeout.
    fn default() -> Self {
        Self {
            profile_service_url: None,
            orders_service_url: None,
            timeout: DEFAULT_UPSTREAM_TIMEOUT,
        }
    }
}

impl std::fmt::Debug for UpstreamSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |url: &Option<Url>| url.as_ref().map(|u| redacted(u).to_string());
        f.debug_struct("UpstreamSettings")
            .field("profile_service_url", &redacted(&self.profile_service_url))
            .field("orders_service_url", &redacted(&self.orders_service_url))
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl UpstreamSettings {
    /// Reads the settings through `lookup` (variable name to value).
    pub fn from_lookup<F>(lookup: F) -> Result<Self, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let timeout = match get("UPSTREAM_TIMEOUT_MS") {
            None => DEFAULT_UPSTREAM_TIMEOUT,
            Some(value) => {
                let (min, max) = TIMEOUT_MS_BOUNDS;
                match value.trim().parse::<u64>() {
                    Ok(ms) if (min..=max).contains(&ms) => Duration::from_millis(ms),
                    _ => {
                        return Err(error(
                            "UPSTREAM_TIMEOUT_MS",
                            format!("`{value}` is not an integer from {min} to {max}"),
                        ));
                    }
                }
            }
        };
        Ok(Self {
            profile_service_url: base_url(&get, "PROFILE_SERVICE_URL")?,
            orders_service_url: base_url(&get, "ORDERS_SERVICE_URL")?,
            timeout,
        })
    }
}

/// An optional `http(s)://host[:port][/prefix]` URL without query or fragment (the
/// paths and `?user=` are appended to it).
fn base_url(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<Url>, ConfigError> {
    let Some(value) = get(name) else {
        return Ok(None);
    };
    // The message never repeats the value: it may carry a password.
    let url = Url::parse(value.trim()).map_err(|e| {
        error(
            name,
            format!("is not a URL ({e}); expected e.g. http://profiles:8080"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(error(
            name,
            "must be an http:// or https:// URL with a host",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(error(name, "must not have a query or a fragment"));
    }
    Ok(Some(url))
}

/// `url` with any password replaced by `***`, for logs and `Debug`.
pub(crate) fn redacted(url: &Url) -> Url {
    let mut url = url.clone();
    if url.password().is_some() {
        // Only fails for URLs that cannot have credentials, and this one has some.
        let _ = url.set_password(Some("***"));
    }
    url
}

fn error(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<UpstreamSettings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        UpstreamSettings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_are_the_built_in_sources_and_two_seconds() {
        assert_eq!(settings(&[]).unwrap(), UpstreamSettings::default());
        let empty = settings(&[("PROFILE_SERVICE_URL", " "), ("UPSTREAM_TIMEOUT_MS", "")]);
        assert_eq!(
            empty.unwrap(),
            UpstreamSettings::default(),
            "empty is unset"
        );
        assert_eq!(
            UpstreamSettings::default().timeout,
            Duration::from_millis(2000)
        );
    }

    #[test]
    fn urls_and_timeout_are_read() {
        let read = settings(&[
            ("PROFILE_SERVICE_URL", "http://profiles:8080"),
            ("ORDERS_SERVICE_URL", "https://orders.internal/api/"),
            ("UPSTREAM_TIMEOUT_MS", "250"),
        ])
        .unwrap();
        assert_eq!(
            read.profile_service_url.unwrap().as_str(),
            "http://profiles:8080/"
        );
        assert_eq!(
            read.orders_service_url.unwrap().as_str(),
            "https://orders.internal/api/"
        );
        assert_eq!(read.timeout, Duration::from_millis(250));
    }

    #[test]
    fn bad_values_name_their_variable() {
        let cases = [
            ("PROFILE_SERVICE_URL", "profiles:8080"),
            ("PROFILE_SERVICE_URL", "ftp://profiles"),
            ("ORDERS_SERVICE_URL", "not a url"),
            ("ORDERS_SERVICE_URL", "http://orders/?x=1"),
            ("ORDERS_SERVICE_URL", "file:///etc/passwd"),
            ("UPSTREAM_TIMEOUT_MS", "0"),
            ("UPSTREAM_TIMEOUT_MS", "60001"),
            ("UPSTREAM_TIMEOUT_MS", "2s"),
        ];
        for (variable, value) in cases {
            let error = settings(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable, "{value}");
        }
    }

    #[test]
    fn debug_hides_passwords() {
        let read = settings(&[("PROFILE_SERVICE_URL", "http://svc:hunter2@profiles")]).unwrap();
        let shown = format!("{read:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("svc:***@profiles"), "{shown}");
        let error = settings(&[("ORDERS_SERVICE_URL", "ftp://svc:hunter2@orders")]).unwrap_err();
        assert!(!error.to_string().contains("hunter2"));
    }
}
