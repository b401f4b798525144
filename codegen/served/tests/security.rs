//! Requests served through the code generated from `specs/security.yaml`: several
//! schemes required at once, alternatives of them, and the `WWW-Authenticate`
//! challenges of a 401.

use std::sync::Arc;

use apiary_runtime::{Authenticate, Credential, Presented, Unauthenticated};
use poem::http::StatusCode;
use poem::{Endpoint, Request, Route};
use poem_openapi::OpenApiService;

/// The generated server; what the tests do not use stays unused.
#[allow(
    clippy::all,
    clippy::pedantic,
    dead_code,
    missing_docs,
    unused_qualifications
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/security.rs"));
}

use generated::{BothResponse, DefaultApi, EitherAuth, EitherResponse, MixedAuth, MixedResponse};

/// Who presented a credential, and to which scheme. Accepted: the key `key-1`, the
/// password `pw` for any user, and a bearer token `NAME` or `NAME:SCOPE SCOPE...`
/// carrying those scopes; `bad` is refused as the runtime's `Unauthenticated`, a token
/// without a required scope is a 403.
#[derive(Debug)]
pub struct Principal {
    scheme: &'static str,
    who: String,
}

impl Authenticate for Principal {
    async fn authenticate(_request: &Request, presented: Presented) -> poem::Result<Self> {
        let who = match presented.credential {
            Credential::ApiKey(key) if key == "key-1" => key,
            Credential::Basic { username, password } if password == "pw" => username,
            Credential::Bearer(token) if token != "bad" => {
                let (name, scopes) = token.split_once(':').unwrap_or((&token, ""));
                let carried: Vec<&str> = scopes.split(' ').collect();
                if let Some(scope) = presented.scopes.iter().find(|s| !carried.contains(s)) {
                    return Err(poem::Error::from_string(
                        format!("the token lacks `{scope}`"),
                        StatusCode::FORBIDDEN,
                    ));
                }
                name.to_string()
            }
            _ => return Err(Unauthenticated::refused("The credential is not valid.").into()),
        };
        Ok(Self {
            scheme: presented.scheme,
            who,
        })
    }
}

struct Api;

fn shown(principal: &Principal) -> String {
    format!("{}={}", principal.scheme, principal.who)
}

impl DefaultApi for Api {
    async fn both(&self, auth: generated::ApiKeyAndPetstoreAuthWritePets) -> BothResponse {
        BothResponse::Ok(poem_openapi::payload::PlainText(format!(
            "{} {}",
            shown(&auth.api_key),
            shown(&auth.petstore_auth)
        )))
    }

    async fn either(&self, auth: EitherAuth) -> EitherResponse {
        let principal = match &auth {
            EitherAuth::Token(p) => &p.0,
            EitherAuth::Basic(p) => &p.0,
            EitherAuth::ApiKey(p) => &p.0,
        };
        EitherResponse::Ok(poem_openapi::payload::PlainText(shown(principal)))
    }

    async fn mixed(&self, auth: MixedAuth) -> MixedResponse {
        let text = match auth {
            MixedAuth::ApiKeyAndPetstoreAuth(all) => {
                format!("all: {} {}", shown(&all.api_key), shown(&all.petstore_auth))
            }
            MixedAuth::Basic(p) => format!("basic: {}", shown(&p.0)),
        };
        MixedResponse::Ok(poem_openapi::payload::PlainText(text))
    }
}

fn server() -> impl Endpoint {
    let api = OpenApiService::new(generated::api_adapters(Arc::new(Api)), "t", "1");
    Route::new().nest("/", api)
}

/// The status, the `WWW-Authenticate` fields in order, and the body of `request`'s answer.
async fn send(request: poem::RequestBuilder) -> (StatusCode, Vec<String>, String) {
    let response = server().get_response(request.finish()).await;
    let status = response.status();
    let challenges = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().expect("ASCII").to_string())
        .collect();
    let body = response.into_body().into_string().await.expect("a body");
    (status, challenges, body)
}

fn get(path: &str) -> poem::RequestBuilder {
    Request::builder().uri(path.parse().expect("a path"))
}

/// `Authorization: Basic` for `user:pw`.
const ANN_BASIC: &str = "Basic YW5uOnB3";

#[tokio::test]
async fn both_credentials_reach_the_handler() {
    let (status, _, body) = send(
        get("/both")
            .header("X-API-Key", "key-1")
            .header("Authorization", "Bearer ann:write:pets"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "apiKey=key-1 petstoreAuth=ann");
}

#[tokio::test]
async fn one_credential_missing_is_a_401_naming_both_schemes() {
    for request in [
        get("/both").header("X-API-Key", "key-1"),
        get("/both").header("Authorization", "Bearer ann:write:pets"),
    ] {
        let (status, challenges, body) = send(request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(
            challenges,
            [
                r#"ApiKey name="X-API-Key", in="header""#,
                r#"Bearer scope="write:pets""#
            ]
        );
        assert!(body.contains(r#""status":401"#), "{body}");
    }
}

#[tokio::test]
async fn a_missing_scope_on_one_scheme_is_a_403() {
    let (status, _, body) = send(
        get("/both")
            .header("X-API-Key", "key-1")
            .header("Authorization", "Bearer ann:read:pets"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("write:pets"), "{body}");
}

#[tokio::test]
async fn an_alternative_of_several_schemes_gets_all_its_principals() {
    let (status, _, body) = send(
        get("/mixed")
            .header("X-API-Key", "key-1")
            .header("Authorization", "Bearer bob:write:pets"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "all: apiKey=key-1 petstoreAuth=bob");

    let (status, _, body) = send(get("/mixed").header("Authorization", ANN_BASIC)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "basic: basic=ann");

    let (status, challenges, _) = send(get("/mixed").header("X-API-Key", "key-1")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenges,
        [
            r#"ApiKey name="X-API-Key", in="header""#,
            r#"Bearer scope="write:pets""#,
            r#"Basic realm="Served \"security\"""#,
        ]
    );
}

#[tokio::test]
async fn alternatives_answer_a_401_with_each_schemes_challenge() {
    let every = [
        "Bearer",
        r#"Basic realm="Served \"security\"""#,
        r#"ApiKey name="X-API-Key", in="header""#,
    ];
    let (status, challenges, body) = send(get("/either")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(challenges, every);
    assert!(body.contains(r#""status":401"#), "{body}");

    // A credential the application refuses: the same challenges.
    let (status, challenges, body) = send(get("/either").header("X-API-Key", "stolen")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(challenges, every);
    assert!(body.contains("The credential is not valid."), "{body}");

    for (request, expected) in [
        (
            get("/either").header("Authorization", "Bearer ann"),
            "token=ann",
        ),
        (
            get("/either").header("Authorization", ANN_BASIC),
            "basic=ann",
        ),
        (get("/either").header("X-API-Key", "key-1"), "apiKey=key-1"),
    ] {
        let (status, _, body) = send(request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, expected);
    }
}
