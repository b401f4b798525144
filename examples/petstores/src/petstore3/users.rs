//! The `user` operations.

use apiary_runtime::{Accept, Json};
use poem::http::StatusCode;
use poem_openapi::payload::PlainText;

use super::{Store, prefers_xml};
use crate::generated::petstore3::*;
use crate::xml;

/// A user body, read from the media type it came in (`Err` when the XML is not a
/// user).
fn user_body(json: Option<User>, xml_text: Option<String>) -> Option<Result<User, String>> {
    json.map(Ok)
        .or_else(|| xml_text.map(|text| xml::read_user(&text)))
}

/// A user answer in XML or JSON, as one operation's content enum spells it.
macro_rules! user_content {
    ($content:ident, $user:expr, $xml:expr) => {
        if $xml {
            $content::ApplicationXml(PlainText(xml::write_user(&$user)))
        } else {
            $content::ApplicationJson(Json($user))
        }
    };
}

impl UserApi for Store {
    /// Stores the user under its `username` (required here: users are found by it).
    async fn create_user(
        &self,
        accept: Accept,
        body: Option<CreateUserRequestContent>,
    ) -> CreateUserResponse {
        let user = match body {
            None => None,
            Some(CreateUserRequestContent::ApplicationJson(user))
            | Some(CreateUserRequestContent::ApplicationXWwwFormUrlencoded(user)) => {
                user_body(Some(user), None)
            }
            Some(CreateUserRequestContent::ApplicationXml(text)) => user_body(None, Some(text)),
        };
        let Some(Ok(mut user)) = user else {
            return CreateUserResponse::Default(StatusCode::BAD_REQUEST, NoBody);
        };
        let Some(username) = user.username.clone() else {
            return CreateUserResponse::Default(StatusCode::UNPROCESSABLE_ENTITY, NoBody);
        };
        let mut data = self.data();
        if data.users.contains_key(&username) {
            return CreateUserResponse::Default(StatusCode::CONFLICT, NoBody);
        }
        user.id = Some(data.id_or_next(user.id));
        data.users.insert(username, user.clone());
        CreateUserResponse::Ok(user_content!(
            CreateUser200Content,
            user,
            prefers_xml(&accept)
        ))
    }

    /// Stores every user (each with a `username` not yet taken, else nothing is stored);
    /// answers the last one.
    async fn create_users_with_list_input(
        &self,
        accept: Accept,
        body: Option<Vec<User>>,
    ) -> CreateUsersWithListInputResponse {
        let users = body.unwrap_or_default();
        let mut data = self.data();
        let mut names: Vec<&str> = Vec::new();
        for user in &users {
            match user.username.as_deref() {
                Some(name) if !data.users.contains_key(name) && !names.contains(&name) => {
                    names.push(name);
                }
                _ => {
                    return CreateUsersWithListInputResponse::Default(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        NoBody,
                    );
                }
            }
        }
        let mut last = None;
        for mut user in users {
            user.id = Some(data.id_or_next(user.id));
            let name = user.username.clone().unwrap_or_default();
            data.users.insert(name, user.clone());
            last = Some(user);
        }
        match last {
            Some(user) => CreateUsersWithListInputResponse::Ok(user_content!(
                CreateUsersWithListInput200Content,
                user,
                prefers_xml(&accept)
            )),
            None => CreateUsersWithListInputResponse::Default(StatusCode::BAD_REQUEST, NoBody),
        }
    }

    /// A session for a user whose password matches, with the calls per hour it may make
    /// and when it expires.
    async fn login_user(
        &self,
        accept: Accept,
        username: Option<String>,
        password: Option<String>,
    ) -> LoginUserResponse {
        let data = self.data();
        let user = username.as_ref().and_then(|name| data.users.get(name));
        match (user, password) {
            (Some(user), Some(password)) if user.password.as_ref() == Some(&password) => {
                let name = user.username.clone().unwrap_or_default();
                let expires = chrono::Utc::now() + chrono::Duration::hours(1);
                let session = format!("logged in user session: {name}");
                let content = if prefers_xml(&accept) {
                    LoginUser200Content::ApplicationXml(PlainText(xml::write_string(&session)))
                } else {
                    LoginUser200Content::ApplicationJson(Json(session))
                };
                LoginUserResponse::Ok(
                    content,
                    Some(5000),
                    Some(expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                )
            }
            _ => LoginUserResponse::BadRequest,
        }
    }

    async fn logout_user(&self) -> LogoutUserResponse {
        LogoutUserResponse::Ok
    }

    async fn get_user_by_name(&self, accept: Accept, username: String) -> GetUserByNameResponse {
        match self.data().users.get(&username) {
            Some(user) => GetUserByNameResponse::Ok(user_content!(
                GetUserByName200Content,
                user.clone(),
                prefers_xml(&accept)
            )),
            None => GetUserByNameResponse::NotFound,
        }
    }

    /// Replaces the user; the path names it, so a body naming another is a 400.
    async fn update_user(
        &self,
        username: String,
        body: Option<UpdateUserRequestContent>,
    ) -> UpdateUserResponse {
        let user = match body {
            None => None,
            Some(UpdateUserRequestContent::ApplicationJson(user))
            | Some(UpdateUserRequestContent::ApplicationXWwwFormUrlencoded(user)) => {
                user_body(Some(user), None)
            }
            Some(UpdateUserRequestContent::ApplicationXml(text)) => user_body(None, Some(text)),
        };
        let Some(Ok(mut user)) = user else {
            return UpdateUserResponse::BadRequest;
        };
        if user.username.as_ref().is_some_and(|name| *name != username) {
            return UpdateUserResponse::BadRequest;
        }
        let mut data = self.data();
        let Some(stored) = data.users.get_mut(&username) else {
            return UpdateUserResponse::NotFound;
        };
        user.username = Some(username);
        user.id = stored.id;
        *stored = user;
        UpdateUserResponse::Ok
    }

    async fn delete_user(&self, username: String) -> DeleteUserResponse {
        match self.data().users.remove(&username) {
            Some(_) => DeleteUserResponse::Ok,
            None => DeleteUserResponse::NotFound,
        }
    }
}
