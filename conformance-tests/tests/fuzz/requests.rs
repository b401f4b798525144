//! Requests: a generated case, printed as a reproducible request, and the strategies
//! that make valid ones and ones with exactly one constraint broken.

use std::{
    collections::{BTreeSet, HashMap},
    fmt,
    sync::Arc,
};

use proptest::{prelude::*, strategy::Union};
use serde_json::{Map, Value, json};

use crate::spec::Op;
use crate::values::{as_param, breakages, free_text, valid_value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// The operation needs none.
    NotNeeded,
    /// `Authorization: Bearer <the registered user's token>`.
    Valid,
    /// The same token with the scheme in lower case (RFC 9110 section 11.1: the scheme
    /// is case-insensitive).
    ValidLowercaseScheme,
    Missing,
    /// A valid token of an account granted no scope, for an operation that requires one.
    WithoutScope,
    /// A header that must be refused.
    Bad(String),
}

#[derive(Debug, Clone)]
pub enum Intent {
    Valid,
    Invalid {
        what: String,
        /// The `errors[].field` the 422 must name; `None` for the whole document.
        field: Option<String>,
        /// Whether `field: ""` (the document) also names it. A missing required or an
        /// unknown property is named by its own path, so only a body that is not an
        /// object is the document's.
        root_ok: bool,
        /// Whether a 404 is right too: an empty path segment may name no route at all
        /// (`/v1/products/` is not `/v1/products/{product_id}`).
        or_404: bool,
    },
}

/// What the requests of one run share.
pub struct Env {
    pub base: String,
    pub token: String,
    /// A token of another account, one that configuration grants no scope.
    pub unscoped_token: String,
}

/// One generated request, printed as a reproducible one.
#[derive(Clone)]
pub struct Case {
    pub op: Arc<Op>,
    pub env: Arc<Env>,
    /// One entry per `op.params`, `None` when absent.
    pub params: Vec<Option<String>>,
    /// The body as JSON (a form body is its fields as an object).
    pub body: Option<Value>,
    pub auth: Auth,
    pub intent: Intent,
}

pub fn encode_segment(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl Case {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.op
            .params
            .iter()
            .position(|p| p.name == name)
            .and_then(|i| self.params[i].as_deref())
    }

    pub fn field(&self, name: &str) -> Option<&Value> {
        self.body.as_ref().and_then(|b| b.get(name))
    }

    pub fn url(&self) -> String {
        let mut path = self.op.path.clone();
        for (param, value) in self.op.params.iter().zip(&self.params) {
            if param.in_path {
                let value = value.as_deref().unwrap_or_default();
                path = path.replace(&format!("{{{}}}", param.name), &encode_segment(value));
            }
        }
        let mut url = reqwest::Url::parse(&format!("{}{path}", self.env.base)).expect("a URL");
        let query: Vec<(&str, &str)> = self
            .op
            .params
            .iter()
            .zip(&self.params)
            .filter(|(p, _)| !p.in_path)
            .filter_map(|(p, v)| v.as_deref().map(|v| (p.name.as_str(), v)))
            .collect();
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url.to_string()
    }

    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        match &self.auth {
            Auth::Valid => headers.push(("authorization", format!("Bearer {}", self.env.token))),
            Auth::ValidLowercaseScheme => {
                headers.push(("authorization", format!("bearer {}", self.env.token)));
            }
            Auth::WithoutScope => {
                headers.push((
                    "authorization",
                    format!("Bearer {}", self.env.unscoped_token),
                ));
            }
            Auth::Bad(value) => headers.push(("authorization", value.clone())),
            Auth::NotNeeded | Auth::Missing => {}
        }
        if let (Some(_), Some(spec)) = (&self.body, &self.op.body) {
            let media = if spec.upload {
                "application/octet-stream"
            } else if spec.form {
                "application/x-www-form-urlencoded"
            } else {
                "application/json"
            };
            headers.push(("content-type", media.to_string()));
        }
        headers
    }

    pub fn body_text(&self) -> Option<String> {
        let body = self.body.as_ref()?;
        if self.op.body.as_ref().is_some_and(|b| b.upload) {
            return Some(format!("<{} file>", body.as_str().unwrap_or_default()));
        }
        let form = self.op.body.as_ref().is_some_and(|b| b.form);
        Some(if form {
            let pairs: Vec<(String, String)> = body
                .as_object()
                .expect("form bodies are objects")
                .iter()
                .map(|(k, v)| (k.clone(), as_param(v)))
                .collect();
            serde_urlencoded::to_string(pairs).expect("a form encodes")
        } else {
            body.to_string()
        })
    }

    pub fn request(&self, http: &reqwest::Client) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(self.op.method.as_bytes()).expect("a method");
        let mut request = http.request(method, self.url());
        for (name, value) in self.headers() {
            request = request.header(name, value);
        }
        let upload = self.op.body.as_ref().is_some_and(|b| b.upload);
        match (&self.body, upload) {
            (Some(kind), true) => {
                request = request.body(upload_bytes(kind.as_str().unwrap_or_default()));
            }
            _ => {
                if let Some(body) = self.body_text() {
                    request = request.body(body);
                }
            }
        }
        request
    }
}

pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.op.method, self.url())?;
        for (name, value) in self.headers() {
            writeln!(f, "{name}: {value}")?;
        }
        if let Some(body) = self.body_text() {
            writeln!(f, "\n{body}")?;
        }
        match &self.intent {
            Intent::Valid => writeln!(f, "(operation {}: valid input)", self.op.id)?,
            Intent::Invalid { what, .. } => {
                writeln!(f, "(operation {}: invalid input, {what})", self.op.id)?;
            }
        }
        let mut curl = format!("curl -i -X {} {}", self.op.method, shell_quote(&self.url()));
        for (name, value) in self.headers() {
            curl.push_str(&format!(" -H {}", shell_quote(&format!("{name}: {value}"))));
        }
        if let Some(body) = self.body_text() {
            curl.push_str(&format!(" --data-binary {}", shell_quote(&body)));
        }
        write!(f, "{curl}")
    }
}

/// The parts of a request before it is checked in as a `Case`.
#[derive(Debug, Clone)]
pub struct Draft {
    pub params: Vec<Option<String>>,
    pub body: Option<Value>,
    pub auth: Auth,
}

/// Values the world makes interesting, by parameter or property name.
pub type Hints = HashMap<String, Vec<Value>>;

pub fn hints_for<'a>(hints: &'a Hints, name: &str) -> &'a [Value] {
    hints.get(name).map(Vec::as_slice).unwrap_or_default()
}

pub fn valid_params(op: &Op, hints: &Hints) -> Vec<BoxedStrategy<Option<String>>> {
    op.params
        .iter()
        .map(|param| {
            let value = valid_value(&param.scalar, hints_for(hints, &param.name))
                .prop_map(|v| as_param(&v));
            if param.required {
                value.prop_map(Some).boxed()
            } else {
                prop_oneof![1 => Just(None), 3 => value.prop_map(Some)].boxed()
            }
        })
        .collect()
}

/// The kinds of file an upload case sends, by name: a small PNG (accepted), text
/// (not an image: 415) and nothing at all (422). All are schema-valid binary bodies.
pub const UPLOADS: [&str; 3] = ["png", "text", "empty"];

/// The bytes of an upload kind.
pub fn upload_bytes(kind: &str) -> Vec<u8> {
    match kind {
        "png" => {
            let image = image::RgbImage::from_pixel(24, 16, image::Rgb([1, 2, 3]));
            let mut out = std::io::Cursor::new(Vec::new());
            image
                .write_to(&mut out, image::ImageFormat::Png)
                .expect("a PNG encodes");
            out.into_inner()
        }
        "text" => b"plain text, not a picture".to_vec(),
        _ => Vec::new(),
    }
}

