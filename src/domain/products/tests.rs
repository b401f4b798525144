//! Tests of the catalogue on every backend under test.

use super::*;
use crate::domain::test_support::databases;
use crate::storage::DEMO_PRODUCTS;

/// The catalogue over each backend's service reader (pipelined on PostgreSQL).
async fn services() -> Vec<(&'static str, ProductService)> {
    let mut services = Vec::new();
    for (backend, db) in databases().await {
        let reader = crate::storage::testing::service_reader(&db).await;
        services.push((backend, ProductService::new(reader)));
    }
    services
}

fn ids(products: Vec<Product>) -> Vec<i64> {
    products.into_iter().map(|p| p.id).collect()
}

fn new_product(name: &str, description: Option<&str>) -> NewProduct {
    NewProduct {
        name: name.to_owned(),
        description: description.map(Into::into),
        price_cents: 1999,
        currency: "EUR".to_owned(),
    }
}

#[tokio::test]
async fn a_fresh_database_holds_the_demo_catalogue() {
    for (backend, products) in services().await {
        let (page, total) = products.list(3, 0).await.expect(backend);
        assert!(total >= 1000, "{backend}: {total}");
        assert_eq!(total, DEMO_PRODUCTS as u64, "{backend}");
        assert_eq!(page[0].id, 1, "{backend}");
        assert_eq!(page[0].name, "Walnut desk lamp", "{backend}");
        assert_eq!(
            page[0].description.as_deref(),
            Some("A warm reading light, in walnut.")
        );
        assert_eq!(
            (page[0].price_cents, page[0].currency.as_str()),
            (4900, "EUR")
        );
        assert_eq!(page[0].created_at.to_rfc3339(), "2023-07-15T12:30:00+00:00");
        let currencies: Vec<_> = page.iter().map(|p| p.currency.as_str()).collect();
        assert_eq!(currencies, ["EUR", "USD", "GBP"], "{backend}");
    }
}

