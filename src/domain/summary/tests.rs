//! Tests of the fan-out with in-memory sources on tokio's paused clock (so the
//! concurrency checks are exact, not wall-clock), and of the value rules. The adapters
//! have their own tests in `crate::upstream`.

use std::{sync::Arc, time::Duration};

use chrono::{TimeZone, Utc};
use tokio::time::Instant;

use super::*;

/// A source that answers `answer` after `delay`.
struct Fake<T> {
    delay: Duration,
    answer: Result<T, FailureReason>,
}

fn fake<T>(delay_ms: u64, answer: Result<T, FailureReason>) -> Arc<Fake<T>> {
    Arc::new(Fake {
        delay: Duration::from_millis(delay_ms),
        answer,
    })
}

#[async_trait::async_trait]
impl ProfileSource for Fake<Profile> {
    async fn profile(&self, _user_id: i64) -> Result<Profile, FailureReason> {
        tokio::time::sleep(self.delay).await;
        self.answer.clone()
    }
}

#[async_trait::async_trait]
impl OrdersSource for Fake<Vec<Order>> {
    async fn orders(&self, _user_id: i64) -> Result<Vec<Order>, FailureReason> {
        tokio::time::sleep(self.delay).await;
        self.answer.clone()
    }
}

fn profile() -> Profile {
    Profile {
        user_id: 7,
        display_name: "Ada".into(),
        avatar_url: Some("https://example.com/ada.png".into()),
        bio: None,
    }
}

fn order() -> Order {
    Order {
        id: 1,
        user_id: 7,
        status: OrderStatus::Paid,
        total_cents: 4900,
        currency: "EUR".into(),
        created_at: Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap(),
    }
}

fn service(profiles: Arc<dyn ProfileSource>, orders: Arc<dyn OrdersSource>) -> SummaryService {
    SummaryService::new(profiles, orders)
}

#[tokio::test(start_paused = true)]
async fn both_sources_run_at_the_same_time() {
    let summaries = service(fake(300, Ok(profile())), fake(300, Ok(vec![order()])));
    let started = Instant::now();
    let summary = summaries.summary(7).await.unwrap();
    // The paused clock advances only by the sleeps: 300 ms means they overlapped
    // (one after the other would be 600 ms).
    assert_eq!(started.elapsed(), Duration::from_millis(300));
    assert_eq!(
        summary,
        UserSummary {
            profile: Some(profile()),
            orders: Some(vec![order()]),
            partial: false,
            errors: vec![],
        }
    );
}

#[tokio::test(start_paused = true)]
async fn one_failing_source_gives_a_partial_summary() {
    let summaries = service(
        fake(300, Ok(profile())),
        fake(10, Err(FailureReason::InvalidResponse)),
    );
    let started = Instant::now();
    let summary = summaries.summary(7).await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_millis(300));
    assert_eq!(
        summary,
        UserSummary {
            profile: Some(profile()),
            orders: None,
            partial: true,
            errors: vec![SourceFailure {
                source: Source::Orders,
                reason: FailureReason::InvalidResponse
            }],
        }
    );

    let summaries = service(
        fake(0, Err(FailureReason::Timeout)),
        fake(0, Ok(Vec::new())),
    );
    let summary = summaries.summary(7).await.unwrap();
    assert!(summary.partial);
    assert_eq!(summary.profile, None);
    assert_eq!(
        summary.orders,
        Some(Vec::new()),
        "no orders is not a failure"
    );
    assert_eq!(
        summary.errors,
        vec![SourceFailure {
            source: Source::Profile,
            reason: FailureReason::Timeout
        }]
    );
}

#[tokio::test(start_paused = true)]
async fn both_failing_is_an_error_that_tells_timeouts_apart() {
    use FailureReason::{InvalidResponse, Timeout, Unavailable};
    let cases = [
        (Timeout, Timeout, true),
        (Timeout, Unavailable, false),
        (InvalidResponse, Timeout, false),
        (Unavailable, Unavailable, false),
    ];
    for (profile_reason, orders_reason, all_timed_out) in cases {
        let summaries = service(fake(0, Err(profile_reason)), fake(0, Err(orders_reason)));
        assert_eq!(
            summaries.summary(7).await,
            Err(SummaryError::AllFailed { all_timed_out }),
            "{profile_reason} + {orders_reason}"
        );
    }
}

#[test]
fn a_synthesised_profile_is_named_after_the_email() {
    let profile = Profile::synthesised(3, "ada.lovelace@example.com");
    assert_eq!(
        profile,
        Profile {
            user_id: 3,
            display_name: "ada.lovelace".into(),
            avatar_url: None,
            bio: None,
        }
    );
    assert!(profile.check().is_ok());
    assert_eq!(Profile::synthesised(4, "@x").display_name, "user 4");
    let long = format!("{}@example.com", "a".repeat(300));
    assert!(Profile::synthesised(5, &long).check().is_ok(), "truncated");
}

#[test]
fn values_that_break_the_rules_are_refused() {
    assert!(profile().check().is_ok());
    let broken_profiles = [
        Profile {
            display_name: " ".into(),
            ..profile()
        },
        Profile {
            display_name: "x".repeat(201),
            ..profile()
        },
        Profile {
            avatar_url: Some("javascript:alert(1)".into()),
            ..profile()
        },
        Profile {
            avatar_url: Some("https://example.com/a b.png".into()),
            ..profile()
        },
        Profile {
            bio: Some("b".repeat(2001)),
            ..profile()
        },
    ];
    for broken in broken_profiles {
        assert!(broken.check().is_err(), "{broken:?}");
    }

    assert!(order().check().is_ok());
    let broken_orders = [
        Order { id: 0, ..order() },
        Order {
            total_cents: -1,
            ..order()
        },
        Order {
            currency: "eur".into(),
            ..order()
        },
        Order {
            currency: "EURO".into(),
            ..order()
        },
    ];
    for broken in broken_orders {
        assert!(broken.check().is_err(), "{broken:?}");
    }
}

#[test]
fn statuses_and_names_round_trip() {
    for status in OrderStatus::ALL {
        assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(OrderStatus::parse("Paid"), None);
    assert_eq!(OrderStatus::parse("refunded"), None);
    assert_eq!(Source::Orders.as_str(), "orders");
    assert_eq!(FailureReason::InvalidResponse.as_str(), "invalid_response");
    assert!(is_currency_code("GBP"));
    assert!(!is_currency_code("GB1"));
}

#[tokio::test]
async fn orders_come_newest_first_whatever_the_source_did() {
    let at = |day| Utc.with_ymd_and_hms(2024, 3, day, 9, 0, 0).unwrap();
    let orders = vec![
        Order {
            id: 1,
            created_at: at(1),
            ..order()
        },
        Order {
            id: 3,
            created_at: at(5),
            ..order()
        },
        Order {
            id: 2,
            created_at: at(5),
            ..order()
        },
    ];
    let summary = service(fake(0, Ok(profile())), fake(0, Ok(orders)))
        .summary(7)
        .await
        .unwrap();
    let ids: Vec<i64> = summary.orders.unwrap().iter().map(|o| o.id).collect();
    assert_eq!(ids, [3, 2, 1]);
}
