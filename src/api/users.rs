//! `users` tag: registration.

use poem_openapi::payload::Json;

use super::Api;
use crate::domain::users::NewUser;
use crate::generated::{CreateUserResponse, User, UserCreate, UsersApi};

impl UsersApi for Api {
    async fn create_user(&self, body: UserCreate) -> CreateUserResponse {
        let new_user = NewUser {
            email: body.email,
            password: body.password,
            phone: body.phone,
        };
        match self.users.register(new_user).await {
            Ok(user) => {
                let location = format!("/v1/users/{}", user.id);
                CreateUserResponse::Created(Json(User::from(user)), location)
            }
            Err(error) => CreateUserResponse::from_problem(error.into()),
        }
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
