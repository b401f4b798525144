//! The `user` operations.

use apiary_runtime::Json;
use poem::http::StatusCode;
use poem_openapi::payload::PlainText;

use super::Store;
use crate::generated::petstore3::*;
use crate::xml;

/// A user body, read from the media type it came in (`Err` when the XML is not a
/// user), and whether it came in XML.
fn user_body(json: Option<User>, xml_text: Option<String>) -> (Option<Result<User, String>>, bool) {
    let in_xml = xml_text.is_some();
    let xml = xml_text.map(|text| xml::read_user(&text));
    (json.map(Ok).or(xml), in_xml)
}

impl UserApi for Store {
    /// Stores the user under its `username` (required here: users are found by it).
    async fn create_user(&self, body: Option<CreateUserRequestContent>) -> CreateUserResponse {
        let (user, in_xml) = match body {
            None => (None, false),
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
        CreateUserResponse::Ok(if in_xml {
            CreateUser200Content::ApplicationXml(PlainText(xml::write_user(&user)))
        } else {
            CreateUser200Content::ApplicationJson(Json(user))
        })
    }

    /// Stores every user (each with a `username` not yet taken, else nothing is stored);
    /// answers the last one.
    async fn create_users_with_list_input(
        &self,
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
            Some(user) => CreateUsersWithListInputResponse::Ok(
                CreateUsersWithListInput200Content::ApplicationJson(Json(user)),
            ),
            None => CreateUsersWithListInputResponse::Default(StatusCode::BAD_REQUEST, NoBody),
        }
    }

    /// A session for a user whose password matches, with the calls per hour it may make
    /// and when it expires.
    async fn login_user(
        &self,
        username: Option<String>,
        password: Option<String>,
    ) -> LoginUserResponse {
        let data = self.data();
        let user = username.as_ref().and_then(|name| data.users.get(name));
        match (user, password) {
            (Some(user), Some(password)) if user.password.as_ref() == Some(&password) => {
                let name = user.username.clone().unwrap_or_default();
                let expires = chrono::Utc::now() + chrono::Duration::hours(1);
                LoginUserResponse::Ok(
                    LoginUser200Content::ApplicationJson(Json(format!(
                        "logged in user session: {name}"
                    ))),
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

    async fn get_user_by_name(&self, username: String) -> GetUserByNameResponse {
        match self.data().users.get(&username) {
            Some(user) => GetUserByNameResponse::Ok(GetUserByName200Content::ApplicationJson(
                Json(user.clone()),
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
        let (user, _) = match body {
            None => (None, false),
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
