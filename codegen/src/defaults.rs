//! What a spec may leave out that the generated code needs, filled in before anything is
//! read. These are good house rules for a spec (and `spec-guard lint` keeps them for the
//! service's own), but real specs often skip them, and none is needed to serve an API:
//!
//! - an operation without a tag goes to the trait of the tag [`DEFAULT_TAG`];
//! - an operation with several tags goes to the trait of its first;
//! - a tag an operation uses but the top-level `tags` does not declare is declared, in
//!   the order operations first use it (after the declared ones);
//! - an operation without an `operationId` gets one from its method and path:
//!   `GET /pets/{petId}/toys` is `getPetsByPetIdToys`, numbered (`...2`, `...3`) in the
//!   order of the document when that is taken already;
//! - an operation without a summary has none (its doc comment is its description).

use std::collections::HashSet;

use heck::ToUpperCamelCase;
use openapiv3::{OpenAPI, Operation, ReferenceOr, Tag};

/// The tag of operations that have none.
pub const DEFAULT_TAG: &str = "default";

/// Fills in what `doc` leaves out (see the module's documentation).
pub fn fill_in(doc: &mut OpenAPI) {
    let mut taken: HashSet<String> = operations(doc)
        .filter_map(|(_, _, op)| op.operation_id.clone())
        .collect();
    let mut declared: HashSet<String> = doc.tags.iter().map(|t| t.name.clone()).collect();
    let mut undeclared = Vec::new();
    for (path, method, op) in operations_mut(doc) {
        if op.operation_id.is_none() {
            let base = derived_operation_id(&path, method);
            let mut id = base.clone();
            let mut n = 1;
            while taken.contains(&id) {
                n += 1;
                id = format!("{base}{n}");
            }
            taken.insert(id.clone());
            op.operation_id = Some(id);
        }
        if op.tags.is_empty() {
            op.tags.push(DEFAULT_TAG.to_string());
        }
        op.tags.truncate(1);
        if declared.insert(op.tags[0].clone()) {
            undeclared.push(op.tags[0].clone());
        }
    }
    doc.tags.extend(undeclared.into_iter().map(|name| Tag {
        name,
        ..Tag::default()
    }));
}

/// `get` and `/pets/{petId}/toys` as `getPetsByPetIdToys`; `/` alone is `getRoot`.
fn derived_operation_id(path: &str, method: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    let mut segments = 0;
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        segments += 1;
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => {
                id.push_str("By");
                id.push_str(&param.to_upper_camel_case());
            }
            None => id.push_str(&segment.to_upper_camel_case()),
        }
    }
    if segments == 0 {
        id.push_str("Root");
    }
    id
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn operations(doc: &OpenAPI) -> impl Iterator<Item = (&str, &'static str, &Operation)> {
    doc.paths.paths.iter().flat_map(|(path, item)| {
        let ops = match item {
            ReferenceOr::Item(item) => vec![
                &item.get,
                &item.put,
                &item.post,
                &item.delete,
                &item.options,
                &item.head,
                &item.patch,
                &item.trace,
            ],
            ReferenceOr::Reference { .. } => Vec::new(),
        };
        METHODS
            .into_iter()
            .zip(ops)
            .filter_map(move |(method, op)| op.as_ref().map(|op| (path.as_str(), method, op)))
    })
}

fn operations_mut(
    doc: &mut OpenAPI,
) -> impl Iterator<Item = (String, &'static str, &mut Operation)> {
    doc.paths.paths.iter_mut().flat_map(|(path, item)| {
        let ops = match item {
            ReferenceOr::Item(item) => vec![
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ],
            ReferenceOr::Reference { .. } => Vec::new(),
        };
        let path = path.clone();
        METHODS
            .into_iter()
            .zip(ops)
            .filter_map(move |(method, op)| op.as_mut().map(|op| (path.clone(), method, op)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(yaml: &str) -> OpenAPI {
        serde_yaml_ng::from_str(yaml).expect("a document")
    }

    const UNTIDY: &str = r#"
openapi: 3.0.3
info: {title: t, version: "1"}
tags: [{name: pets}]
paths:
  /pets/{petId}/toys:
    get: {responses: {"200": {description: ok}}}
    post: {operationId: getPetsByPetIdToys, tags: [toys, pets], responses: {"200": {description: ok}}}
  /:
    get: {tags: [pets], responses: {"200": {description: ok}}}
  /pets:
    put: {tags: [], responses: {"200": {description: ok}}}
"#;

    #[test]
    fn what_a_spec_leaves_out_is_filled_in_deterministically() {
        let mut filled = doc(UNTIDY);
        fill_in(&mut filled);
        let toys = filled.paths.paths["/pets/{petId}/toys"].as_item().unwrap();
        // The derived id is taken by another operation's own: numbered.
        let get = toys.get.as_ref().unwrap();
        assert_eq!(get.operation_id.as_deref(), Some("getPetsByPetIdToys2"));
        assert_eq!(get.tags, [DEFAULT_TAG]);
        let post = toys.post.as_ref().unwrap();
        assert_eq!(post.operation_id.as_deref(), Some("getPetsByPetIdToys"));
        assert_eq!(post.tags, ["toys"], "the first of several");
        let root = filled.paths.paths["/"].as_item().unwrap();
        assert_eq!(
            root.get.as_ref().unwrap().operation_id.as_deref(),
            Some("getRoot")
        );
        let tags: Vec<&str> = filled.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(tags, ["pets", DEFAULT_TAG, "toys"]);

        let mut again = doc(UNTIDY);
        fill_in(&mut again);
        assert_eq!(again, filled, "the same document fills in the same way");
    }
}
