//! The upstreams' JSON, decoded into plain structs and then checked against the
//! domain's rules before it becomes a `Profile` or `Order`. Unknown fields are ignored
//! so an upstream can add fields without breaking us; missing or mistyped ones fail.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::summary::{self, OrderStatus};

/// `GET {base}/profiles/{id}`. `avatar_url` and `bio` may be `null` or absent.
#[derive(Debug, Deserialize)]
pub(super) struct Profile {
    user_id: i64,
    display_name: String,
    #[serde(default)]
    avatar_url: Option<String>,
    #[serde(default)]
    bio: Option<String>,
}

impl Profile {
    /// The domain's profile, when it is `asked`'s and passes the rules.
    pub(super) fn into_profile(self, asked: i64) -> Result<summary::Profile, String> {
        if self.user_id != asked {
            return Err(format!(
                "the profile of user {} answered for user {asked}",
                self.user_id
            ));
        }
        let profile = summary::Profile {
            user_id: self.user_id,
            display_name: self.display_name,
            avatar_url: self.avatar_url,
            bio: self.bio,
        };
        profile.check()?;
        Ok(profile)
    }
}

/// One element of `GET {base}/orders?user={id}`. `status` stays a string here so
/// that an unknown one is reported as such (serde's message would name the variants).
#[derive(Debug, Deserialize)]
pub(super) struct Order {
    id: i64,
    user_id: i64,
    status: String,
    total_cents: i64,
    currency: String,
    /// RFC 3339, any offset (stored as UTC).
    created_at: DateTime<Utc>,
}

/// The domain's orders, when every one is `asked`'s and passes the rules. One bad
/// order fails the whole list: showing the rest would hide that the source is broken.
pub(super) fn into_orders(orders: Vec<Order>, asked: i64) -> Result<Vec<summary::Order>, String> {
    orders
        .into_iter()
        .map(|wire| {
            if wire.user_id != asked {
                return Err(format!(
                    "order {} of user {} answered for user {asked}",
                    wire.id, wire.user_id
                ));
            }
            let status = OrderStatus::parse(&wire.status).ok_or_else(|| {
                format!(
                    "order {}: status `{}` is not one of pending, paid, shipped, cancelled",
                    wire.id,
                    // Bounded: the log line must not carry a megabyte of junk.
                    wire.status
                        .chars()
                        .take(32)
                        .collect::<String>()
                        .escape_debug()
                )
            })?;
            let order = summary::Order {
                id: wire.id,
                user_id: wire.user_id,
                status,
                total_cents: wire.total_cents,
                currency: wire.currency,
                created_at: wire.created_at,
            };
            order.check()?;
            Ok(order)
        })
        .collect()
}
