//! The edge of both servers: every error that reaches it (a parameter that does not
//! parse, a body the runtime refused, a missing credential, an unknown path) is answered
//! as an RFC 9457 problem+json document, naming the offending field on a 422.

use std::net::SocketAddr;

use apiary_runtime::{FieldError, Refusal, Unauthenticated};
use poem::{
    Endpoint, EndpointExt, IntoResponse, Response, Server,
    error::{MethodNotAllowedError, NotFoundError, ResponseError},
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
};
use poem_openapi::error::{
    AuthorizationError, ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};

/// `endpoint` with every error it returns answered as a problem document; `templates`
/// are the spec's paths (`/pets/{id}`), which name the path parameters.
pub fn with_problems(
    endpoint: impl Endpoint + 'static,
    templates: Vec<&'static str>,
) -> impl Endpoint<Output = Response> {
    let templates = std::sync::Arc::new(templates);
    endpoint.around(move |endpoint, request| {
        let templates = std::sync::Arc::clone(&templates);
        async move {
            let path = request.uri().path().to_string();
            Ok(match endpoint.call(request).await {
                Ok(output) => output.into_response(),
                // A 401 already is a problem, with the challenge of each scheme the
                // operation accepts in its `WWW-Authenticate` headers.
                Err(error) if error.is::<Unauthenticated>() => error.into_response(),
                Err(error) => problem(&error, &path, &templates).as_response(),
            })
        }
    })
}

/// The refusal answering `error`, raised while serving `path`.
pub fn problem(error: &poem::Error, path: &str, templates: &[&'static str]) -> Refusal {
    if let Some(refusal) = error.downcast_ref::<Refusal>() {
        return refusal.clone();
    }
    if let Some(param) = error.downcast_ref::<ParseParamError>() {
        return invalid(param.name, &param.reason);
    }
    if let Some(param) = error.downcast_ref::<ParsePathError>() {
        // poem names path parameters by position (`param0`); a client knows the spec's
        // name.
        let name = path_param_name(templates, path, param.name).unwrap_or(param.name);
        return invalid(name, &param.reason);
    }
    if let Some(content_type) = error.downcast_ref::<ContentTypeError>() {
        let detail = match content_type {
            ContentTypeError::NotSupported { content_type } => {
                format!("The content type `{content_type}` is not accepted by this operation.")
            }
            ContentTypeError::ExpectContentType => "A Content-Type header is required.".into(),
        };
        return Refusal::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, detail);
    }
    if error.is::<AuthorizationError>() {
        return Refusal::new(StatusCode::UNAUTHORIZED, "A credential is required.");
    }
    if error.is::<NotFoundError>() {
        return Refusal::new(
            StatusCode::NOT_FOUND,
            format!("There is nothing at {path}."),
        );
    }
    if error.is::<MethodNotAllowedError>() {
        return Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{path} does not take this method."),
        );
    }
    if let Some(payload) = error.downcast_ref::<ParseRequestPayloadError>() {
        return Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("The body could not be read: {}.", payload.reason),
        );
    }
    let status = error.status();
    if status.is_server_error() {
        return Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "The request failed.");
    }
    Refusal::new(status, error.to_string())
}

/// The spec's name of poem's `param<N>` in `path`: the N-th `{name}` of the template
/// `path` matches.
fn path_param_name(
    templates: &[&'static str],
    path: &str,
    poem_name: &str,
) -> Option<&'static str> {
    let index: usize = poem_name.strip_prefix("param")?.parse().ok()?;
    let matches = |template: &str| {
        template.split('/').count() == path.split('/').count()
            && template
                .split('/')
                .zip(path.split('/'))
                .all(|(want, got)| want.starts_with('{') || want == got)
    };
    let template = templates.iter().find(|template| matches(template))?;
    template
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .nth(index)
}

/// A 422 naming the parameter `field`.
fn invalid(field: &str, reason: &str) -> Refusal {
    Refusal::validation(vec![FieldError {
        field: field.to_string(),
        message: reason.to_string(),
    }])
}

/// Serves `endpoint` on a free port of 127.0.0.1 until the runtime ends; its address.
pub async fn start(endpoint: impl Endpoint + 'static) -> std::io::Result<SocketAddr> {
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|addr| addr.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("the listener has no TCP address"))?;
    tokio::spawn(Server::new_with_acceptor(acceptor).run(endpoint));
    Ok(addr)
}
