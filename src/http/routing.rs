//! Which operation of the spec a request is for, and API versions: an unprefixed path
//! (`/products`) is routed to the version the `X-API-Version` header names (the oldest
//! when it names none), an explicit `/v2/...` prefix wins over the header, and every
//! answer of a versioned operation says which version served it. Deprecated operations
//! answer with the `Deprecation`, `Sunset` and `Link` headers the spec gives them.

use poem::{
    Request, Response,
    http::{HeaderName, HeaderValue, Method, StatusCode, Uri, header},
};

use crate::error::ApiError;
use crate::generated::{API_VERSIONS, OPERATIONS, OperationMeta};

pub static API_VERSION: HeaderName = HeaderName::from_static("x-api-version");
static DEPRECATION: HeaderName = HeaderName::from_static("deprecation");
static SUNSET: HeaderName = HeaderName::from_static("sunset");

/// Whether a spec path template (`/v1/products/{product_id}`) matches a request path.
pub fn template_matches(template: &str, path: &str) -> bool {
    let mut template = template.split('/');
    let mut path = path.split('/');
    loop {
        match (template.next(), path.next()) {
            (None, None) => return true,
            (Some(t), Some(p)) if t == p || (t.starts_with('{') && !p.is_empty()) => {}
            _ => return false,
        }
    }
}

/// The operation a method and path are for. A `HEAD` is its `GET` without the body
/// (the router runs the GET handler for it), so it is that operation: limited, counted
/// and decorated like it.
pub fn find_operation(method: &Method, path: &str) -> Option<&'static OperationMeta> {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    OPERATIONS
        .iter()
        .find(|op| op.method == method.as_str() && template_matches(op.path, path))
}

/// Whether any operation lives at `path`, whatever its method.
fn path_exists(path: &str) -> bool {
    OPERATIONS.iter().any(|op| template_matches(op.path, path))
}

/// The methods the spec has at `path`, in spec order; for an unprefixed path, those of
/// every version that has it (the request's `X-API-Version` picks one later).
pub fn methods_at(path: &str) -> Vec<&'static str> {
    let unprefixed = !explicit_version(path) && !path_exists(path);
    let mut methods: Vec<&'static str> = Vec::new();
    for op in OPERATIONS {
        let here = if unprefixed {
            API_VERSIONS
                .iter()
                .any(|v| template_matches(op.path, &format!("/{v}{path}")))
        } else {
            template_matches(op.path, path)
        };
        if here && !methods.contains(&op.method) {
            methods.push(op.method);
        }
    }
    methods
}

fn explicit_version(path: &str) -> bool {
    path.split('/')
        .nth(1)
        .is_some_and(|first| API_VERSIONS.contains(&first))
}

/// An `X-API-Version` that names no version of the API (the value it gave).
#[derive(Debug)]
pub struct UnknownVersion(pub String);

impl UnknownVersion {
    /// The 400 problem that answers it.
    pub fn into_error(self) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "X-API-Version `{}` is not a version of this API; supported: {}.",
                self.0,
                API_VERSIONS.join(", ")
            ),
        )
    }
}

/// Rewrites an unprefixed path to the version the request asks for, and finds the
/// operation it is for (`None`: no operation; the router answers 404 or 405).
pub fn route(req: &mut Request) -> Result<Option<&'static OperationMeta>, UnknownVersion> {
    let unprefixed = {
        let path = req.uri().path();
        !explicit_version(path) && !path_exists(path)
    };
    if unprefixed {
        let path = req.uri().path().to_owned();
        let requested = req
            .headers()
            .get(&API_VERSION)
            .map(|v| v.to_str().unwrap_or(""));
        let version = match requested {
            None => API_VERSIONS.first().copied(),
            Some(v) => API_VERSIONS.iter().copied().find(|known| *known == v),
        };
        let versioned = API_VERSIONS
            .iter()
            .map(|v| format!("/{v}{path}"))
            .any(|candidate| path_exists(&candidate));
        match version {
            None if versioned => {
                return Err(UnknownVersion(requested.unwrap_or_default().to_owned()));
            }
            Some(version) if path_exists(&format!("/{version}{path}")) => {
                let mut target = format!("/{version}{path}");
                if let Some(query) = req.uri().query() {
                    target.push('?');
                    target.push_str(query);
                }
                if let Ok(uri) = target.parse::<Uri>() {
                    *req.uri_mut() = uri;
                }
            }
            _ => {}
        }
    }
    Ok(find_operation(req.method(), req.uri().path()))
}

/// The headers every answer of `op` carries: the version that served it, and the
/// deprecation headers the spec gives it.
pub fn decorate(op: &OperationMeta, response: &mut Response) {
    let headers = response.headers_mut();
    if let Some(version) = op.version {
        headers.insert(API_VERSION.clone(), HeaderValue::from_static(version));
    }
    if let Some(deprecation) = op.deprecation {
        headers.insert(
            DEPRECATION.clone(),
            HeaderValue::from_static(deprecation.deprecation),
        );
        headers.insert(SUNSET.clone(), HeaderValue::from_static(deprecation.sunset));
        if let Some(link) = deprecation.link {
            headers.insert(header::LINK, HeaderValue::from_static(link));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_segment_by_segment() {
        assert!(template_matches(
            "/v1/products/{product_id}",
            "/v1/products/7"
        ));
        assert!(template_matches("/v1/products", "/v1/products"));
        assert!(!template_matches(
            "/v1/products/{product_id}",
            "/v1/products"
        ));
        assert!(!template_matches(
            "/v1/products/{product_id}",
            "/v1/products/"
        ));
        assert!(!template_matches(
            "/v1/products/{product_id}",
            "/v1/products/7/x"
        ));
    }

    #[test]
    fn versions_come_from_the_spec() {
        assert_eq!(API_VERSIONS, ["v1", "v2"]);
        assert!(explicit_version("/v2/products"));
        assert!(!explicit_version("/products"));
        assert!(!explicit_version("/v3/products"));
    }

    #[test]
    fn methods_are_listed_per_path() {
        assert_eq!(methods_at("/v1/products"), ["GET", "POST"]);
        assert_eq!(methods_at("/products"), ["GET", "POST"]);
        assert_eq!(methods_at("/v2/account/preferences"), ["PATCH"]);
        assert!(methods_at("/v1/nothing").is_empty());
    }

    #[test]
    fn operations_are_found_by_method_and_path() {
        let op = find_operation(&Method::GET, "/v2/products/5").expect("found");
        assert_eq!(op.operation_id, "getProductV2");
        assert_eq!(op.handler, "getProduct");
        assert!(find_operation(&Method::DELETE, "/v2/products/5").is_none());
    }

    #[test]
    fn a_head_is_its_get() {
        let op = find_operation(&Method::HEAD, "/v1/products/search").expect("found");
        assert_eq!(op.operation_id, "searchProducts");
        assert!(
            find_operation(&Method::HEAD, "/v1/users").is_none(),
            "no GET there"
        );
    }
}
