//! Where image bytes live: `STORAGE_URL` (`s3://BUCKET/PREFIX` or `file://PATH`), else
//! `STORAGE_DIR`, else `data/images`. An S3 store reads the usual `AWS_*` variables.

use std::net::IpAddr;
use std::path::PathBuf;

use super::{ConfigError, Secret};

/// The image store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageSettings {
    /// A local directory (created on start).
    Dir(PathBuf),
    /// A bucket of S3-compatible object storage.
    S3(S3Settings),
}

/// An S3-compatible bucket and how to reach it. `Debug` shows no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// The bucket (from `STORAGE_URL`).
    pub bucket: String,
    /// The keys' prefix inside the bucket, without slashes at either end ("" for none).
    pub prefix: String,
    /// `AWS_ENDPOINT_URL`: an S3-compatible server; unset, AWS itself.
    pub endpoint: Option<String>,
    /// `AWS_REGION` (`us-east-1` when unset).
    pub region: String,
    /// `AWS_ACCESS_KEY_ID`; unset (with the secret), the instance's own credentials.
    pub access_key_id: Option<String>,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<Secret>,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<Secret>,
    /// Whether the endpoint is plain HTTP (allowed on a loopback address only).
    pub allow_http: bool,
}

impl StorageSettings {
    /// Reads `STORAGE_URL`, `STORAGE_DIR` and the `AWS_*` variables through `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        from_lookup(&|name: &str| get(name).filter(|value| !value.trim().is_empty()))
    }
}

/// The region when `AWS_REGION` is unset.
const DEFAULT_REGION: &str = "us-east-1";

pub(super) fn from_lookup(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<StorageSettings, ConfigError> {
    let Some(url) = get("STORAGE_URL") else {
        let dir = get("STORAGE_DIR").unwrap_or_else(|| "data/images".to_string());
        return Ok(StorageSettings::Dir(PathBuf::from(dir.trim())));
    };
    let url = url.trim();
    if let Some(path) = url.strip_prefix("file://") {
        if path.is_empty() {
            return Err(ConfigError::new(
                "STORAGE_URL",
                "`file://` names no directory; write file://PATH (file:///srv/images or \
                 file://data/images)",
            ));
        }
        return Ok(StorageSettings::Dir(PathBuf::from(path)));
    }
    let Some(rest) = url.strip_prefix("s3://") else {
        return Err(ConfigError::new(
            "STORAGE_URL",
            format!("`{url}` is neither s3://BUCKET/PREFIX nor file://PATH"),
        ));
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    check_bucket(bucket)?;
    let prefix = prefix.trim_matches('/');
    if !prefix.is_empty() && crate::storage::blobs::check_key(prefix).is_err() {
        return Err(ConfigError::new(
            "STORAGE_URL",
            format!(
                "the prefix `{prefix}` must be /-separated parts of letters, digits, `-`, `_` \
                 and `.` (no empty part, `.` or `..`)"
            ),
        ));
    }
    let endpoint = get("AWS_ENDPOINT_URL").map(|e| e.trim().trim_end_matches('/').to_string());
    let allow_http = match &endpoint {
        Some(endpoint) => endpoint_is_plain_http(endpoint)?,
        None => false,
    };
    let access_key_id = get("AWS_ACCESS_KEY_ID").map(|id| id.trim().to_string());
    let secret_access_key = get("AWS_SECRET_ACCESS_KEY").map(|s| Secret::new(s.trim()));
    match (&access_key_id, &secret_access_key) {
        (Some(_), None) => {
            return Err(ConfigError::new(
                "AWS_SECRET_ACCESS_KEY",
                "is unset while AWS_ACCESS_KEY_ID is set; set both or neither",
            ));
        }
        (None, Some(_)) => {
            return Err(ConfigError::new(
                "AWS_ACCESS_KEY_ID",
                "is unset while AWS_SECRET_ACCESS_KEY is set; set both or neither",
            ));
        }
        _ => {}
    }
    Ok(StorageSettings::S3(S3Settings {
        bucket: bucket.to_string(),
        prefix: prefix.to_string(),
        endpoint,
        region: get("AWS_REGION").map_or_else(|| DEFAULT_REGION.to_string(), |r| r.trim().into()),
        access_key_id,
        secret_access_key,
        session_token: get("AWS_SESSION_TOKEN").map(|t| Secret::new(t.trim())),
        allow_http,
    }))
}

/// S3's bucket naming rules: 3 to 63 lower-case letters, digits, `.` and `-`, starting
/// and ending with a letter or digit.
fn check_bucket(bucket: &str) -> Result<(), ConfigError> {
    let valid = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        Ok(())
    } else {
        Err(ConfigError::new(
            "STORAGE_URL",
            format!(
                "`{bucket}` is not a bucket name: 3 to 63 lower-case letters, digits, `.` and \
                 `-`, beginning and ending with a letter or digit"
            ),
        ))
    }
}

/// Whether the endpoint is `http://` (true, on a loopback host only) or `https://`.
fn endpoint_is_plain_http(endpoint: &str) -> Result<bool, ConfigError> {
    let invalid = |why: String| ConfigError::new("AWS_ENDPOINT_URL", why);
    let url = url::Url::parse(endpoint)
        .map_err(|e| invalid(format!("`{endpoint}` is not a URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        // Never echo it: it holds credentials.
        return Err(invalid(
            "holds credentials; give them in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
        ));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => return Err(invalid(format!("`{endpoint}` names no host"))),
    };
    match url.scheme() {
        "https" => Ok(false),
        "http" if loopback => Ok(true),
        "http" => Err(invalid(format!(
            "`{endpoint}` is plain HTTP to another host; use https:// (plain http:// is \
             allowed for a loopback address only)"
        ))),
        other => Err(invalid(format!(
            "`{endpoint}` has the scheme `{other}`; use https:// (or http:// on loopback)"
        ))),
    }
}
