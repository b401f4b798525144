//! Checks on the shape of the generated SDK and the handwritten helpers.
//!
//! No server and no outside network: requests that must reach the wire go to a
//! listener on 127.0.0.1 that records each request and plays back canned responses,
//! one per request, in order.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;

use apiary_client::{
    ByteStream, Client, Error, ResponseValue, SPEC_ADAPTATIONS, problem_of, retry_after, sign_in,
    types, with_bearer,
};

/// Nothing listens here; tests that use it must fail before sending anything.
const NOWHERE: &str = "http://127.0.0.1:9";

#[test]
fn password_newtype_enforces_min_length_and_digit() {
    let too_short = types::UserCreatePassword::try_from("horse-7");
    let no_digit = types::UserCreatePassword::try_from("correct-horse-battery");
    let too_long = types::UserCreatePassword::try_from("1".repeat(73));
    assert!(
        too_short
            .unwrap_err()
            .to_string()
            .contains("shorter than 10")
    );
    assert!(no_digit.unwrap_err().to_string().contains("pattern"));
    assert!(too_long.is_err());
    assert_eq!(
        types::UserCreatePassword::try_from("correct-horse-7")
            .unwrap()
            .as_str(),
        "correct-horse-7"
    );
}

#[test]
fn patterned_strings_are_checked_newtypes() {
    assert!(types::UserCreatePhone::try_from("+442071838750").is_ok());
    assert!(types::UserCreatePhone::try_from("02071838750").is_err());
    assert!(types::ProductCreateCurrency::try_from("EUR").is_ok());
    assert!(types::ProductCreateCurrency::try_from("eur").is_err());
    assert!(types::PreferencesUpdateLocale::try_from("en-GB").is_ok());
    assert!(types::PreferencesUpdateLocale::try_from("english!").is_err());
    assert!(types::SearchProductsQ::try_from("").is_err());
}

#[test]
fn user_create_builder_names_the_bad_field() {
    let err = types::UserCreate::try_from(
        types::UserCreate::builder()
            .email("ada@example.com")
            .password("no digits at all"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("password"), "{err}");

    let ok = types::UserCreate::try_from(
        types::UserCreate::builder()
            .email("ada@example.com")
            .password("correct-horse-7"),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(ok).unwrap(),
        serde_json::json!({"email": "ada@example.com", "password": "correct-horse-7"}),
        "an absent phone is left out, not sent as null"
    );
}

#[tokio::test]
async fn invalid_input_is_refused_before_sending() {
    let client = Client::new(NOWHERE);
    let bad_user = client
        .create_user()
        .body(
            types::UserCreate::builder()
                .email("ada@example.com")
                .password("short"),
        )
        .send()
        .await;
    assert!(
        matches!(bad_user, Err(Error::InvalidRequest(_))),
        "{bad_user:?}"
    );

    let empty_query = client.search_products().q("").send().await;
    assert!(matches!(empty_query, Err(Error::InvalidRequest(_))));
    let zero_limit = client.list_products().limit(0).send().await;
    assert!(matches!(zero_limit, Err(Error::InvalidRequest(_))));
}

#[test]
fn only_the_token_operations_and_the_uploads_are_adapted() {
    let mut adapted: Vec<&str> = SPEC_ADAPTATIONS
        .iter()
        .map(|line| line.split(' ').next().unwrap_or_default())
        .collect();
    adapted.sort_unstable();
    assert_eq!(
        adapted,
        [
            "createToken",
            "createTokenV2",
            "uploadImage",
            "uploadImageV2"
        ],
        "{SPEC_ADAPTATIONS:?}"
    );
}

/// Compiles only while `createToken`'s documented error is the typed OAuth2 one and
/// the problem+json operations' errors are raw bodies (what `problem_of` reads).
#[expect(dead_code, reason = "a compile-time check, never run")]
async fn error_types(client: &Client) {
    let _: Result<ResponseValue<types::Token>, Error<types::OAuthError>> =
        client.create_token().send().await;
    let _: Result<ResponseValue<types::User>, Error<ByteStream>> =
        client.create_user().send().await;
}

#[tokio::test]
async fn create_token_sends_a_form_and_its_413_decodes_as_a_problem() {
    let (base_url, request) = serve_once(
        "413 Payload Too Large",
        "application/problem+json",
        r#"{"type":"about:blank","title":"Payload Too Large","status":413,
            "detail":"The body is larger than 65536 bytes.","instance":"/v1/auth/token",
            "request_id":"r-1"}"#,
    );
    let result = Client::new(&base_url)
        .create_token()
        .body_map(|form| {
            form.grant_type("password".to_string())
                .username("ada@example.com".to_string())
                .password("correct-horse-7".to_string())
        })
        .send()
        .await;

    let request = request.join().unwrap();
    assert!(request.starts_with("POST /v1/auth/token "), "{request}");
    assert!(
        has_header(
            &request,
            "content-type",
            "application/x-www-form-urlencoded"
        ),
        "{request}"
    );
    assert_password_grant(&request);

    // 413 is not in the adapted operation, so it arrives as UnexpectedResponse.
    let err = result.unwrap_err();
    assert!(matches!(err, Error::UnexpectedResponse(_)), "{err:?}");
    let problem = problem_of(err).await.unwrap();
    assert_eq!(problem.status, 413);
    assert_eq!(
        problem.detail.as_deref(),
        Some("The body is larger than 65536 bytes.")
    );
}

