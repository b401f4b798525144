//! Tests of the built-in sources on a fresh SQLite database, and on a fresh
//! PostgreSQL database too when `TEST_DATABASE_URL` names a server (as the domain's
//! tests pick their databases).

use chrono::{TimeZone, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, EntityTrait};

use super::*;
use crate::{
    domain::{
        passwords::{HashPool, PasswordHasher},
        summary::{FailureReason, OrderStatus},
        users::{NewUser, UserService},
    },
    storage::{Reader, testing::databases},
    upstream::{UpstreamSettings, build_summary_service},
};

/// A cap on sources that answer at once: it only catches a hang, so a busy machine
/// never turns an answer into a timeout.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Registers `email` (bcrypt cost 4, tests only) and returns the new user's id.
async fn register(db: &DatabaseConnection, email: &str) -> i64 {
    let user = UserService::new(
        Reader::new(db),
        PasswordHasher::new(4, HashPool::new(1)).unwrap(),
    )
    .register(NewUser {
        email: email.into(),
        password: "correct-horse-7".into(),
        phone: None,
    })
    .await
    .expect("registered");
    user.id
}

fn order_row(user_id: i64, day: u32, currency: &str) -> orders::ActiveModel {
    orders::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        status: Set("paid".into()),
        total_cents: Set(1000),
        currency: Set(currency.into()),
        created_at: Set(Utc.with_ymd_and_hms(2025, 1, day, 12, 0, 0).unwrap()),
    }
}

#[tokio::test]
async fn builtin_profiles_are_stored_or_synthesised_from_the_email() {
    for (backend, db) in databases().await {
        let source = BuiltinProfiles::new(db.clone(), TIMEOUT);
        let ada = register(&db, "Ada.Lovelace@Example.com").await;
        assert_eq!(
            source.profile(ada).await,
            Ok(Profile {
                user_id: ada,
                display_name: "ada.lovelace".into(),
                avatar_url: None,
                bio: None,
            }),
            "{backend}: synthesised (emails are stored lower-cased)"
        );

        let stored = Profile {
            user_id: ada,
            display_name: "Ada".into(),
            avatar_url: Some("https://img.example.com/ada.png".into()),
            bio: Some("Counts things.".into()),
        };
        profiles::ActiveModel {
            user_id: Set(ada),
            display_name: Set(stored.display_name.clone()),
            avatar_url: Set(stored.avatar_url.clone()),
            bio: Set(stored.bio.clone()),
        }
        .insert(&db)
        .await
        .expect(backend);
        assert_eq!(source.profile(ada).await, Ok(stored), "{backend}: stored");

        assert_eq!(
            source.profile(ada + 1000).await,
            Err(FailureReason::Unavailable),
            "{backend}: no such user"
        );
    }
}

#[tokio::test]
async fn builtin_orders_come_newest_first_and_bounded() {
    for (backend, db) in databases().await {
        let source = BuiltinOrders::new(db.clone(), TIMEOUT);
        // A fresh database's first user has the demo orders.
        let first = register(&db, "ada@example.com").await;
        assert_eq!(first, 1, "{backend}");
        let demo = source.orders(first).await.expect(backend);
        let statuses: Vec<_> = demo.iter().map(|o| o.status).collect();
        assert_eq!(
            statuses,
            [
                OrderStatus::Pending,
                OrderStatus::Shipped,
                OrderStatus::Paid
            ],
            "{backend}: newest first"
        );
        assert!(
            demo.iter()
                .all(|o| o.user_id == first && o.currency == "EUR")
        );

        let other = register(&db, "grace@example.com").await;
        let mine = register(&db, "edsger@example.com").await;
        let lonely = register(&db, "lonely@example.com").await;
        assert!(lonely > 3, "{backend}: beyond the demo users");
        assert_eq!(source.orders(lonely).await, Ok(vec![]), "{backend}");

        let rows: Vec<_> = (0..MAX_ORDERS + 5)
            .map(|n| order_row(mine, 1 + (n % 28) as u32, "USD"))
            .collect();
        orders::Entity::insert_many(rows)
            .exec_without_returning(&db)
            .await
            .expect(backend);
        let listed = source.orders(mine).await.expect(backend);
        assert_eq!(listed.len() as u64, MAX_ORDERS, "{backend}: bounded");
        assert!(
            listed
                .windows(2)
                .all(|w| (w[0].created_at, w[0].id) > (w[1].created_at, w[1].id)),
            "{backend}: newest first"
        );
        assert!(
            source
                .orders(other)
                .await
                .expect(backend)
                .iter()
                .all(|o| o.user_id == other),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_stored_order_breaking_the_rules_fails_the_source() {
    for (backend, db) in databases().await {
        let user = register(&db, "ada@example.com").await;
        // char(3) and the CHECKs let this through; the domain's rules do not.
        order_row(user, 2, "eur").insert(&db).await.expect(backend);
        assert_eq!(
            BuiltinOrders::new(db.clone(), TIMEOUT).orders(user).await,
            Err(FailureReason::InvalidResponse),
            "{backend}"
        );
        let mut refused = order_row(user, 3, "EUR");
        refused.status = Set("refunded".into());
        assert!(
            refused.insert(&db).await.is_err(),
            "{backend}: the CHECK refuses unknown statuses"
        );
    }
}

#[tokio::test]
async fn the_default_summary_service_uses_the_database() {
    for (backend, db) in databases().await {
        let user = register(&db, "ada@example.com").await;
        let summaries =
            build_summary_service(&UpstreamSettings::default(), db.clone()).expect(backend);
        let summary = summaries.summary(user).await.expect(backend);
        assert!(!summary.partial, "{backend}");
        assert!(summary.errors.is_empty(), "{backend}");
        assert_eq!(summary.profile.unwrap().display_name, "ada", "{backend}");
        assert_eq!(
            summary.orders.unwrap().len(),
            3,
            "{backend}: the demo orders"
        );
    }
}
