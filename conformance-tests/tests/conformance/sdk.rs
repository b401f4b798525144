//! The generated client against the real server: what a user of the SDK sees,
//! including problem documents decoded by `problem_of`.

use apiary_client::{Client, Error, problem_of, sign_in, types};
use apiary_conformance::{Contract, TestServer};

const PASSWORD: &str = "correct-horse-7";

pub async fn exercise(server: &TestServer, contract: &Contract) {
    let client = Client::new(&server.base_url);
    let email = format!("sdk-{}@example.com", uuid::Uuid::new_v4().simple());

    let user = client
        .create_user()
        .body(
            types::UserCreate::builder()
                .email(email.as_str())
                .password(PASSWORD),
        )
        .send()
        .await
        .expect("registers");
    assert_eq!(user.status().as_u16(), 201);
    contract.check_decoded("createUser", 201, &*user);

    let taken = client
        .create_user()
        .body(
            types::UserCreate::builder()
                .email(email.to_uppercase().as_str())
                .password(PASSWORD),
        )
        .send()
        .await
        .expect_err("the email is taken");
    let problem = problem_of(taken).await.expect("a problem document");
    assert_eq!(problem.status, 409);
    contract.check_decoded("createUser", 409, &problem);

    let refused = client
        .create_token()
        .body_map(|form| {
            form.grant_type("password".to_string())
                .username(email.clone())
                .password("wrong-horse-7".to_string())
        })
        .send()
        .await;
    match refused {
        Err(Error::ErrorResponse(oauth)) => {
            assert_eq!(oauth.status().as_u16(), 400);
            contract.check_decoded("createToken", 400, &*oauth);
        }
        other => panic!("a wrong password must be an OAuth error, got {other:?}"),
    }
    let (authed, token) = sign_in(&server.base_url, &email, PASSWORD)
        .await
        .expect("a token");
    contract.check_decoded("createToken", 200, &token);

    let account = authed.get_account().send().await.expect("the account");
    assert_eq!(account.email, email);
    contract.check_decoded("getAccount", 200, &*account);

    let page = client
        .list_products()
        .limit(5)
        .send()
        .await
        .expect("a page");
    assert_eq!(page.len(), 5);
    contract.check_decoded("listProducts", 200, &*page);

    let found = client
        .search_products()
        .q("lamp")
        .send()
        .await
        .expect("results");
    assert!(!found.is_empty());
    contract.check_decoded("searchProducts", 200, &*found);

    // Adding to the catalogue needs `products:write`: a plain account's token is refused
    // with a problem naming the scope; the administrator's token carries it.
    let lamp = || {
        types::ProductCreate::builder()
            .name("SDK lamp")
            .price_cents(1500)
            .currency("EUR")
    };
    let refused = authed
        .create_product()
        .body(lamp())
        .send()
        .await
        .expect_err("a plain account may not write the catalogue");
    let problem = problem_of(refused).await.expect("a problem document");
    assert_eq!(problem.status, 403);
    assert!(
        problem
            .detail
            .as_deref()
            .is_some_and(|detail| detail.contains("`products:write`")),
        "{problem:?}"
    );
    contract.check_decoded("createProduct", 403, &problem);
    let admin = apiary_conformance::server::TEST_CATALOGUE_ADMINS[0];
    let (catalogue, admin_token) = sign_in(&server.base_url, admin, PASSWORD)
        .await
        .expect("the administrator's token");
    assert_eq!(admin_token.scope.as_deref(), Some("products:write"));
    let created = catalogue
        .create_product()
        .body(lamp())
        .send()
        .await
        .expect("the administrator adds a product");
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(created.name, "SDK lamp");
    contract.check_decoded("createProduct", 201, &*created);

    let missing = client
        .get_product()
        .product_id(99_999_999)
        .send()
        .await
        .expect_err("no such product");
    let problem = problem_of(missing).await.expect("a problem document");
    assert_eq!(problem.status, 404);
    assert!(!problem.request_id.is_empty());
    contract.check_decoded("getProduct", 404, &problem);

    // Uploads: the SDK sends raw bytes (its spec keeps only the octet-stream body).
    let job = authed
        .upload_image()
        .body(super::images::png(320, 240))
        .send()
        .await
        .expect("accepted");
    assert_eq!(job.status().as_u16(), 202);
    assert_eq!(job.status, types::ImageStatus::Processing);
    contract.check_decoded("uploadImage", 202, &*job);
    let mut image = None;
    for _ in 0..300 {
        let current = authed
            .get_image()
            .image_id(job.id)
            .send()
            .await
            .expect("the image")
            .into_inner();
        if current.status != types::ImageStatus::Processing {
            image = Some(current);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let image = image.expect("the job ends within 30 s");
    assert_eq!(image.status, types::ImageStatus::Done);
    contract.check_decoded("getImage", 200, &image);
    let thumb = authed
        .get_image_variant()
        .image_id(job.id)
        .size(types::GetImageVariantSize::Thumb)
        .send()
        .await
        .expect("the thumbnail");
    assert_eq!(
        thumb
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    let refused = authed
        .upload_image()
        .body(b"not a picture".to_vec())
        .send()
        .await
        .expect_err("text is not an image");
    let problem = problem_of(refused).await.expect("a problem document");
    assert_eq!(problem.status, 415);
    contract.check_decoded("uploadImage", 415, &problem);

    // v2 carries the same calls.
    let job = authed
        .upload_image_v2()
        .body(super::images::png(64, 48))
        .send()
        .await
        .expect("accepted by v2");
    assert_eq!(job.status().as_u16(), 202);
    assert_eq!(job.status_url, format!("/v2/images/{}", job.id));
    contract.check_decoded("uploadImageV2", 202, &*job);
    let image = authed
        .get_image_v2()
        .image_id(job.id)
        .send()
        .await
        .expect("the image through v2");
    assert_eq!(image.id, job.id);
    contract.check_decoded("getImageV2", 200, &*image);
    let empty = authed
        .upload_image_v2()
        .body(Vec::new())
        .send()
        .await
        .expect_err("an empty file");
    let problem = problem_of(empty).await.expect("a problem document");
    assert_eq!(problem.status, 422);
    assert_eq!(problem.errors.len(), 1, "{problem:?}");
    assert_eq!(problem.errors[0].field, "file");
    contract.check_decoded("uploadImageV2", 422, &problem);
}