pub fn valid_body(op: &Op, hints: &Hints) -> BoxedStrategy<Option<Value>> {
    let Some(spec) = &op.body else {
        return Just(None).boxed();
    };
    if spec.upload {
        return proptest::sample::select(UPLOADS.to_vec())
            .prop_map(|kind| Some(json!(kind)))
            .boxed();
    }
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = spec
        .props
        .iter()
        .map(|prop| {
            let name = prop.name.clone();
            let value = valid_value(&prop.scalar, hints_for(hints, &prop.name))
                .prop_map(move |v| Some((name.clone(), v)));
            if prop.required {
                value.boxed()
            } else {
                prop_oneof![1 => Just(None), 3 => value].boxed()
            }
        })
        .collect();
    let open = !spec.closed;
    let known: BTreeSet<String> = spec.props.iter().map(|p| p.name.clone()).collect();
    // Where the schema allows other properties, a valid body may carry some.
    let extra = if open {
        prop_oneof![
            4 => Just(None),
            1 => ("x_[a-z]{1,8}", free_text(0, 12))
                .prop_filter("unknown", move |(k, _)| !known.contains(k))
                .prop_map(|(k, v)| Some((k, Value::String(v)))),
        ]
        .boxed()
    } else {
        Just(None).boxed()
    };
    (fields, extra)
        .prop_map(|(fields, extra)| {
            let map: Map<String, Value> = fields.into_iter().flatten().chain(extra).collect();
            Some(Value::Object(map))
        })
        .boxed()
}

pub fn auths(op: &Op, env: &Env, mostly_valid: bool) -> BoxedStrategy<Auth> {
    if !op.bearer {
        return Just(Auth::NotNeeded).boxed();
    }
    // A signature character changed (not the last one: its low bits may be padding).
    let mut tampered: Vec<char> = env.token.chars().collect();
    let at = tampered.len() - 10;
    tampered[at] = if tampered[at] == 'A' { 'B' } else { 'A' };
    let tampered = String::from_iter(tampered);
    let bad = proptest::sample::select(vec![
        Auth::Bad("Bearer not-a-jwt".into()),
        Auth::Bad("Bearer ".into()),
        Auth::Bad(format!("Bearer {tampered}")),
        Auth::Bad(format!("Basic {}", "dXNlcjpwYXNzd29yZA==")),
        Auth::Bad(env.token.clone()),
    ]);
    // A token without the scope counts as a valid token only where none is required.
    let unscoped = if op.scoped {
        Auth::WithoutScope
    } else {
        Auth::Valid
    };
    if mostly_valid {
        prop_oneof![
            18 => Just(Auth::Valid),
            1 => Just(Auth::Missing),
            1 => bad,
            1 => Just(unscoped),
        ]
        .boxed()
    } else {
        prop_oneof![
            10 => Just(Auth::Valid),
            2 => Just(Auth::ValidLowercaseScheme),
            2 => Just(Auth::Missing),
            3 => bad,
            2 => Just(unscoped),
        ]
        .boxed()
    }
}

pub fn drafts(op: &Op, env: &Env, hints: &Hints, mostly_valid_auth: bool) -> BoxedStrategy<Draft> {
    (
        valid_params(op, hints),
        valid_body(op, hints),
        auths(op, env, mostly_valid_auth),
    )
        .prop_map(|(params, body, auth)| Draft { params, body, auth })
        .boxed()
}

pub fn valid_cases(op: &Arc<Op>, env: &Arc<Env>, hints: &Hints) -> BoxedStrategy<Case> {
    let (op, env) = (op.clone(), env.clone());
    drafts(&op, &env, hints, false)
        .prop_map(move |d| Case {
            op: op.clone(),
            env: env.clone(),
            params: d.params,
            body: d.body,
            auth: d.auth,
            intent: Intent::Valid,
        })
        .boxed()
}

