//! The OAI petstore-expanded example served over real HTTP: pets added reach the store
//! typed and come back, query arrays filter, and every invalid input is a problem+json
//! 4xx naming its field.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

async fn server() -> String {
    let addr = apiary_petstores::edge::start(apiary_petstores::expanded::app())
        .await
        .expect("a free port");
    format!("http://{addr}")
}

/// The problem document of a refused request, after checking its status and type.
async fn problem(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.expect("a JSON problem");
    assert_eq!(problem["status"], status.as_u16());
    problem
}

/// The fields a 422 names.
fn fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .expect("a 422 lists its errors")
        .iter()
        .map(|error| error["field"].as_str().expect("a field name"))
        .collect()
}

async fn add(client: &Client, base: &str, pet: Value) -> Value {
    let response = client
        .post(format!("{base}/pets"))
        .json(&pet)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_pet_added_is_found_listed_and_deleted() {
    let base = server().await;
    let client = Client::new();
    let rex = add(&client, &base, json!({"name": "Rex", "tag": "dog"})).await;
    let tom = add(&client, &base, json!({"name": "Tom"})).await;
    assert_eq!(rex, json!({"name": "Rex", "tag": "dog", "id": 1}));
    assert_eq!(tom, json!({"name": "Tom", "id": 2}));

    let found: Value = client
        .get(format!("{base}/pets/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found, rex);
    let all: Value = client
        .get(format!("{base}/pets"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all, json!([rex, tom]));

    let deleted = client
        .delete(format!("{base}/pets/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(deleted.bytes().await.unwrap().len(), 0);
    // Gone: the `default` response, an `Error` whose code is the status.
    for request in [
        client.get(format!("{base}/pets/1")),
        client.delete(format!("{base}/pets/1")),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response.headers()["content-type"],
            "application/json; charset=utf-8"
        );
        let error: Value = response.json().await.unwrap();
        assert_eq!(error, json!({"code": 404, "message": "There is no pet 1."}));
    }
}

#[tokio::test]
async fn pets_are_filtered_by_exploded_tags_and_limited() {
    let base = server().await;
    let client = Client::new();
    for (name, tag) in [
        ("Rex", "dog"),
        ("Tom", "cat"),
        ("Polly", "bird"),
        ("Fido", "dog"),
    ] {
        add(&client, &base, json!({"name": name, "tag": tag})).await;
    }
    let names = |pets: Value| -> Vec<String> {
        pets.as_array()
            .unwrap()
            .iter()
            .map(|pet| pet["name"].as_str().unwrap().to_string())
            .collect()
    };
    let get = |query: &'static str| {
        let url = format!("{base}/pets{query}");
        let client = client.clone();
        async move {
            let response = client.get(url).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(
        names(get("?tags=dog&tags=bird").await),
        ["Rex", "Polly", "Fido"]
    );
    assert_eq!(names(get("?tags=dog").await), ["Rex", "Fido"]);
    assert_eq!(
        names(get("?tags=dog&tags=bird&limit=2").await),
        ["Rex", "Polly"]
    );
    assert_eq!(names(get("?limit=0").await), Vec::<String>::new());
    assert_eq!(names(get("?tags=fish").await), Vec::<String>::new());

    // The handler's own refusal: the `default` response with the status it chose.
    let negative = client
        .get(format!("{base}/pets?limit=-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(negative.status(), StatusCode::BAD_REQUEST);
    let error: Value = negative.json().await.unwrap();
    assert_eq!(
        error,
        json!({"code": 400, "message": "`limit` must not be negative."})
    );
}

#[tokio::test]
async fn invalid_parameters_are_422_problems_naming_them() {
    let base = server().await;
    let client = Client::new();
    for query in ["?limit=ten", "?limit=1.5", "?limit=99999999999"] {
        let response = client
            .get(format!("{base}/pets{query}"))
            .send()
            .await
            .unwrap();
        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&problem), ["limit"], "{query}: {problem}");
    }
    for request in [
        client.get(format!("{base}/pets/rex")),
        client.delete(format!("{base}/pets/1.5")),
    ] {
        let problem = problem(
            request.send().await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(fields(&problem), ["id"], "{problem}");
    }
}

#[tokio::test]
async fn invalid_bodies_are_problems_and_nothing_is_stored() {
    let base = server().await;
    let client = Client::new();
    let post = |body: &'static str, content_type: &'static str| {
        client
            .post(format!("{base}/pets"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let missing = problem(
        post(r#"{"tag":"dog"}"#, "application/json").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&missing), ["name"], "{missing}");
    let mistyped = problem(
        post(r#"{"name":7,"tag":["dog"]}"#, "application/json")
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let mut named = fields(&mistyped);
    named.sort_unstable();
    assert_eq!(named, ["name", "tag"], "{mistyped}");
    problem(
        post(r#"{"name":"#, "application/json").await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        post("name=Rex", "application/x-www-form-urlencoded")
            .await
            .unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;

    let all: Value = client
        .get(format!("{base}/pets"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all, json!([]));
}

#[tokio::test]
async fn paths_and_methods_the_spec_does_not_have_are_problems() {
    let base = server().await;
    let client = Client::new();
    problem(
        client.get(format!("{base}/owners")).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        client.put(format!("{base}/pets/1")).send().await.unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
    )
    .await;
}
