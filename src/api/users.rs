//! `users` tag: registration.

use apiary_runtime::Json;

use super::Api;
use crate::domain::tokens::Principal;
use crate::domain::users::NewUser;
use crate::generated::{CreateUserResponse, GetUserSummaryResponse, User, UserCreate, UsersApi};

impl UsersApi for Api {
    async fn create_user(&self, body: UserCreate) -> CreateUserResponse {
        let new_user = NewUser {
            email: body.email,
            password: body.password,
            phone: body.phone,
        };
        match self.users.register(new_user).await {
            Ok(user) => {
                let location = super::location_of(user.id);
                CreateUserResponse::Created(Json(User::from(user)), location)
            }
            Err(error) => CreateUserResponse::from_problem(error),
        }
    }

    async fn get_user_summary(&self, auth: Principal, user_id: i64) -> GetUserSummaryResponse {
        self.user_summary(auth, user_id).await
    }
}

impl From<crate::domain::users::User> for User {
    fn from(user: crate::domain::users::User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            phone: user.phone,
            created_at: user.created_at,
        }
    }
}

mod summary {
    //! `getUserSummary`: the caller's own profile and orders, fetched concurrently.

    use apiary_runtime::Json;

    use super::Api;
    use crate::domain::summary::{self, FailureReason, OrderStatus, Source, SummaryError};
    use crate::domain::tokens::Principal;
    use crate::generated::{
        GetUserSummaryResponse, Order, OrderStatus as WireStatus, Problem, Profile, SourceError,
        SourceErrorReason, SourceErrorSource, UserSummary,
    };

    impl Api {
        pub(super) async fn user_summary(
            &self,
            auth: Principal,
            user_id: i64,
        ) -> GetUserSummaryResponse {
            if auth.user_id != user_id {
                return GetUserSummaryResponse::from_problem(Problem::new(
                    403,
                    "You may only read your own summary.",
                ));
            }
            if let Err(error) = self.users.get(user_id).await {
                return GetUserSummaryResponse::from_problem(error);
            }
            match self.summary.summary(user_id).await {
                Ok(found) => GetUserSummaryResponse::Ok(Json(found.into())),
                Err(SummaryError::AllFailed {
                    all_timed_out: true,
                }) => GetUserSummaryResponse::from_problem(Problem::new(
                    504,
                    "Neither source answered in time.",
                )),
                Err(SummaryError::AllFailed { .. }) => GetUserSummaryResponse::from_problem(
                    Problem::new(502, "Neither the profile nor the orders source answered."),
                ),
            }
        }
    }

    impl From<summary::UserSummary> for UserSummary {
        fn from(found: summary::UserSummary) -> Self {
            Self {
                profile: found.profile.map(|p| Profile {
                    user_id: p.user_id,
                    display_name: p.display_name,
                    avatar_url: p.avatar_url,
                    bio: p.bio,
                }),
                orders: found
                    .orders
                    .map(|orders| orders.into_iter().map(Order::from).collect()),
                partial: found.partial,
                errors: found
                    .errors
                    .into_iter()
                    .map(|failure| SourceError {
                        source: match failure.source {
                            Source::Profile => SourceErrorSource::Profile,
                            Source::Orders => SourceErrorSource::Orders,
                        },
                        reason: match failure.reason {
                            FailureReason::Timeout => SourceErrorReason::Timeout,
                            FailureReason::Unavailable => SourceErrorReason::Unavailable,
                            FailureReason::InvalidResponse => SourceErrorReason::InvalidResponse,
                        },
                    })
                    .collect(),
            }
        }
    }

    impl From<summary::Order> for Order {
        fn from(order: summary::Order) -> Self {
            Self {
                id: order.id,
                user_id: order.user_id,
                status: match order.status {
                    OrderStatus::Pending => WireStatus::Pending,
                    OrderStatus::Paid => WireStatus::Paid,
                    OrderStatus::Shipped => WireStatus::Shipped,
                    OrderStatus::Cancelled => WireStatus::Cancelled,
                },
                total_cents: order.total_cents,
                currency: order.currency,
                created_at: order.created_at,
            }
        }
    }
}
