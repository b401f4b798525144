//! Typed Rust SDK for the apiary service.
//!
//! Everything in [`types`], [`builder`] and [`Client`]'s operation methods is
//! generated at build time from `spec/openapi.yaml` by progenitor (see `build.rs`);
//! it is never edited by hand. Four handwritten conveniences sit beside it:
//!
//! - [`with_bearer`]: a [`Client`] whose requests carry `Authorization: Bearer <token>`
//!   (progenitor ignores the spec's security schemes).
//! - [`sign_in`]: the password grant, then such a client.
//! - [`problem_of`]: turns a failed call's error into the server's typed
//!   [`types::Problem`] when the body is `application/problem+json` (progenitor only
//!   types exact `application/json` bodies and hands problem documents over as bytes).
//! - [`retry_after`]: how long a 429 or 503 asked the caller to wait.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = apiary_client::Client::new("http://127.0.0.1:8080");
//! match client.search_products().q("lamp").limit(5).send().await {
//!     Ok(products) => println!("{} found", products.len()),
//!     Err(err) => match apiary_client::problem_of(err).await {
//!         Ok(problem) => eprintln!("{}: {:?}", problem.title, problem.detail),
//!         Err(other) => eprintln!("{other}"),
//!     },
//! }
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue, InvalidHeaderValue};

/// The progenitor output. It allows most of its own lints already; these cover the
/// rest: its style (clippy) and the spec's descriptions, free Markdown written for
/// Swagger UI, which become rustdoc comments (bare URLs, `<tags>`, `[brackets]`).
#[allow(
    clippy::all,
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/apiary_client.rs"));
}

pub use generated::*;

/// What `build.rs` changed in the spec before generating, one line per operation
/// touched (see "What progenitor cannot express" in the README).
pub const SPEC_ADAPTATIONS: &[&str] = include!(concat!(env!("OUT_DIR"), "/spec_adaptations.rs"));

/// The media type of every error the server documents, except `createToken`'s 400.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A [`Client`] for `base_url` whose every request carries `Authorization: Bearer <token>`.
///
/// Same timeouts as [`Client::new`] (15 s). The header is marked sensitive so that it
/// is left out of `Debug` output.
///
/// # Errors
/// If `token` cannot be sent in a header (control characters, non-visible ASCII).
///
/// # Panics
/// If reqwest cannot build its client (no TLS backend), like [`Client::new`].
pub fn with_bearer(base_url: &str, token: &str) -> Result<Client, InvalidHeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, value);
    let timeout = Duration::from_secs(15);
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
        .expect("reqwest can build a client");
    Ok(Client::new_with_client(base_url, http))
}

/// Signs in with the password grant (`createToken`) and returns a [`Client`] whose
/// requests carry the access token, with the token response itself: its `expires_in`
/// says when to sign in again.
///
/// # Errors
/// The grant's error as the generated `create_token` returns it: a refused grant is
/// [`Error::ErrorResponse`] holding the typed RFC 6749 [`types::OAuthError`]; a
/// problem (413, 415, 429, 500, 503) is [`Error::UnexpectedResponse`], which
/// [`problem_of`] decodes; on a 429 or 503, [`retry_after`] says when to try again. An access token that cannot be sent in a header (control
/// characters) is reported as [`Error::InvalidRequest`].
///
/// # Panics
/// If reqwest cannot build its client, like [`Client::new`].
pub async fn sign_in(
    base_url: &str,
    username: &str,
    password: &str,
) -> Result<(Client, types::Token), Error<types::OAuthError>> {
    let token = Client::new(base_url)
        .create_token()
        .body_map(|form| {
            form.grant_type("password".to_string())
                .username(username.to_string())
                .password(password.to_string())
        })
        .send()
        .await?
        .into_inner();
    let client = with_bearer(base_url, &token.access_token).map_err(|e| {
        Error::InvalidRequest(format!("the access token cannot be sent in a header: {e}"))
    })?;
    Ok((client, token))
}

/// Decodes the `application/problem+json` body of a failed call into a [`types::Problem`].
///
/// Looks at documented error responses ([`Error::ErrorResponse`], whose body
/// progenitor leaves as a [`ByteStream`]) and undocumented ones
/// ([`Error::UnexpectedResponse`]). Any other error, or a response that is not
/// problem+json, is handed back untouched in `Err`, like `downcast`. If the body says
/// problem+json but cannot be read or parsed, `Err` holds `ResponseBodyError` or
/// `InvalidResponsePayload` instead.
pub async fn problem_of<E: ErrorBody>(err: Error<E>) -> Result<types::Problem, Error<E>> {
    let bytes = match err {
        Error::ErrorResponse(value) if is_problem(value.headers()) => match E::into_stream(value) {
            Ok(stream) => read_stream(stream)
                .await
                .map_err(Error::ResponseBodyError)?,
            Err(value) => return Err(Error::ErrorResponse(value)),
        },
        Error::UnexpectedResponse(response) if is_problem(response.headers()) => {
            response.bytes().await.map_err(Error::ResponseBodyError)?
        }
        other => return Err(other),
    };
    serde_json::from_slice(&bytes).map_err(|e| Error::InvalidResponsePayload(bytes, e))
}

/// How long the server asked the caller to wait before trying again: the `Retry-After`
/// of its 429 (over the rate limit) and 503 (the limiter, or the password hasher, is
/// behind) answers. None when the failed call got no response, or one without the
/// header. The server sends whole seconds, as the spec documents; an HTTP-date is
/// not read.
pub fn retry_after<E>(err: &Error<E>) -> Option<Duration> {
    let headers = match err {
        Error::ErrorResponse(value) => value.headers(),
        Error::UnexpectedResponse(response) => response.headers(),
        _ => return None,
    };
    let seconds = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    seconds.parse().ok().map(Duration::from_secs)
}

/// The error body types of the generated operations, so that [`problem_of`] can read
/// each: raw bodies ([`ByteStream`]) are read; typed or empty ones are never problems.
pub trait ErrorBody: Sized {
    /// The raw body, or the value back if this body type cannot hold a problem document.
    #[doc(hidden)]
    fn into_stream(value: ResponseValue<Self>) -> Result<ByteStream, ResponseValue<Self>>;
}

impl ErrorBody for ByteStream {
    fn into_stream(value: ResponseValue<Self>) -> Result<ByteStream, ResponseValue<Self>> {
        Ok(value.into_inner())
    }
}

impl ErrorBody for () {
    fn into_stream(value: ResponseValue<Self>) -> Result<ByteStream, ResponseValue<Self>> {
        Err(value)
    }
}

/// `createToken`'s RFC 6749 error: already typed, never a problem document.
impl ErrorBody for types::OAuthError {
    fn into_stream(value: ResponseValue<Self>) -> Result<ByteStream, ResponseValue<Self>> {
        Err(value)
    }
}

fn is_problem(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(PROBLEM_JSON))
}

async fn read_stream(stream: ByteStream) -> reqwest::Result<bytes::Bytes> {
    let mut stream = stream.into_inner();
    let mut body = Vec::new();
    while let Some(chunk) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        body.extend_from_slice(&chunk?);
    }
    Ok(body.into())
}
