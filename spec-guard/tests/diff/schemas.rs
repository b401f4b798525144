//! Breaking changes inside schemas built from parts: recursion and `allOf`.

use serde_json::json;
use spec_guard::BreakingRule as Rule;

use crate::{USER, USER_CREATE, body_property, common::*, listed_property};

#[test]
fn recursive_schemas_end_and_are_compared() {
    let tree = |max: u64| {
        json!({"type": "object", "description": "A tree.", "properties": {
            "depth": {"type": "integer", "maximum": max, "description": "Depth."},
            "children": {"type": "array", "description": "Subtrees.", "items": {"$ref": "#/components/schemas/Tree"}}
        }})
    };
    let with_tree = |max: u64| {
        edited(|d| {
            set(d, "/components/schemas/Tree", tree(max));
            set(
                d,
                &format!("{USER_CREATE}/properties/tree"),
                json!({"$ref": "#/components/schemas/Tree"}),
            );
        })
    };
    assert_breaks(
        &with_tree(10),
        &with_tree(5),
        Rule::RequestRangeTightened,
        &body_property("tree.properties.depth"),
    );
}

#[test]
fn all_of_parts_are_compared_as_one_schema() {
    let composed = |nickname_required: bool| {
        edited(|d| {
            let mut user = remove(d, USER);
            if nickname_required {
                user["required"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("nickname"));
            }
            set(d, "/components/schemas/UserBase", user);
            set(
                d,
                USER,
                json!({"allOf": [{"$ref": "#/components/schemas/UserBase"}], "description": "A user."}),
            );
        })
    };
    assert_breaks(
        &composed(true),
        &composed(false),
        Rule::ResponsePropertyBecameOptional,
        &listed_property("nickname"),
    );
}
