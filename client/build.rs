//! Generates the apiary SDK from `spec/openapi.yaml` with progenitor.
//!
//! Steps: read and parse the spec, apply the documented adaptations
//! (`adapt_for_progenitor`), check that every remaining construct is one progenitor
//! can express (`check_progenitor_can_express`, which fails the build naming the spec
//! location otherwise), generate, pretty-print into `OUT_DIR/apiary_client.rs`.
//! The adaptations made are written to `OUT_DIR/spec_adaptations.rs` so that the
//! crate can publish them as `SPEC_ADAPTATIONS`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::{env, fs};

use openapiv3::{
    Components, MediaType, OpenAPI, Operation, Parameter, ParameterSchemaOrContent, PathStyle,
    QueryStyle, ReferenceOr, RequestBody, Response, StatusCode,
};
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle};

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let spec_path = manifest_dir.join("../spec/openapi.yaml");
    println!("cargo:rerun-if-changed={}", spec_path.display());

    let text = fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", spec_path.display()));
    let mut spec: OpenAPI = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{} is not an OpenAPI 3.0 document: {e}",
            spec_path.display()
        )
    });

    let adaptations = adapt_for_progenitor(&mut spec);
    if let Err(problems) = check_progenitor_can_express(&spec) {
        panic!(
            "spec/openapi.yaml uses constructs progenitor cannot express:\n  - {}\n\
             Change the spec, or extend adapt_for_progenitor in client/build.rs on purpose.",
            problems.join("\n  - ")
        );
    }

    let mut settings = GenerationSettings::new();
    // Builder style: optional query parameters and bodies are simply not set, and
    // checked newtypes are built by `try_into()` inside the builder. Merged tags: one
    // `Client` with inherent methods, nothing to import, fine for five small tags.
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged);
    let mut generator = Generator::new(&settings);
    // progenitor reports some shapes with `todo!`/`assert!`; the checks above should
    // have caught them, so a panic here means the checks need to learn a new construct.
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(&spec)
    }))
    .unwrap_or_else(|_| {
        panic!(
            "progenitor panicked on spec/openapi.yaml (message above); \
             teach check_progenitor_can_express in client/build.rs about this construct"
        )
    })
    .unwrap_or_else(|e| panic!("progenitor rejected spec/openapi.yaml: {e}"));

    let file: syn::File = syn::parse2(tokens).expect("progenitor emits valid Rust");
    let code = prettyplease::unparse(&file);

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    write(&out_dir.join("apiary_client.rs"), &code);
    let list = format!(
        "&[{}]\n",
        adaptations
            .iter()
            .map(|a| format!("{a:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    write(&out_dir.join("spec_adaptations.rs"), &list);
}

fn write(path: &std::path::Path, contents: &str) {
    fs::write(path, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// The response extension that marks a standard, non-problem error format on purpose
/// (`x-error-format: oauth2`: RFC 6749 token errors as `application/json`).
///
/// progenitor gives every operation exactly one error type and `assert!`s on a mix.
/// The token operations answer RFC 6749 `OAuthError` JSON on 400 (what OAuth2 clients
/// expect) and problem+json on their other errors. For each operation with a response
/// so marked, we keep the marked error typed and drop the problem+json error responses:
/// those statuses then reach the caller as `Error::UnexpectedResponse`, which
/// `problem_of` decodes into a `Problem`.
const ERROR_FORMAT_MARKER: &str = "x-error-format";

/// The operations carrying the marker, with their spec location.
fn marked_operations(spec: &OpenAPI) -> Vec<String> {
    let mut marked = Vec::new();
    for (_, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (_, op) in item.iter() {
            let has_marker = op.responses.responses.values().any(|r| match r {
                ReferenceOr::Item(r) => r.extensions.contains_key(ERROR_FORMAT_MARKER),
                ReferenceOr::Reference { .. } => false,
            });
            if has_marker {
                marked.extend(op.operation_id.clone());
            }
        }
    }
    marked
}

/// The transforms applied to the parsed spec before progenitor sees it: the marked
/// error formats here, and binary uploads in [`keep_raw_uploads`].
///
/// It touches only the operations with a response marked [`ERROR_FORMAT_MARKER`], and
/// only their error responses whose single media type is `application/problem+json`.
/// It fails the build if a marked operation no longer needs the change. Returns one
/// line per operation touched.
fn adapt_for_progenitor(spec: &mut OpenAPI) -> Vec<String> {
    let components = spec.components.clone();
    let mut done = Vec::new();
    for op_id in marked_operations(spec) {
        let op_id = op_id.as_str();
        let (path, method, operation) = operations_mut(spec)
            .find(|(_, _, op)| op.operation_id.as_deref() == Some(op_id))
            .unwrap_or_else(|| {
                panic!("adapt_for_progenitor: no operation {op_id} in the spec (stale entry)")
            });
        let location = format!("paths.{path}.{method}.responses");

        let mut dropped = Vec::new();
        let mut typed_json_error = false;
        operation.responses.responses.retain(|status, response| {
            if !is_error(&Some(status)) {
                return true;
            }
            let response = resolve_response(response, &components, &location);
            let types: Vec<&str> = response.content.keys().map(String::as_str).collect();
            match types.as_slice() {
                ["application/problem+json"] => {
                    dropped.push(status.to_string());
                    false
                }
                [t] if is_json(t) => {
                    typed_json_error = true;
                    true
                }
                _ => true,
            }
        });
        if dropped.is_empty() || !typed_json_error {
            panic!(
                "adapt_for_progenitor: {location} ({op_id}) no longer mixes typed JSON and \
                 problem+json errors; remove its {ERROR_FORMAT_MARKER} marker"
            );
        }
        done.push(format!(
            "{op_id} ({} {path}): dropped error responses {} (application/problem+json) so that \
             its one error type is the JSON one; they arrive as Error::UnexpectedResponse",
            method.to_uppercase(),
            dropped.join(", ")
        ));
    }
    done.extend(keep_raw_uploads(spec));
    done
}

/// The second documented transform: a binary upload body offered as both
/// `multipart/form-data` (one `file` field) and `application/octet-stream` keeps only
/// the octet-stream variant, which progenitor sends as raw bytes (it cannot build
/// multipart bodies, and fails on a body with two media types). Bodies with any other
/// media types are left for the checks to report.
fn keep_raw_uploads(spec: &mut OpenAPI) -> Vec<String> {
    let mut done = Vec::new();
    for (path, method, operation) in operations_mut(spec) {
        let Some(ReferenceOr::Item(body)) = operation.request_body.as_mut() else {
            continue;
        };
        let mut media: Vec<&str> = body.content.keys().map(String::as_str).collect();
        media.sort_unstable();
        if media != ["application/octet-stream", "multipart/form-data"] {
            continue;
        }
        body.content.shift_remove("multipart/form-data");
        done.push(format!(
            "{} ({} {path}): kept only the application/octet-stream request body \
             (progenitor cannot send multipart/form-data); the SDK uploads raw bytes",
            operation.operation_id.as_deref().unwrap_or("?"),
            method.to_uppercase()
        ));
    }
    done
}

/// Checks every operation for shapes progenitor 0.15 cannot express (it would fail,
/// `todo!()` or `assert!` without saying where). Returns one message per problem,
/// each starting with its spec location, e.g. `paths./docs.get.responses.200`.
fn check_progenitor_can_express(spec: &OpenAPI) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if !spec.openapi.starts_with("3.0.") {
        problems.push(format!(
            "openapi: {} (progenitor reads 3.0.x only)",
            spec.openapi
        ));
    }
    let components = &spec.components;
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            problems.push(format!("paths.{path}: a $ref path item"));
            continue;
        };
        for (i, parameter) in item.parameters.iter().enumerate() {
            let at = format!("paths.{path}.parameters.{i}");
            check_parameter(parameter, components, &at, &mut problems);
        }
        for (method, operation) in item.iter() {
            let at = format!("paths.{path}.{method}");
            check_operation(operation, components, &at, &mut problems);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn check_operation(
    operation: &Operation,
    components: &Option<Components>,
    at: &str,
    problems: &mut Vec<String>,
) {
    if operation.operation_id.is_none() {
        problems.push(format!("{at}.operationId: missing (progenitor needs one)"));
    }
    for (i, parameter) in operation.parameters.iter().enumerate() {
        check_parameter(
            parameter,
            components,
            &format!("{at}.parameters.{i}"),
            problems,
        );
    }
    if let Some(body) = &operation.request_body {
        let at = format!("{at}.requestBody");
        check_request_body(resolve_body(body, components, &at), &at, problems);
    }

    // One success kind and one error kind per operation (progenitor asserts).
    let mut success: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut error: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let statuses = operation.responses.default.iter().map(|r| (None, r)).chain(
        operation
            .responses
            .responses
            .iter()
            .map(|(s, r)| (Some(s), r)),
    );
    for (status, response) in statuses {
        let name = status.map_or("default".to_string(), ToString::to_string);
        let at = format!("{at}.responses.{name}");
        let Some(kind) = response_kind(resolve_response(response, components, &at), &at, problems)
        else {
            continue;
        };
        if is_success(&status) {
            success.entry(kind.clone()).or_default().push(name.clone());
        }
        if is_error(&status) {
            error.entry(kind).or_default().push(name);
        }
    }
    for (group, kinds) in [("success", success), ("error", error)] {
        if kinds.len() > 1 {
            let listed: Vec<String> = kinds
                .iter()
                .map(|(kind, statuses)| format!("{} -> {kind}", statuses.join(",")))
                .collect();
            problems.push(format!(
                "{at}.responses: {group} responses have different body types ({}); \
                 progenitor allows one per operation",
                listed.join("; ")
            ));
        }
    }
}

/// How progenitor will type a response body: the JSON schema, a raw byte stream
/// (any other single media type) or nothing.
fn response_kind(response: &Response, at: &str, problems: &mut Vec<String>) -> Option<String> {
    let mut content = response.content.iter();
    match (content.next(), content.next()) {
        (None, _) => Some("no body".to_string()),
        (Some((media, body)), None) if is_json(media) => match &body.schema {
            _ if !body.encoding.is_empty() => {
                problems.push(format!("{at}.content.{media}.encoding: not supported"));
                None
            }
            None => {
                problems.push(format!("{at}.content.{media}: JSON without a schema"));
                None
            }
            Some(ReferenceOr::Reference { reference }) => Some(format!("JSON {reference}")),
            Some(inline) => Some(format!(
                "JSON inline schema {}",
                serde_json::to_string(inline).expect("schemas serialise")
            )),
        },
        (Some(_), None) => Some("byte stream".to_string()),
        (Some(_), Some(_)) => {
            let media: Vec<&str> = response.content.keys().map(String::as_str).collect();
            problems.push(format!(
                "{at}.content: several media types ({}); progenitor would keep only one",
                media.join(", ")
            ));
            None
        }
    }
}

fn check_request_body(body: &RequestBody, at: &str, problems: &mut Vec<String>) {
    let mut content = body.content.iter();
    let (media, media_type) = match (content.next(), content.next()) {
        (Some(first), None) => first,
        (None, _) => {
            problems.push(format!("{at}.content: empty"));
            return;
        }
        (Some(_), Some(_)) => {
            let media: Vec<&str> = body.content.keys().map(String::as_str).collect();
            problems.push(format!(
                "{at}.content: several media types ({}); progenitor accepts one",
                media.join(", ")
            ));
            return;
        }
    };
    let at = format!("{at}.content.{media}");
    let essence = media.split(';').next().unwrap_or_default().trim();
    match essence {
        "application/json" | "application/x-www-form-urlencoded" => {
            check_body_schema(media_type, &at, problems);
        }
        // progenitor wants exactly `type: string` (+ `format: binary`) for these; it
        // names the offending schema itself if not.
        "application/octet-stream" | "text/plain" | "text/x-markdown" => {}
        "multipart/form-data" => problems.push(format!("{at}: multipart bodies are not supported")),
        other => problems.push(format!("{at}: request media type {other} is not supported")),
    }
}

fn check_body_schema(media_type: &MediaType, at: &str, problems: &mut Vec<String>) {
    if media_type.schema.is_none() {
        problems.push(format!("{at}: no schema"));
    }
    if !media_type.encoding.is_empty() {
        problems.push(format!("{at}.encoding: not supported"));
    }
}

fn check_parameter(
    parameter: &ReferenceOr<Parameter>,
    components: &Option<Components>,
    at: &str,
    problems: &mut Vec<String>,
) {
    let parameter = match parameter {
        ReferenceOr::Item(p) => p,
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/parameters/");
            let found = components
                .as_ref()
                .zip(name)
                .and_then(|(c, name)| c.parameters.get(name));
            match found {
                Some(ReferenceOr::Item(p)) => p,
                _ => {
                    problems.push(format!("{at}: cannot resolve {reference}"));
                    return;
                }
            }
        }
    };
    let style_ok = match parameter {
        Parameter::Path { style, .. } => matches!(style, PathStyle::Simple),
        Parameter::Query { style, .. } => matches!(style, QueryStyle::Form),
        Parameter::Header { .. } => true,
        Parameter::Cookie { .. } => {
            problems.push(format!("{at}: cookie parameters are not supported"));
            return;
        }
    };
    let data = parameter.parameter_data_ref();
    if !style_ok {
        problems.push(format!(
            "{at} ({}): only style simple (path) or form (query)",
            data.name
        ));
    }
    if let ParameterSchemaOrContent::Content(_) = data.format {
        problems.push(format!(
            "{at} ({}): `content` parameters are not supported",
            data.name
        ));
    }
}

fn resolve_response<'a>(
    response: &'a ReferenceOr<Response>,
    components: &'a Option<Components>,
    at: &str,
) -> &'a Response {
    match response {
        ReferenceOr::Item(r) => r,
        ReferenceOr::Reference { reference } => reference
            .strip_prefix("#/components/responses/")
            .zip(components.as_ref())
            .and_then(|(name, c)| c.responses.get(name))
            .and_then(ReferenceOr::as_item)
            .unwrap_or_else(|| panic!("{at}: cannot resolve {reference}")),
    }
}

fn resolve_body<'a>(
    body: &'a ReferenceOr<RequestBody>,
    components: &'a Option<Components>,
    at: &str,
) -> &'a RequestBody {
    match body {
        ReferenceOr::Item(b) => b,
        ReferenceOr::Reference { reference } => reference
            .strip_prefix("#/components/requestBodies/")
            .zip(components.as_ref())
            .and_then(|(name, c)| c.request_bodies.get(name))
            .and_then(ReferenceOr::as_item)
            .unwrap_or_else(|| panic!("{at}: cannot resolve {reference}")),
    }
}