/// Valid requests with exactly one constraint broken, each way equally likely; `None`
/// when the operation has no constraint to break.
pub fn invalid_cases(op: &Arc<Op>, env: &Arc<Env>, hints: &Hints) -> Option<BoxedStrategy<Case>> {
    type Apply = Arc<dyn Fn(&mut Draft, Value) + Send + Sync>;
    // (what, field, root_ok, or_404, values, apply)
    type Way = (
        String,
        Option<String>,
        bool,
        bool,
        BoxedStrategy<Value>,
        Apply,
    );
    let mut ways: Vec<Way> = Vec::new();
    for (i, param) in op.params.iter().enumerate() {
        let set: Apply = Arc::new(move |d: &mut Draft, v: Value| d.params[i] = Some(as_param(&v)));
        if param.required {
            let unset: Apply = Arc::new(move |d: &mut Draft, _| d.params[i] = None);
            ways.push((
                format!("parameter {} missing", param.name),
                Some(param.name.clone()),
                false,
                param.in_path,
                Just(Value::Null).boxed(),
                unset,
            ));
        }
        for b in breakages(&param.scalar, true) {
            // An empty path segment is the "missing" case above.
            let values = if param.in_path {
                b.values
                    .prop_filter("a path segment", |v| v != &json!(""))
                    .boxed()
            } else {
                b.values
            };
            ways.push((
                format!("parameter {}: {}", param.name, b.what),
                Some(param.name.clone()),
                false,
                false,
                values,
                set.clone(),
            ));
        }
    }
    if let Some(spec) = &op.body {
        for prop in &spec.props {
            let name = prop.name.clone();
            let set: Apply = Arc::new(move |d: &mut Draft, v: Value| {
                if let Some(Value::Object(map)) = &mut d.body {
                    map.insert(name.clone(), v);
                }
            });
            if prop.required {
                let name = prop.name.clone();
                let remove: Apply = Arc::new(move |d: &mut Draft, _| {
                    if let Some(Value::Object(map)) = &mut d.body {
                        map.remove(&name);
                    }
                });
                ways.push((
                    format!("body property {} missing", prop.name),
                    Some(prop.name.clone()),
                    false,
                    false,
                    Just(Value::Null).boxed(),
                    remove,
                ));
            }
            for b in breakages(&prop.scalar, spec.form) {
                ways.push((
                    format!("body property {}: {}", prop.name, b.what),
                    Some(prop.name.clone()),
                    false,
                    false,
                    b.values,
                    set.clone(),
                ));
            }
        }
        if spec.closed {
            // One name the schema does not know, so the 422 can be asked to name it.
            let known: BTreeSet<String> = spec.props.iter().map(|p| p.name.clone()).collect();
            let unknown = (0..)
                .map(|n| format!("unexpected_{n}"))
                .find(|name| !known.contains(name))
                .expect("a free name");
            let key = unknown.clone();
            let add: Apply = Arc::new(move |d: &mut Draft, v: Value| {
                if let Some(Value::Object(map)) = &mut d.body {
                    map.insert(key.clone(), v);
                }
            });
            ways.push((
                "unknown body property (additionalProperties: false)".into(),
                Some(unknown),
                false,
                false,
                prop_oneof![
                    any::<bool>().prop_map(Value::from),
                    any::<i64>().prop_map(Value::from),
                    "[a-z]{0,8}".prop_map(Value::from),
                ]
                .boxed(),
                add,
            ));
        }
        if !spec.form && !spec.upload {
            let replace: Apply = Arc::new(|d: &mut Draft, v: Value| d.body = Some(v));
            ways.push((
                "body is not an object".into(),
                None,
                true,
                false,
                proptest::sample::select(vec![json!([]), json!("x"), json!(1), json!(null)])
                    .boxed(),
                replace,
            ));
        }
    }
    if ways.is_empty() {
        return None;
    }
    let strategies: Vec<BoxedStrategy<Case>> = ways
        .into_iter()
        .map(|(what, field, root_ok, or_404, values, apply)| {
            let (op, env) = (op.clone(), env.clone());
            (drafts(&op, &env, hints, true), values)
                .prop_map(move |(mut draft, value)| {
                    apply(&mut draft, value);
                    Case {
                        op: op.clone(),
                        env: env.clone(),
                        params: draft.params,
                        body: draft.body,
                        auth: draft.auth,
                        intent: Intent::Invalid {
                            what: what.clone(),
                            field: field.clone(),
                            root_ok,
                            or_404,
                        },
                    }
                })
                .boxed()
        })
        .collect();
    Some(Union::new(strategies).boxed())
}
