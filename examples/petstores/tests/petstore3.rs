//! The Swagger Petstore 3 served over real HTTP: bearer (oauth2 scopes) and API key
//! security, JSON, XML, form and octet-stream bodies, query enums with a default,
//! exploded query arrays, a header parameter, response headers, several media types,
//! `default` responses and 404s; every invalid parameter or JSON body is a problem+json
//! 4xx naming the field.

use apiary_petstores::auth::Credentials;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{Value, json};

const FULL: &str = "Bearer full-token";
const READ_ONLY: &str = "Bearer read-token";
const KEY: &str = "special-key";

struct Petstore {
    base: String,
    client: Client,
}

impl Petstore {
    async fn start() -> Self {
        let app = apiary_petstores::petstore3::app(Credentials::demo());
        let addr = apiary_petstores::edge::start(app)
            .await
            .expect("a free port");
        Self {
            base: format!("http://{addr}"),
            client: Client::new(),
        }
    }

    fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(format!("{}{path}", self.base))
    }

    fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(format!("{}{path}", self.base))
    }

    fn put(&self, path: &str) -> RequestBuilder {
        self.client.put(format!("{}{path}", self.base))
    }

    fn delete(&self, path: &str) -> RequestBuilder {
        self.client.delete(format!("{}{path}", self.base))
    }

    /// Adds `pet` (JSON) with the full token; the stored pet.
    async fn add(&self, pet: Value) -> Value {
        let response = self
            .post("/pet")
            .header("authorization", FULL)
            .json(&pet)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

async fn send(request: RequestBuilder) -> reqwest::Response {
    request.send().await.expect("the server answers")
}

async fn json_of(request: RequestBuilder) -> Value {
    let response = send(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    response.json().await.unwrap()
}

/// The problem document of a refused request, after checking its status and type.
async fn problem(request: RequestBuilder, status: StatusCode) -> Value {
    let response = send(request).await;
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.expect("a JSON problem");
    assert_eq!(problem["status"], status.as_u16());
    problem
}

/// The fields a 422 problem names.
async fn invalid_fields(request: RequestBuilder) -> Vec<String> {
    let problem = problem(request, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut fields: Vec<String> = problem["errors"]
        .as_array()
        .expect("a 422 lists its errors")
        .iter()
        .map(|error| error["field"].as_str().expect("a field").to_string())
        .collect();
    fields.sort_unstable();
    fields
}

/// The status of an answer without a body (the spec documents it without content).
async fn bare_status(request: RequestBuilder) -> StatusCode {
    let response = send(request).await;
    let status = response.status();
    assert_eq!(response.bytes().await.unwrap().len(), 0, "{status}");
    status
}

fn doggie() -> Value {
    json!({
        "name": "doggie",
        "category": {"id": 1, "name": "Dogs"},
        "photoUrls": ["https://example.com/doggie.png"],
        "tags": [{"id": 1, "name": "good"}, {"id": 2, "name": "small"}],
        "status": "available"
    })
}

#[tokio::test]
async fn pet_operations_need_a_token_with_both_scopes() {
    let store = Petstore::start().await;
    let missing = problem(store.post("/pet").json(&doggie()), StatusCode::UNAUTHORIZED).await;
    assert!(
        missing["detail"].as_str().unwrap().contains("credential"),
        "{missing}"
    );
    let unknown = store.post("/pet").header("authorization", "Bearer nope");
    problem(unknown.json(&doggie()), StatusCode::UNAUTHORIZED).await;
    let read_only = store.post("/pet").header("authorization", READ_ONLY);
    let forbidden = problem(read_only.json(&doggie()), StatusCode::FORBIDDEN).await;
    assert_eq!(
        forbidden["detail"],
        "The token lacks the scopes `write:pets`."
    );
    // The API key does not stand in for the token where the spec asks for the token.
    let keyed = store.get("/pet/findByStatus").header("api_key", KEY);
    problem(keyed, StatusCode::UNAUTHORIZED).await;

    // Nothing was stored by the refused requests.
    let pets = json_of(store.get("/pet/findByStatus").header("authorization", FULL)).await;
    assert_eq!(pets, json!([]));
}

#[tokio::test]
async fn a_pet_is_fetched_with_either_the_api_key_or_the_token() {
    let store = Petstore::start().await;
    let pet = store.add(doggie()).await;
    let mut expected = doggie();
    expected["id"] = json!(1);
    assert_eq!(pet, expected);

    assert_eq!(
        json_of(store.get("/pet/1").header("api_key", KEY)).await,
        expected
    );
    assert_eq!(
        json_of(store.get("/pet/1").header("authorization", FULL)).await,
        expected
    );
    problem(store.get("/pet/1"), StatusCode::UNAUTHORIZED).await;
    problem(
        store.get("/pet/1").header("api_key", "wrong"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        store.get("/pet/1").header("authorization", READ_ONLY),
        StatusCode::FORBIDDEN,
    )
    .await;
    // Either alternative is enough: a wrong key beside a valid token, or the reverse.
    let both = store
        .get("/pet/1")
        .header("api_key", "wrong")
        .header("authorization", FULL);
    assert_eq!(json_of(both).await, expected);
    let both = store
        .get("/pet/1")
        .header("api_key", KEY)
        .header("authorization", READ_ONLY);
    assert_eq!(json_of(both).await, expected);

    assert_eq!(
        bare_status(store.get("/pet/2").header("api_key", KEY)).await,
        StatusCode::NOT_FOUND
    );
    // The answer is the media type `Accept` prefers; one it excludes is a 406.
    let in_xml = store
        .get("/pet/1")
        .header("api_key", KEY)
        .header("accept", "application/json;q=0.5, application/xml");
    let in_xml = send(in_xml).await;
    assert_eq!(in_xml.status(), StatusCode::OK);
    assert_eq!(in_xml.headers()["content-type"], "application/xml");
    assert!(
        in_xml
            .text()
            .await
            .unwrap()
            .starts_with("<pet><id>1</id><name>doggie</name>"),
        "a pet in XML"
    );
    let either = store
        .get("/pet/1")
        .header("api_key", KEY)
        .header("accept", "application/*");
    assert_eq!(json_of(either).await, expected);
    let neither = store
        .get("/pet/1")
        .header("api_key", KEY)
        .header("accept", "text/html");
    problem(neither, StatusCode::NOT_ACCEPTABLE).await;
    let fields = invalid_fields(store.get("/pet/doggie").header("api_key", KEY)).await;
    assert_eq!(fields, ["petId"]);
}

#[tokio::test]
async fn json_pet_bodies_are_validated_and_replace_the_stored_pet() {
    let store = Petstore::start().await;
    store.add(doggie()).await;
    let mut renamed = doggie();
    renamed["id"] = json!(1);
    renamed["name"] = json!("Rex");
    renamed["status"] = json!("sold");
    let put = store.put("/pet").header("authorization", FULL);
    assert_eq!(json_of(put.json(&renamed)).await, renamed);
    assert_eq!(
        json_of(store.get("/pet/1").header("api_key", KEY)).await,
        renamed
    );

    let mut unknown = renamed.clone();
    unknown["id"] = json!(9);
    let put = store.put("/pet").header("authorization", FULL);
    assert_eq!(bare_status(put.json(&unknown)).await, StatusCode::NOT_FOUND);
    let mut without_id = renamed.clone();
    without_id.as_object_mut().unwrap().remove("id");
    let put = store.put("/pet").header("authorization", FULL);
    assert_eq!(
        bare_status(put.json(&without_id)).await,
        StatusCode::BAD_REQUEST
    );

    let post = || store.post("/pet").header("authorization", FULL);
    let no_name = json!({"photoUrls": []});
    assert_eq!(invalid_fields(post().json(&no_name)).await, ["name"]);
    let bad = json!({"name": "x", "photoUrls": "one", "status": "lost", "category": {"id": "1"}});
    assert_eq!(
        invalid_fields(post().json(&bad)).await,
        ["category.id", "photoUrls", "status"]
    );
    let text = post().header("content-type", "text/plain").body("doggie");
    problem(text, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
}

#[tokio::test]
async fn xml_pet_bodies_are_read_and_answered_in_xml_when_accept_asks() {
    let store = Petstore::start().await;
    let xml = "<?xml version=\"1.0\"?><pet><name>Tom &amp; Jerry</name>\
        <category><id>2</id><name>Cats</name></category>\
        <photoUrls><photoUrl>a.png</photoUrl><photoUrl>b.png</photoUrl></photoUrls>\
        <tags><tag><id>3</id><name>fast</name></tag></tags><status>pending</status></pet>";
    let response = send(
        store
            .post("/pet")
            .header("authorization", FULL)
            .header("content-type", "application/xml")
            .header("accept", "application/xml")
            .body(xml),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/xml");
    assert_eq!(
        response.text().await.unwrap(),
        "<pet><id>1</id><name>Tom &amp; Jerry</name>\
        <category><id>2</id><name>Cats</name></category>\
        <photoUrls><photoUrl>a.png</photoUrl><photoUrl>b.png</photoUrl></photoUrls>\
        <tags><tag><id>3</id><name>fast</name></tag></tags><status>pending</status></pet>"
    );
    // The same pet, in JSON.
    assert_eq!(
        json_of(store.get("/pet/1").header("api_key", KEY)).await,
        json!({
            "id": 1, "name": "Tom & Jerry", "category": {"id": 2, "name": "Cats"},
            "photoUrls": ["a.png", "b.png"], "tags": [{"id": 3, "name": "fast"}],
            "status": "pending"
        })
    );
    // A document that is not a valid pet: the documented 422, which has no content.
    for invalid in [
        "<pet><photoUrls/></pet>",
        "<pet><name>x</name></pet>",
        "<pet><name>x</name><photoUrls/><status>lost</status></pet>",
        "<pet><name>x</name>",
        "<order/>",
    ] {
        let post = store
            .post("/pet")
            .header("authorization", FULL)
            .header("content-type", "application/xml")
            .body(invalid);
        assert_eq!(
            bare_status(post).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{invalid}"
        );
    }
}

#[tokio::test]
async fn pets_are_found_by_status_with_its_default_and_by_exploded_tags() {
    let store = Petstore::start().await;
    store.add(doggie()).await;
    let mut cat = doggie();
    cat["name"] = json!("cat");
    cat["status"] = json!("sold");
    cat["tags"] = json!([{"name": "fast"}]);
    store.add(cat).await;
    let names = |pets: Value| -> Vec<String> {
        pets.as_array()
            .unwrap()
            .iter()
            .map(|pet| pet["name"].as_str().unwrap().to_string())
            .collect()
    };
    let find = |query: &str| {
        store
            .get(&format!("/pet/{query}"))
            .header("authorization", FULL)
    };
    // No `status`: its default, `available`.
    assert_eq!(names(json_of(find("findByStatus")).await), ["doggie"]);
    assert_eq!(
        names(json_of(find("findByStatus?status=sold")).await),
        ["cat"]
    );
    assert_eq!(
        names(json_of(find("findByStatus?status=pending")).await),
        Vec::<String>::new()
    );
    assert_eq!(
        invalid_fields(find("findByStatus?status=lost")).await,
        ["status"]
    );

    assert_eq!(
        names(json_of(find("findByTags?tags=fast&tags=small")).await),
        ["doggie", "cat"]
    );
    assert_eq!(names(json_of(find("findByTags?tags=fast")).await), ["cat"]);
    assert_eq!(
        bare_status(find("findByTags")).await,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_pet_is_updated_from_query_parameters_and_deleted_with_the_api_key_header() {
    let store = Petstore::start().await;
    store.add(doggie()).await;
    let update = |query: &str| {
        store
            .post(&format!("/pet/{query}"))
            .header("authorization", FULL)
    };
    let pet = json_of(update("1?name=Rex&status=sold")).await;
    assert_eq!(
        (pet["name"].as_str(), pet["status"].as_str()),
        (Some("Rex"), Some("sold"))
    );
    assert_eq!(
        bare_status(update("1?status=lost")).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        bare_status(update("7?name=x")).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(invalid_fields(update("one?name=x")).await, ["petId"]);

    let delete = || store.delete("/pet/1").header("authorization", FULL);
    assert_eq!(
        bare_status(delete().header("api_key", "wrong")).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        bare_status(delete().header("api_key", KEY)).await,
        StatusCode::OK
    );
    assert_eq!(bare_status(delete()).await, StatusCode::BAD_REQUEST);
    assert_eq!(
        bare_status(store.get("/pet/1").header("api_key", KEY)).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_image_is_uploaded_as_octet_stream() {
    let store = Petstore::start().await;
    store.add(doggie()).await;
    let upload = |path: &str| store.post(path).header("authorization", FULL);
    let image = vec![0x89, b'P', b'N', b'G', 0, 1, 2, 3];
    let answer = json_of(
        upload("/pet/1/uploadImage?additionalMetadata=front%20view")
            .header("content-type", "application/octet-stream")
            .body(image),
    )
    .await;
    assert_eq!(
        answer,
        json!({
            "code": 200,
            "type": "application/octet-stream",
            "message": "8 bytes at /pet/1/images/1; metadata: front view"
        })
    );
    let pet = json_of(store.get("/pet/1").header("api_key", KEY)).await;
    assert_eq!(
        pet["photoUrls"],
        json!(["https://example.com/doggie.png", "/pet/1/images/1"])
    );

    // The body is optional in the spec: without one, the handler's 400.
    assert_eq!(
        bare_status(upload("/pet/1/uploadImage")).await,
        StatusCode::BAD_REQUEST
    );
    let elsewhere = upload("/pet/2/uploadImage")
        .header("content-type", "application/octet-stream")
        .body("x");
    assert_eq!(bare_status(elsewhere).await, StatusCode::NOT_FOUND);
    let as_json = upload("/pet/1/uploadImage").json(&json!({"image": "x"}));
    problem(as_json, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    problem(
        store.post("/pet/1/uploadImage").body("x"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn orders_are_placed_in_json_form_or_xml_and_counted_in_the_inventory() {
    let store = Petstore::start().await;
    store.add(doggie()).await;
    let order =
        json!({"petId": 1, "quantity": 2, "shipDate": "2026-01-02T03:04:05Z", "complete": false});
    let placed = json_of(store.post("/store/order").json(&order)).await;
    assert_eq!(
        placed,
        json!({"id": 2, "petId": 1, "quantity": 2, "shipDate": "2026-01-02T03:04:05Z", "status": "placed", "complete": false})
    );
    let form = store.post("/store/order").form(&[
        ("id", "10"),
        ("petId", "1"),
        ("quantity", "7"),
        ("status", "approved"),
        ("complete", "true"),
    ]);
    assert_eq!(
        json_of(form).await,
        json!({"id": 10, "petId": 1, "quantity": 7, "status": "approved", "complete": true})
    );
    let xml = store
        .post("/store/order")
        .header("content-type", "application/xml")
        .body("<order><petId>1</petId><quantity>3</quantity><status>delivered</status></order>");
    assert_eq!(
        json_of(xml).await,
        json!({"id": 11, "petId": 1, "quantity": 3, "status": "delivered"})
    );

    let not_an_order = store
        .post("/store/order")
        .header("content-type", "application/xml")
        .body("<order><quantity>many</quantity></order>");
    assert_eq!(
        bare_status(not_an_order).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // The order in XML, as the request's `Accept` asks.
    let fetched = send(
        store
            .get("/store/order/2")
            .header("accept", "application/xml"),
    )
    .await;
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.headers()["content-type"], "application/xml");
    assert_eq!(
        fetched.text().await.unwrap(),
        "<order><id>2</id><petId>1</petId><quantity>2</quantity>\
         <shipDate>2026-01-02T03:04:05Z</shipDate><status>placed</status>\
         <complete>false</complete></order>"
    );

    // The body is optional: without one, or for a pet that does not exist, a 400.
    assert_eq!(
        bare_status(store.post("/store/order")).await,
        StatusCode::BAD_REQUEST
    );
    let no_pet = store.post("/store/order").json(&json!({"petId": 9}));
    assert_eq!(bare_status(no_pet).await, StatusCode::BAD_REQUEST);
    let bad = json!({"petId": "one", "quantity": 1.5, "shipDate": "tomorrow", "status": "lost"});
    assert_eq!(
        invalid_fields(store.post("/store/order").json(&bad)).await,
        ["petId", "quantity", "shipDate", "status"]
    );
    assert_eq!(
        invalid_fields(store.get("/store/order/two")).await,
        ["orderId"]
    );

    // The inventory needs the API key.
    problem(store.get("/store/inventory"), StatusCode::UNAUTHORIZED).await;
    let wrong = store.get("/store/inventory").header("api_key", "wrong");
    problem(wrong, StatusCode::UNAUTHORIZED).await;
    let inventory = json_of(store.get("/store/inventory").header("api_key", KEY)).await;
    assert_eq!(inventory, json!({"available": 1}));

    assert_eq!(
        bare_status(store.delete("/store/order/2")).await,
        StatusCode::OK
    );
    assert_eq!(
        bare_status(store.delete("/store/order/2")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bare_status(store.get("/store/order/2")).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn users_are_created_logged_in_updated_and_deleted() {
    let store = Petstore::start().await;
    let ann = json!({"username": "ann", "firstName": "Ann", "email": "ann@example.com", "password": "pw-1", "userStatus": 1});
    let created = json_of(store.post("/user").json(&ann)).await;
    let mut expected = ann.clone();
    expected["id"] = json!(1);
    assert_eq!(created, expected);
    assert_eq!(json_of(store.get("/user/ann")).await, expected);

    let list =
        json!([{"username": "bob", "password": "pw-2"}, {"username": "cy", "phone": "12345"}]);
    let last = json_of(store.post("/user/createWithList").json(&list)).await;
    assert_eq!(last, json!({"id": 3, "username": "cy", "phone": "12345"}));
    let taken = store
        .post("/user/createWithList")
        .json(&json!([{"username": "ann"}]));
    assert_eq!(bare_status(taken).await, StatusCode::UNPROCESSABLE_ENTITY);
    let nobody = store.post("/user/createWithList");
    assert_eq!(bare_status(nobody).await, StatusCode::BAD_REQUEST);
    let listed = store
        .post("/user/createWithList")
        .json(&json!([{"username": 5}]));
    assert_eq!(invalid_fields(listed).await, ["0.username"]);

    // An XML body, answered in XML as `Accept` asks.
    let xml = send(
        store
            .post("/user")
            .header("content-type", "application/xml")
            .header("accept", "application/xml")
            .body("<user><username>dee</username><phone>12345</phone></user>"),
    )
    .await;
    assert_eq!(xml.status(), StatusCode::OK);
    assert_eq!(
        xml.text().await.unwrap(),
        "<user><id>4</id><username>dee</username><phone>12345</phone></user>"
    );
    // A user without a name cannot be found again: the handler's own status, through
    // `default`.
    let nameless = store.post("/user").json(&json!({"firstName": "x"}));
    assert_eq!(
        bare_status(nameless).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let again = store.post("/user").json(&json!({"username": "ann"}));
    assert_eq!(bare_status(again).await, StatusCode::CONFLICT);
    assert_eq!(
        bare_status(store.post("/user")).await,
        StatusCode::BAD_REQUEST
    );
    let invalid = store
        .post("/user")
        .json(&json!({"username": "eve", "id": "seven", "userStatus": true}));
    assert_eq!(invalid_fields(invalid).await, ["id", "userStatus"]);

    // Login: the session, with the documented response headers.
    let login = send(store.get("/user/login?username=ann&password=pw-1")).await;
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(login.headers()["x-rate-limit"], "5000");
    let expires = login.headers()["x-expires-after"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&expires).is_ok(),
        "{expires}"
    );
    assert_eq!(
        login.json::<Value>().await.unwrap(),
        "logged in user session: ann"
    );
    for query in [
        "username=ann&password=nope",
        "username=zed&password=pw-1",
        "username=ann",
    ] {
        let failed = store.get(&format!("/user/login?{query}"));
        assert_eq!(
            bare_status(failed).await,
            StatusCode::BAD_REQUEST,
            "{query}"
        );
    }
    assert_eq!(bare_status(store.get("/user/logout")).await, StatusCode::OK);

    // Update from a form body.
    let update = store
        .put("/user/ann")
        .form(&[("firstName", "Anne"), ("userStatus", "2")]);
    assert_eq!(bare_status(update).await, StatusCode::OK);
    assert_eq!(
        json_of(store.get("/user/ann")).await,
        json!({"id": 1, "username": "ann", "firstName": "Anne", "userStatus": 2})
    );
    let renamed = store.put("/user/ann").json(&json!({"username": "bob"}));
    assert_eq!(bare_status(renamed).await, StatusCode::BAD_REQUEST);
    let missing = store.put("/user/zed").json(&json!({"firstName": "Zed"}));
    assert_eq!(bare_status(missing).await, StatusCode::NOT_FOUND);

    assert_eq!(bare_status(store.delete("/user/ann")).await, StatusCode::OK);
    assert_eq!(
        bare_status(store.delete("/user/ann")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bare_status(store.get("/user/ann")).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn form_bodies_are_read_as_the_schema_types_their_fields() {
    // The Pet form's `photoUrls` is an array, its fields repeated; `id` an integer.
    let store = Petstore::start().await;
    let form = store.post("/pet").header("authorization", FULL).form(&[
        ("id", "7"),
        ("name", "doggie"),
        ("photoUrls", "a.png"),
        ("photoUrls", "b.png"),
        ("status", "available"),
    ]);
    let added = json_of(form).await;
    assert_eq!(added["id"], 7);
    assert_eq!(added["name"], "doggie");
    assert_eq!(added["photoUrls"], json!(["a.png", "b.png"]));
    let fetched = json_of(store.get("/pet/7").header("authorization", FULL)).await;
    assert_eq!(fetched["photoUrls"], json!(["a.png", "b.png"]));

    // A form value its field does not take is a 422 naming the field, as in JSON.
    let order = store
        .post("/store/order")
        .form(&[("petId", "7"), ("quantity", "lots")]);
    assert_eq!(invalid_fields(order).await, ["quantity"]);
    // A Pet form without the `photoUrls` it requires names it.
    let form = store
        .post("/pet")
        .header("authorization", FULL)
        .form(&[("name", "doggie")]);
    assert_eq!(invalid_fields(form).await, ["photoUrls"]);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_problems() {
    let store = Petstore::start().await;
    store.add(doggie()).await;
    let limit = apiary_petstores::petstore3::MAX_BODY_BYTES;
    let upload = |size: usize| {
        store
            .post("/pet/1/uploadImage")
            .header("authorization", FULL)
            .header("content-type", "application/octet-stream")
            .body(vec![7u8; size])
    };
    assert_eq!(send(upload(limit)).await.status(), StatusCode::OK);
    problem(upload(limit + 1), StatusCode::PAYLOAD_TOO_LARGE).await;
    let long_name = json!({"name": "x".repeat(limit), "photoUrls": []});
    let post = store.post("/pet").header("authorization", FULL);
    problem(post.json(&long_name), StatusCode::PAYLOAD_TOO_LARGE).await;
}

/// The `WWW-Authenticate` challenges of a 401, in the order the server sends them.
async fn challenges(request: RequestBuilder) -> Vec<String> {
    let response = send(request).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|value| value.to_str().expect("ASCII").to_string())
        .collect()
}

#[tokio::test]
async fn a_401_names_each_scheme_that_would_be_accepted() {
    let store = Petstore::start().await;
    assert_eq!(
        challenges(store.post("/pet").json(&doggie())).await,
        ["Bearer scope=\"write:pets read:pets\""]
    );
    assert_eq!(
        challenges(store.get("/pet/1")).await,
        [
            "ApiKey name=\"api_key\", in=\"header\"",
            "Bearer scope=\"write:pets read:pets\""
        ]
    );
    let refused = store.get("/store/inventory").header("api_key", "wrong");
    assert_eq!(
        challenges(refused).await,
        ["ApiKey name=\"api_key\", in=\"header\""]
    );
}