#[tokio::test]
async fn with_bearer_sends_the_token_and_a_401_decodes_as_a_problem() {
    let (base_url, request) = serve_once(
        "401 Unauthorized",
        "application/problem+json; charset=utf-8",
        r#"{"type":"about:blank","title":"Unauthorized","status":401,
            "detail":"The token has expired.","request_id":"r-2"}"#,
    );
    let result = with_bearer(&base_url, "tok.en.sig")
        .unwrap()
        .get_account()
        .send()
        .await;

    let request = request.join().unwrap();
    assert!(request.starts_with("GET /v1/account "), "{request}");
    assert!(
        has_header(&request, "authorization", "Bearer tok.en.sig"),
        "{request}"
    );

    let err = result.unwrap_err();
    assert!(matches!(err, Error::ErrorResponse(_)), "documented 401");
    let problem = problem_of(err).await.unwrap();
    assert_eq!(
        (problem.title.as_str(), problem.request_id.as_str()),
        ("Unauthorized", "r-2")
    );
}

#[tokio::test]
async fn sign_in_runs_the_password_grant_and_its_client_sends_the_token() {
    let (base_url, requests) = serve(vec![
        (
            "200 OK",
            "application/json",
            r#"{"access_token":"tok.en.sig","token_type":"bearer","expires_in":900}"#,
        ),
        (
            "401 Unauthorized",
            "application/problem+json",
            r#"{"type":"about:blank","title":"Unauthorized","status":401,
                "detail":"The token has been revoked.","request_id":"r-3"}"#,
        ),
    ]);
    let (client, token) = sign_in(&base_url, "ada@example.com", "correct-horse-7")
        .await
        .unwrap();
    assert_eq!(
        (token.access_token.as_str(), token.expires_in.get()),
        ("tok.en.sig", 900)
    );
    let account = client.get_account().send().await;

    let requests = requests.join().unwrap();
    let (grant, me) = (&requests[0], &requests[1]);
    assert!(grant.starts_with("POST /v1/auth/token "), "{grant}");
    assert!(!has_header(grant, "authorization", "Bearer tok.en.sig"));
    assert_password_grant(grant);
    assert!(me.starts_with("GET /v1/account "), "{me}");
    assert!(has_header(me, "authorization", "Bearer tok.en.sig"), "{me}");
    let problem = problem_of(account.unwrap_err()).await.unwrap();
    assert_eq!(problem.request_id, "r-3");
}

#[tokio::test]
async fn sign_in_hands_back_a_refused_grant_typed() {
    let (base_url, request) = serve_once(
        "400 Bad Request",
        "application/json",
        r#"{"error":"invalid_grant","error_description":"The email or password is wrong."}"#,
    );
    let err = sign_in(&base_url, "ada@example.com", "wrong-horse-7")
        .await
        .expect_err("a refused grant");
    request.join().unwrap();
    match err {
        Error::ErrorResponse(oauth) => {
            assert_eq!(oauth.error_description, "The email or password is wrong.")
        }
        other => panic!("expected the typed OAuth error, got {other:?}"),
    }
}

#[test]
fn with_bearer_refuses_a_token_that_cannot_be_a_header() {
    assert!(with_bearer(NOWHERE, "line\nbreak").is_err());
}