/// Every operation with its path and lower-case method.
fn operations_mut(
    spec: &mut OpenAPI,
) -> impl Iterator<Item = (String, &'static str, &mut Operation)> {
    // `$ref` path items are skipped here and reported by the checks.
    let items = spec
        .paths
        .paths
        .iter_mut()
        .filter_map(|(path, item)| match item {
            ReferenceOr::Item(item) => Some((path, item)),
            ReferenceOr::Reference { .. } => None,
        });
    items.flat_map(|(path, item)| {
        [
            ("get", item.get.as_mut()),
            ("put", item.put.as_mut()),
            ("post", item.post.as_mut()),
            ("delete", item.delete.as_mut()),
            ("options", item.options.as_mut()),
            ("head", item.head.as_mut()),
            ("patch", item.patch.as_mut()),
            ("trace", item.trace.as_mut()),
        ]
        .into_iter()
        .filter_map(move |(method, op)| op.map(|op| (path.clone(), method, op)))
    })
}

fn is_json(media: &str) -> bool {
    media == "application/json" || media.starts_with("application/json;")
}

/// The statuses progenitor treats as success (`None` is `default`).
fn is_success(status: &Option<&StatusCode>) -> bool {
    match status {
        None => true,
        Some(StatusCode::Code(c)) => *c == 101 || (200..=299).contains(c),
        Some(StatusCode::Range(r)) => *r == 2,
    }
}

/// The statuses progenitor treats as errors (`None` is `default`).
fn is_error(status: &Option<&StatusCode>) -> bool {
    match status {
        None => true,
        Some(StatusCode::Code(c)) => (400..=599).contains(c),
        Some(StatusCode::Range(r)) => (4..=5).contains(r),
    }
}
