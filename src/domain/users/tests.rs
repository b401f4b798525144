//! Tests of registration, authentication and preferences, on every backend under test.

use std::str::FromStr;

use sea_orm::EntityTrait;

use super::*;
use crate::domain::{
    passwords::HashPool,
    test_support::{TEST_BCRYPT_COST, databases},
};

const PASSWORD: &str = "correct-horse-7";

fn new_user(email: &str, password: &str) -> NewUser {
    NewUser {
        email: email.to_owned(),
        password: password.to_owned(),
        phone: None,
    }
}

/// The users over each backend's service reader (pipelined on PostgreSQL).
async fn services() -> Vec<(&'static str, UserService)> {
    let mut services = Vec::new();
    for (backend, db) in databases().await {
        let reader = crate::storage::testing::service_reader(&db).await;
        let hasher = PasswordHasher::new(TEST_BCRYPT_COST, HashPool::new(2)).unwrap();
        services.push((backend, UserService::new(reader, hasher)));
    }
    services
}

#[tokio::test]
async fn registration_lower_cases_the_email_and_refuses_it_twice() {
    for (backend, users) in services().await {
        let mut new = new_user("Ada@Example.COM", PASSWORD);
        new.phone = Some("+442071838750".into());
        let user = users.register(new).await.expect(backend);
        assert_eq!(user.email, "ada@example.com", "{backend}");
        assert_eq!(user.phone.as_deref(), Some("+442071838750"), "{backend}");
        assert_eq!(
            user.preferences,
            Preferences {
                locale: "en-US".into(),
                currency: "EUR".into(),
                marketing_emails: false
            },
            "{backend}"
        );
        assert_eq!(
            users.get(user.id).await.expect(backend),
            user,
            "{backend}: as stored"
        );

        let again = users
            .register(new_user("ADA@example.com", "another-pass-8"))
            .await;
        assert!(
            matches!(
                again,
                Err(DomainError::AlreadyExists {
                    resource: "user",
                    ..
                })
            ),
            "{backend}: {again:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_registrations_of_one_email_let_exactly_one_win() {
    for (backend, users) in services().await {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let users = users.clone();
                // Different cases, same address.
                let email = if i % 2 == 0 {
                    "race@example.com"
                } else {
                    "RACE@example.com"
                };
                tokio::spawn(async move { users.register(new_user(email, PASSWORD)).await })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            match task.await.expect("the task runs") {
                Ok(_) => won += 1,
                Err(DomainError::AlreadyExists { .. }) => {}
                Err(other) => panic!("{backend}: unexpected {other:?}"),
            }
        }
        assert_eq!(won, 1, "{backend}");
    }
}

#[tokio::test]
async fn authentication_accepts_the_right_password_only() {
    for (backend, users) in services().await {
        let registered = users
            .register(new_user("bob@example.com", PASSWORD))
            .await
            .expect(backend);
        let user = users
            .authenticate("Bob@Example.com", PASSWORD)
            .await
            .expect(backend);
        assert_eq!(user, registered, "{backend}");
        for (email, password) in [
            ("bob@example.com", "wrong-password-1"),
            ("bob@example.com", ""),
            ("nobody@example.com", PASSWORD),
        ] {
            let refused = users.authenticate(email, password).await;
            assert!(
                matches!(refused, Err(DomainError::InvalidCredentials)),
                "{backend}: {email}/{password}: {refused:?}"
            );
        }
    }
}

/// The Kelvin sign (U+212A) lower-cases to `k`: an address spelled with it is refused by
/// registration and by login alike, not matched at login to the account it resembles.
#[tokio::test]
async fn an_address_registration_refuses_logs_into_no_account() {
    for (backend, users) in services().await {
        users
            .register(new_user("kate@example.com", PASSWORD))
            .await
            .expect(backend);
        let kelvin = "\u{212A}ate@example.com";
        let login = users.authenticate(kelvin, PASSWORD).await;
        assert!(
            matches!(login, Err(DomainError::InvalidCredentials)),
            "{backend}: {login:?}"
        );
        match users.register(new_user(kelvin, PASSWORD)).await {
            Err(DomainError::InvalidInput { field, .. }) => assert_eq!(field, "email"),
            other => panic!("{backend}: {other:?}"),
        }
        users
            .authenticate("KATE@example.COM", PASSWORD)
            .await
            .expect(backend);
    }
}

#[tokio::test]
async fn only_a_hash_is_stored() {
    for (backend, users) in services().await {
        let user = users
            .register(new_user("carol@example.com", PASSWORD))
            .await
            .expect(backend);
        let row = crate::storage::entities::users::Entity::find_by_id(user.id)
            .one(users.db())
            .await
            .unwrap()
            .unwrap();
        assert!(row.password_hash.starts_with("$2b$04$"), "{backend}");
        assert!(!row.password_hash.contains(PASSWORD), "{backend}");
        assert!(
            !format!("{row:?}").contains(&row.password_hash),
            "{backend}: Debug leaks"
        );
    }
    assert!(!format!("{:?}", new_user("a@b.c", PASSWORD)).contains(PASSWORD));
}

#[tokio::test]
async fn passwords_over_72_bytes_are_refused_not_truncated() {
    for (backend, users) in services().await {
        // 36 two-byte characters: 36 characters but 72 bytes, the most bcrypt reads.
        let max = "é".repeat(36);
        let over = format!("{max}1");
        let refused = users.register(new_user("long@example.com", &over)).await;
        match refused {
            Err(DomainError::InvalidInput { field, .. }) => assert_eq!(field, "password"),
            other => panic!("{backend}: {other:?}"),
        }
        users
            .register(new_user("long@example.com", &max))
            .await
            .expect(backend);
        users
            .authenticate("long@example.com", &max)
            .await
            .expect(backend);
        // bcrypt alone would accept this one: it ignores everything after byte 72.
        let same_prefix = users.authenticate("long@example.com", &over).await;
        assert!(
            matches!(same_prefix, Err(DomainError::InvalidCredentials)),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn invalid_registrations_name_their_field() {
    for (backend, users) in services().await {
        let mut bad_phone = new_user("p@example.com", PASSWORD);
        bad_phone.phone = Some("0123".into());
        for (new, field) in [
            (new_user("no-at-sign", PASSWORD), "email"),
            (new_user("e@example.com", ""), "password"),
            (bad_phone, "phone"),
        ] {
            match users.register(new).await {
                Err(DomainError::InvalidInput { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{backend}: {field}: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn preferences_merge_only_the_given_fields() {
    for (backend, users) in services().await {
        let user = users
            .register(new_user("dave@example.com", PASSWORD))
            .await
            .expect(backend);
        let patch = |locale: Option<&str>, currency: Option<&str>, marketing: Option<bool>| {
            PreferencesPatch {
                locale: locale.map(Into::into),
                currency: currency.map(Into::into),
                marketing_emails: marketing,
            }
        };
        let after = users
            .update_preferences(user.id, patch(None, Some("GBP"), None))
            .await
            .expect(backend);
        assert_eq!(
            (
                after.locale.as_str(),
                after.currency.as_str(),
                after.marketing_emails
            ),
            ("en-US", "GBP", false)
        );
        let after = users
            .update_preferences(user.id, patch(Some("en-GB"), None, Some(true)))
            .await
            .expect(backend);
        assert_eq!(
            (
                after.locale.as_str(),
                after.currency.as_str(),
                after.marketing_emails
            ),
            ("en-GB", "GBP", true)
        );
        let unchanged = users
            .update_preferences(user.id, PreferencesPatch::default())
            .await
            .expect(backend);
        assert_eq!(unchanged, after, "{backend}");
        assert_eq!(
            users.get(user.id).await.unwrap().preferences,
            after,
            "{backend}"
        );

        let bad = users
            .update_preferences(user.id, patch(None, Some("pounds"), None))
            .await;
        assert!(
            matches!(bad, Err(DomainError::InvalidInput { ref field, .. }) if field == "currency"),
            "{bad:?}"
        );
        let bad = users
            .update_preferences(user.id, patch(Some("en_GB"), None, None))
            .await;
        assert!(
            matches!(bad, Err(DomainError::InvalidInput { ref field, .. }) if field == "locale"),
            "{bad:?}"
        );
        assert_eq!(
            users.get(user.id).await.unwrap().preferences,
            after,
            "{backend}: refused patches change nothing"
        );

        let missing = users
            .update_preferences(999_999, patch(None, Some("USD"), None))
            .await;
        assert!(
            matches!(
                missing,
                Err(DomainError::NotFound {
                    resource: "user",
                    ..
                })
            ),
            "{missing:?}"
        );
        let missing = users.get(999_999).await;
        assert!(
            matches!(
                missing,
                Err(DomainError::NotFound {
                    resource: "user",
                    ..
                })
            ),
            "{missing:?}"
        );
    }
}

/// The unknown-email path verifies against a real hash of the configured cost, so it
/// does the same bcrypt work as a wrong password (a malformed hash would fail fast).
#[test]
fn the_dummy_hash_costs_what_a_real_one_costs() {
    for cost in [4, 10, 12] {
        let hash = super::dummy_hash(cost);
        let parts = bcrypt::HashParts::from_str(&hash).expect("a well-formed bcrypt hash");
        assert_eq!(parts.get_cost(), cost);
    }
    assert_eq!(
        bcrypt::verify("any-password-1", &super::dummy_hash(4)).ok(),
        Some(false)
    );
}
