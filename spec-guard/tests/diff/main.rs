//! The diff: one test per breaking rule (a single edit of the base fixture, and the
//! finding it must produce, rule and location), the changes that must pass, and the
//! version rule.

#[path = "../common/mod.rs"]
mod common;

mod compatible;
mod operations;
mod release;
mod report;
mod requests;
mod responses;
mod schemas;

const CREATE_USER_BODY: &str = "paths./users.post.requestBody.content.application/json.schema";
const LIST_USERS_ITEM: &str =
    "paths./users.get.responses.200.content.application/json.schema.items";
const USER_CREATE: &str = "/components/schemas/UserCreate";
const USER: &str = "/components/schemas/User";

/// Where a property of `createUser`'s body is met.
fn body_property(name: &str) -> String {
    format!("{CREATE_USER_BODY}.properties.{name}")
}

/// Where a property of a user listed by `listUsers` is met.
fn listed_property(name: &str) -> String {
    format!("{LIST_USERS_ITEM}.properties.{name}")
}
