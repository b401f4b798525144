//! Any name in a spec becomes a valid, distinct Rust identifier, and the wire name is
//! kept by a rename.

use apiary_codegen::{Options, generate};

const AWKWARD: &str = r##"openapi: 3.0.3
info: {title: t, version: "1"}
tags:
  - {name: "pet store!"}
  - {name: "pet-store"}
paths:
  /pets/{id}:
    get:
      operationId: "get pets/{id}"
      summary: s
      tags: ["pet store!"]
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: X-Rate-Limit, in: header, schema: {type: integer}}
        - {name: $filter, in: query, schema: {type: string, pattern: "^a"}}
        - {name: "a[b]", in: query, schema: {type: string, enum: ["2fa", "-"], default: "-"}}
        - {name: body, in: query, schema: {type: string}}
        - {name: self, in: query, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/io.k8s.Pod"}
  /pets:
    get:
      operationId: get_pets_id
      summary: s
      tags: [pet-store]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/pet"}
components:
  schemas:
    io.k8s.Pod:
      type: object
      properties:
        self: {type: string}
        "+1": {type: integer}
        "": {type: string}
        type: {type: string}
        fooBar: {type: string}
        foo_bar: {type: string}
        phase: {type: string, enum: ["2fa", "256x256", "-", "", "+", "a-b", "a_b"]}
        pet: {$ref: "#/components/schemas/pet"}
        Pet: {$ref: "#/components/schemas/Pet"}
    Pet:
      type: object
      properties:
        name: {type: string}
    pet:
      type: object
      properties:
        name: {type: string}
    Option:
      type: string
      enum: [a]
"##;

fn awkward_code() -> String {
    let code = generate(AWKWARD, &Options::default()).expect("generates");
    syn::parse_file(&code).expect("the generated code parses");
    code
}

#[test]
fn component_and_property_names_become_identifiers_with_their_wire_names() {
    let code = awkward_code();
    assert!(code.contains("pub struct IoK8sPod {"), "{code}");
    assert!(code.contains("#[oai(rename = \"io.k8s.Pod\")]"), "{code}");
    for (wire, field) in [
        ("self", "pub self_: "),
        ("+1", "pub _1: "),
        ("", "pub empty: "),
        ("type", "pub r#type: "),
        ("fooBar", "pub foo_bar: "),
        ("foo_bar", "pub foo_bar2: "),
    ] {
        let rename = format!("#[serde(rename = {wire:?}");
        let at = code
            .find(&rename)
            .unwrap_or_else(|| panic!("{rename}\n{code}"));
        let next = &code[at..];
        let field_at = next.find("pub ").expect("a field follows");
        assert!(
            next[field_at..].starts_with(field),
            "{wire:?}: {}",
            &next[..200]
        );
    }
}

#[test]
fn enum_values_of_any_text_become_distinct_variants() {
    let code = awkward_code();
    assert!(code.contains("pub enum IoK8sPodPhase {"), "{code}");
    for (wire, variant) in [
        ("2fa", "V2fa,"),
        ("256x256", "V256x256,"),
        ("-", "Value2,"),
        ("", "Empty,"),
        ("+", "Value4,"),
        ("a-b", "AB,"),
        ("a_b", "AB2,"),
    ] {
        let expected = format!("#[serde(rename = {wire:?})]\n    {variant}");
        assert!(code.contains(&expected), "{expected}\n{code}");
    }
}

#[test]
fn names_meeting_after_conversion_are_numbered_in_spec_order() {
    let code = awkward_code();
    assert!(code.contains("pub struct Pet {"), "{code}");
    assert!(code.contains("pub struct Pet2 {"), "{code}");
    assert!(
        code.contains("#[oai(rename = \"pet\")]\npub struct Pet2"),
        "{code}"
    );
    assert!(code.contains("pub pet: Option<Pet2>"), "{code}");
    assert!(code.contains("pub pet2: Option<Pet>"), "{code}");
    // `Option` would shadow the standard one the generated code uses.
    assert!(code.contains("pub enum Option2 {"), "{code}");
    assert!(code.contains("PetStoreApi"), "{code}");
    assert!(code.contains("PetStore2Api"), "{code}");
}

#[test]
fn operation_tag_and_parameter_names_become_identifiers() {
    let code = awkward_code();
    assert!(code.contains("fn get_pets_id("), "{code}");
    assert!(code.contains("fn get_pets_id2("), "{code}");
    assert!(code.contains("pub enum GetPetsIdResponse"), "{code}");
    assert!(code.contains("pub enum GetPetsIdResponse2"), "{code}");
    assert!(
        code.contains("#[oai(rename = \"pet store!\")]\n    PetStore,"),
        "{code}"
    );
    assert!(code.contains("tag = \"ApiTags::PetStore\""), "{code}");
    for (wire, argument) in [
        ("X-Rate-Limit", "x_rate_limit"),
        ("$filter", "filter"),
        ("a[b]", "a_b"),
        ("body", "body2"),
        ("self", "self_"),
    ] {
        let expected = format!("#[oai(name = {wire:?}");
        let at = code
            .find(&expected)
            .unwrap_or_else(|| panic!("{expected}\n{code}"));
        let after = &code[at..];
        let end = after.find(")]").expect("the attribute ends") + 2;
        let declared = after[end..].trim_start();
        assert!(
            declared.starts_with(&format!("{argument}: ")),
            "{wire}: {declared:.80}"
        );
    }
    assert!(code.contains("static GET_PETS_ID_FILTER_PATTERN"), "{code}");
    assert!(code.contains("GetPetsIdAB::Value1"), "{code}");
}

#[test]
fn a_ref_to_a_missing_component_is_refused_at_its_location() {
    let spec = AWKWARD.replace(
        "pet: {$ref: \"#/components/schemas/pet\"}",
        "pet: {$ref: \"#/components/schemas/nowhere\"}",
    );
    let error = generate(&spec, &Options::default()).expect_err("refused");
    assert_eq!(
        error.location,
        "components.schemas.io.k8s.Pod.properties.pet"
    );
    assert!(error.message.contains("points nowhere"), "{error}");
}

#[test]
fn a_tag_declared_twice_is_refused() {
    let spec = AWKWARD.replace("  - {name: \"pet-store\"}", "  - {name: \"pet store!\"}");
    let error = generate(&spec, &Options::default()).expect_err("refused");
    assert_eq!(error.location, "tags[1]", "{error}");
}

#[test]
fn a_ref_is_a_json_pointer_with_escapes() {
    let spec = AWKWARD.replace("    Pet:\n", "    \"a/b~c\":\n").replace(
        "Pet: {$ref: \"#/components/schemas/Pet\"}",
        "Pet: {$ref: \"#/components/schemas/a~1b~0c\"}",
    );
    let code = generate(&spec, &Options::default()).expect("generates");
    assert!(code.contains("pub struct ABC {"), "{code}");
    assert!(code.contains("pub pet2: Option<ABC>"), "{code}");
    assert!(
        code.contains("const POINTER: &'static str = \"/components/schemas/a~1b~0c\";"),
        "{code}"
    );
}

#[test]
fn an_enum_value_listed_twice_is_refused() {
    let spec = AWKWARD.replace("\"a-b\", \"a_b\"]", "\"a-b\", \"a-b\"]");
    let error = generate(&spec, &Options::default()).expect_err("refused");
    assert_eq!(
        error.location,
        "components.schemas.io.k8s.Pod.properties.phase.enum"
    );
    assert!(error.message.contains("`a-b` is listed twice"), "{error}");
}
