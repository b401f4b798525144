//! One operation kept from the old document to the new: its parameters, request body
//! and responses.

use serde_json::{Map, Value};

use super::{
    BreakingRule, Differ,
    schema::{At, Direction},
};
use crate::{
    openapi::{self, Operation, join},
    refs,
};

impl<'a> Differ<'a> {
    /// Parameters that became required or appeared required, and each kept
    /// parameter's schema, which may only widen.
    pub(super) fn parameters(&mut self, old: &Operation<'a>, new: &Operation<'a>) {
        let location = join(&old.location(), "parameters");
        let old_params = openapi::parameters(self.old, old);
        let new_params = openapi::parameters(self.new, new);
        for param in &old_params {
            let Some(kept) = new_params.iter().find(|p| p.key() == param.key()) else {
                // A parameter the server stopped reading is ignored when sent.
                continue;
            };
            let at = At {
                location: join(&join(&location, param.location), param.name),
                defined_at: kept.target.clone(),
            };
            if !param.required() && kept.required() {
                self.finding(
                    &at.location,
                    BreakingRule::ParameterBecameRequired,
                    format!(
                        "{} parameter `{}` is now required",
                        param.location, param.name
                    ),
                    at.defined_at.as_deref(),
                );
            }
            if let (Some(old_schema), Some(new_schema)) =
                (param.value.get("schema"), kept.value.get("schema"))
            {
                self.schema(
                    old_schema,
                    new_schema,
                    Direction::Request,
                    &at.child("schema"),
                );
            }
        }
        for param in &new_params {
            // A new path parameter comes with a new path, or is an old one renamed.
            let added = param.location != "path"
                && param.required()
                && old_params.iter().all(|p| p.key() != param.key());
            if added {
                self.finding(
                    &join(&join(&location, param.location), param.name),
                    BreakingRule::ParameterAddedRequired,
                    format!("new required {} parameter `{}`", param.location, param.name),
                    param.target.as_deref(),
                );
            }
        }
    }

    /// A body that became required, media types no longer accepted, and each kept
    /// media type's schema, which may only widen.
    pub(super) fn request_body(&mut self, old: &Operation<'a>, new: &Operation<'a>) {
        let location = join(&old.location(), "requestBody");
        let new_body = new
            .op
            .get("requestBody")
            .map(|b| refs::resolve_with_target(self.new, b));
        let Some((new_body, target)) = new_body else {
            return;
        };
        let at = At {
            location,
            defined_at: target,
        };
        let Some(old_body) = old
            .op
            .get("requestBody")
            .map(|b| refs::resolve(self.old, b))
        else {
            if is_required(new_body) {
                self.finding(
                    &at.location,
                    BreakingRule::RequestBodyBecameRequired,
                    "a required request body was added".into(),
                    at.defined_at.as_deref(),
                );
            }
            return;
        };
        if !is_required(old_body) && is_required(new_body) {
            self.finding(
                &at.location,
                BreakingRule::RequestBodyBecameRequired,
                "the request body is now required".into(),
                at.defined_at.as_deref(),
            );
        }
        self.content(old_body, new_body, Direction::Request, &at);
    }

    /// Statuses no longer documented, and each kept response.
    pub(super) fn responses(&mut self, old: &Operation<'a>, new: &Operation<'a>) {
        let location = join(&old.location(), "responses");
        let empty = Map::new();
        let old_responses = old.op.get("responses").and_then(Value::as_object);
        let new_responses = new.op.get("responses").and_then(Value::as_object);
        let new_responses = new_responses.unwrap_or(&empty);
        for (status, old_response) in old_responses.unwrap_or(&empty) {
            let status_location = join(&location, status);
            let Some(new_response) = new_responses.get(status) else {
                self.finding(
                    &status_location,
                    BreakingRule::ResponseStatusRemoved,
                    format!("status {status} is no longer documented"),
                    None,
                );
                continue;
            };
            let old_response = refs::resolve(self.old, old_response);
            let (new_response, target) = refs::resolve_with_target(self.new, new_response);
            let at = At {
                location: status_location,
                defined_at: target,
            };
            self.content(old_response, new_response, Direction::Response, &at);
            self.headers(old_response, new_response, &at);
        }
    }

    /// The media types of a request body or a response: each old one must still be
    /// there, with a compatible schema.
    fn content(&mut self, old: &Value, new: &Value, direction: Direction, at: &At) {
        let empty = Map::new();
        let old_content = old.get("content").and_then(Value::as_object);
        let new_content = new.get("content").and_then(Value::as_object);
        let new_content = new_content.unwrap_or(&empty);
        for (media_type, old_media) in old_content.unwrap_or(&empty) {
            let media_at = at.child("content").child(media_type);
            let Some(new_media) = find_media_type(new_content, media_type) else {
                let (rule, change) = match direction {
                    Direction::Request => (
                        BreakingRule::RequestMediaTypeRemoved,
                        format!("`{media_type}` bodies are no longer accepted"),
                    ),
                    Direction::Response => (
                        BreakingRule::ResponseMediaTypeRemoved,
                        format!("`{media_type}` is no longer answered"),
                    ),
                };
                self.finding(
                    &media_at.location,
                    rule,
                    change,
                    media_at.defined_at.as_deref(),
                );
                continue;
            };
            if let (Some(old_schema), Some(new_schema)) =
                (old_media.get("schema"), new_media.get("schema"))
            {
                self.schema(old_schema, new_schema, direction, &media_at.child("schema"));
            }
        }
    }

    /// Response headers: each old one must still be sent, with a compatible schema.
    fn headers(&mut self, old: &Value, new: &Value, at: &At) {
        let empty = Map::new();
        let old_headers = old.get("headers").and_then(Value::as_object);
        let new_headers = new.get("headers").and_then(Value::as_object);
        let new_headers = new_headers.unwrap_or(&empty);
        for (name, old_header) in old_headers.unwrap_or(&empty) {
            let header_at = at.child("headers").child(name);
            let kept = new_headers
                .iter()
                .find(|(other, _)| other.eq_ignore_ascii_case(name));
            let Some((_, new_header)) = kept else {
                self.finding(
                    &header_at.location,
                    BreakingRule::ResponseHeaderRemoved,
                    format!("header `{name}` is no longer sent"),
                    header_at.defined_at.as_deref(),
                );
                continue;
            };
            let old_header = refs::resolve(self.old, old_header);
            let (new_header, target) = refs::resolve_with_target(self.new, new_header);
            let header_at = At {
                defined_at: target.or(header_at.defined_at),
                ..header_at
            };
            if let (Some(old_schema), Some(new_schema)) =
                (old_header.get("schema"), new_header.get("schema"))
            {
                self.schema(
                    old_schema,
                    new_schema,
                    Direction::Response,
                    &header_at.child("schema"),
                );
            }
        }
    }
}

fn is_required(body: &Value) -> bool {
    body.get("required").and_then(Value::as_bool) == Some(true)
}

/// The new media type serving `media_type`: the same one (case-blind), or a range
/// that covers it (`application/*`, `*/*`).
fn find_media_type<'v>(content: &'v Map<String, Value>, media_type: &str) -> Option<&'v Value> {
    let wanted = essence(media_type);
    let main_type = wanted.split('/').next().unwrap_or_default();
    content
        .iter()
        .find(|(key, _)| essence(key) == wanted)
        .or_else(|| {
            content.iter().find(|(key, _)| {
                let key = essence(key);
                key == "*/*" || key == format!("{main_type}/*")
            })
        })
        .map(|(_, value)| value)
}

/// `Application/JSON; charset=utf-8` -> `application/json`
fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}