#[tokio::test]
async fn pages_follow_the_id_order() {
    for (backend, products) in services().await {
        let (first, total) = products.list(10, 0).await.expect(backend);
        assert_eq!(first.len(), 10);
        assert!(first.windows(2).all(|w| w[0].id < w[1].id), "{backend}");
        let (shifted, _) = products.list(10, 5).await.expect(backend);
        assert_eq!(shifted[..5], first[5..], "{backend}");
        let (tail, tail_total) = products.list(100, total - 3).await.expect(backend);
        assert_eq!((tail.len(), tail_total), (3, total), "{backend}");
        let (beyond, beyond_total) = products.list(100, total + 10).await.expect(backend);
        assert!(beyond.is_empty(), "{backend}");
        assert_eq!(
            beyond_total, total,
            "past the end the total still comes ({backend})"
        );
        for (limit, offset, field) in [(0, 0, "limit"), (101, 0, "limit"), (10, u64::MAX, "offset")]
        {
            match products.list(limit, offset).await {
                Err(DomainError::InvalidInput { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{backend}: {limit}/{offset}: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn created_products_can_be_read_back() {
    for (backend, products) in services().await {
        let created = products
            .create(new_product("Cork yoga block", Some("Firm and light.")))
            .await
            .expect(backend);
        assert!(created.id > DEMO_PRODUCTS as i64, "{backend}");
        assert_eq!(
            products.get(created.id).await.expect(backend),
            created,
            "{backend}"
        );
        let (_, total) = products.list(1, 0).await.unwrap();
        assert_eq!(total, DEMO_PRODUCTS as u64 + 1, "{backend}");
        let without = products
            .create(new_product("Plain box", None))
            .await
            .expect(backend);
        assert_eq!(without.description, None);

        let missing = products.get(-1).await;
        assert!(
            matches!(
                missing,
                Err(DomainError::NotFound {
                    resource: "product",
                    ..
                })
            ),
            "{missing:?}"
        );
    }
}

#[tokio::test]
async fn invalid_products_name_their_field() {
    let (backend, products) = services().await.remove(0);
    let long_description = "x".repeat(2001);
    let cases = [
        (new_product("", None), "name"),
        (new_product(&"n".repeat(201), None), "name"),
        (new_product("ok", Some(&long_description)), "description"),
        (
            NewProduct {
                price_cents: -1,
                ..new_product("ok", None)
            },
            "price_cents",
        ),
        (
            NewProduct {
                price_cents: MAX_PRICE_CENTS + 1,
                ..new_product("ok", None)
            },
            "price_cents",
        ),
        (
            NewProduct {
                currency: "euro".into(),
                ..new_product("ok", None)
            },
            "currency",
        ),
    ];
    for (new, field) in cases {
        match products.create(new).await {
            Err(DomainError::InvalidInput { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{backend}: {field}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn search_ignores_case_and_matches_name_or_description() {
    for (backend, products) in services().await {
        let found = products.search("WALNUT DESK", 100).await.expect(backend);
        assert_eq!(found[0].name, "Walnut desk lamp", "{backend}");
        assert!(found.windows(2).all(|w| w[0].id < w[1].id), "{backend}");
        for product in &found {
            let text = format!(
                "{} {}",
                product.name,
                product.description.clone().unwrap_or_default()
            );
            assert!(
                text.to_lowercase().contains("walnut desk"),
                "{backend}: {text}"
            );
        }
        // "reading light" appears only in descriptions.
        let by_description = products.search("Reading LIGHT", 100).await.expect(backend);
        assert!(!by_description.is_empty(), "{backend}");
        assert!(
            by_description
                .iter()
                .all(|p| !p.name.to_lowercase().contains("reading"))
        );
        let limited = products.search("lamp", 5).await.expect(backend);
        assert_eq!(limited.len(), 5, "{backend}");
        assert!(
            products
                .search("no such thing anywhere", 10)
                .await
                .expect(backend)
                .is_empty()
        );
    }
}

#[tokio::test]
async fn wildcards_in_the_query_match_themselves() {
    for (backend, products) in services().await {
        let percent = products
            .create(new_product("100% wool scarf", None))
            .await
            .unwrap();
        let underscore = products
            .create(new_product("snake_case mug", None))
            .await
            .unwrap();
        let backslash = products
            .create(new_product("Back\\slash poster", None))
            .await
            .unwrap();
        // Unescaped, each of these would match most of the catalogue.
        assert_eq!(
            ids(products.search("%", 100).await.expect(backend)),
            [percent.id],
            "{backend}"
        );
        assert_eq!(
            ids(products.search("0% W", 100).await.expect(backend)),
            [percent.id],
            "{backend}"
        );
        assert_eq!(
            ids(products.search("_", 100).await.expect(backend)),
            [underscore.id],
            "{backend}"
        );
        assert_eq!(
            ids(products.search("E_C", 100).await.expect(backend)),
            [underscore.id],
            "{backend}"
        );
        assert_eq!(
            ids(products.search("\\", 100).await.expect(backend)),
            [backslash.id],
            "{backend}"
        );
        assert_eq!(
            ids(products.search("K\\S", 100).await.expect(backend)),
            [backslash.id],
            "{backend}"
        );
        // Multi-character queries cannot match across unrelated rows either.
        assert!(
            products.search("w%l", 100).await.expect(backend).is_empty(),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn search_folds_every_letter_and_reads_quotes_as_text() {
    for (backend, products) in services().await {
        let screen = products
            .create(new_product("ÉCRAN géant", Some("Ein GRÜNER Bildschirm")))
            .await
            .unwrap();
        let quoted = products
            .create(new_product(
                "The \"Big\" mug",
                Some("a\"b AND c OR NEAR(d)"),
            ))
            .await
            .unwrap();
        for q in ["écran", "GÉANT", "grüner bild", "Écran Gé"] {
            assert_eq!(
                ids(products.search(q, 100).await.expect(backend)),
                [screen.id],
                "{backend}: {q}"
            );
        }
        // Quotes and the index's query words are text to find, never syntax.
        for q in ["\"big\"", "a\"b", "AND c OR NEAR(d)", "\"BIG\" MUG"] {
            assert_eq!(
                ids(products.search(q, 100).await.expect(backend)),
                [quoted.id],
                "{backend}: {q}"
            );
        }
        // One quote is too short for the index and is read by the scan; three are a
        // phrase of one quote character three times.
        assert_eq!(
            ids(products.search("\"", 100).await.expect(backend)),
            [quoted.id],
            "{backend}"
        );
        for q in ["\"\"\"", "big mug"] {
            assert!(
                products.search(q, 100).await.expect(backend).is_empty(),
                "{backend}: {q}"
            );
        }
    }
}

#[tokio::test]
async fn short_and_long_queries_find_the_same_rows_as_a_plain_scan() {
    for (backend, products) in services().await {
        let (all, _) = products.list(100, 0).await.expect(backend);
        // Texts of one to four characters, served by the index or by the scan: within
        // the first 100 products, they find what a scan of the names finds.
        for q in ["a", "De", "oak", "LAMP", "k l", "ut d", "zz", "xyz"] {
            let lower = q.to_lowercase();
            let expected: Vec<i64> = all
                .iter()
                .filter(|p| {
                    p.name.to_lowercase().contains(&lower)
                        || p.description
                            .as_deref()
                            .is_some_and(|d| d.to_lowercase().contains(&lower))
                })
                .map(|p| p.id)
                .take(20)
                .collect();
            let found: Vec<i64> = ids(products.search(q, 100).await.expect(backend))
                .into_iter()
                .filter(|id| *id <= all.last().unwrap().id)
                .take(20)
                .collect();
            assert_eq!(found, expected, "{backend}: {q}");
        }
    }
}

#[tokio::test]
async fn search_refuses_empty_long_queries_and_bad_limits() {
    let (backend, products) = services().await.remove(0);
    for (q, limit, field) in [
        ("", 10, "q"),
        (&*"q".repeat(101), 10, "q"),
        ("lamp", 0, "limit"),
    ] {
        match products.search(q, limit).await {
            Err(DomainError::InvalidInput { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{backend}: {field}: {other:?}"),
        }
    }
}