#[tokio::test]
async fn problem_of_reads_field_errors_and_hands_back_other_errors() {
    let unprocessable = response(
        422,
        "application/problem+json",
        r#"{"type":"about:blank","title":"Unprocessable Entity","status":422,
            "request_id":"r-3","errors":[{"field":"password","message":"must contain a digit"}]}"#,
    );
    let err = Error::<ByteStream>::ErrorResponse(ResponseValue::stream(unprocessable));
    let problem = problem_of(err).await.unwrap();
    assert_eq!(problem.errors.len(), 1);
    assert_eq!(problem.errors[0].field, "password");

    // Not problem+json: the error comes back as it was, body unread.
    let plain = response(400, "text/plain", "bad request");
    let err = problem_of(Error::<()>::UnexpectedResponse(plain))
        .await
        .unwrap_err();
    let Error::UnexpectedResponse(plain) = err else {
        panic!("{err:?}")
    };
    assert_eq!(plain.text().await.unwrap(), "bad request");

    let err = problem_of(Error::<ByteStream>::InvalidRequest("x".into())).await;
    assert!(matches!(err, Err(Error::InvalidRequest(_))));

    // Says problem+json but is not one: reported as an invalid payload.
    let broken = response(500, "application/problem+json", "{");
    let err = problem_of(Error::<()>::UnexpectedResponse(broken)).await;
    assert!(matches!(err, Err(Error::InvalidResponsePayload(..))));
}

#[test]
fn retry_after_reads_the_wait_of_a_429_or_503() {
    let waiting = |status: u16, retry_after: &str| -> reqwest::Response {
        http::Response::builder()
            .status(status)
            .header("content-type", "application/problem+json")
            .header("retry-after", retry_after)
            .body("{}")
            .unwrap()
            .into()
    };
    let shed = Error::<()>::UnexpectedResponse(waiting(503, "5"));
    assert_eq!(retry_after(&shed), Some(std::time::Duration::from_secs(5)));
    let limited = Error::<ByteStream>::ErrorResponse(ResponseValue::stream(waiting(429, " 12 ")));
    assert_eq!(
        retry_after(&limited),
        Some(std::time::Duration::from_secs(12))
    );
    // An HTTP-date, no header, or no response at all: nothing to read.
    let dated = Error::<()>::UnexpectedResponse(waiting(503, "Wed, 21 Oct 2015 07:28:00 GMT"));
    assert_eq!(retry_after(&dated), None);
    let none = Error::<()>::UnexpectedResponse(response(503, "application/problem+json", "{}"));
    assert_eq!(retry_after(&none), None);
    assert_eq!(retry_after(&Error::<()>::InvalidRequest("x".into())), None);
}

fn response(status: u16, content_type: &str, body: &'static str) -> reqwest::Response {
    http::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(body)
        .unwrap()
        .into()
}

/// The body of `request` is the password grant for ada@example.com, form-encoded.
fn assert_password_grant(request: &str) {
    let (_, body) = request.split_once("\r\n\r\n").unwrap();
    let mut fields: Vec<&str> = body.split('&').collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "grant_type=password",
            "password=correct-horse-7",
            "username=ada%40example.com"
        ],
        "{request}"
    );
}

fn has_header(request: &str, name: &str, value: &str) -> bool {
    request.lines().any(|line| {
        line.split_once(':').is_some_and(|(n, v)| {
            n.eq_ignore_ascii_case(name) && v.trim().eq_ignore_ascii_case(value)
        })
    })
}

/// A listener on 127.0.0.1 that answers one request with the given response and
/// returns the raw request (head and body) from the join handle.
fn serve_once(
    status: &'static str,
    content_type: &'static str,
    body: &'static str,
) -> (String, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || answer_one(&listener, status, content_type, body));
    (base_url, handle)
}

/// `serve_once` for a sequence: the n-th request gets the n-th answer, each on a
/// connection of its own; the join handle returns the requests in order.
fn serve(
    answers: Vec<(&'static str, &'static str, &'static str)>,
) -> (String, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        answers
            .into_iter()
            .map(|(status, content_type, body)| answer_one(&listener, status, content_type, body))
            .collect()
    });
    (base_url, handle)
}

/// Accepts one connection, reads one request (head and body), answers it and closes.
fn answer_one(listener: &TcpListener, status: &str, content_type: &str, body: &str) -> String {
    let (stream, _) = listener.accept().unwrap();
    let mut reader = BufReader::new(stream);
    let mut request = String::new();
    let mut content_length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap();
        }
        request.push_str(&line);
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    let mut payload = vec![0; content_length];
    reader.read_exact(&mut payload).unwrap();
    request.push_str(&String::from_utf8(payload).unwrap());
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
        body.len()
    );
    reader.into_inner().write_all(answer.as_bytes()).unwrap();
    request
}
