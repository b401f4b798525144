//! Schema shapes beyond plain objects and string enums: what each one becomes
//! (tests/specs/shapes.yaml; the same spec is compiled against poem-openapi outside the
//! workspace, see the README's generator section).

use apiary_codegen::{Options, SpecError, generate, generate_with_warnings};

const SHAPES: &str = include_str!("specs/shapes.yaml");

fn shapes() -> (String, Vec<SpecError>) {
    let (code, warnings) = generate_with_warnings(SHAPES, &Options::default()).expect("generates");
    syn::parse_file(&code).expect("the generated code parses");
    (code, warnings)
}

fn code() -> String {
    shapes().0
}

/// The text of item `start` (e.g. `pub struct Pet {`) up to its closing brace.
fn item<'a>(code: &'a str, start: &str) -> &'a str {
    let at = code
        .find(start)
        .unwrap_or_else(|| panic!("no `{start}` in:\n{code}"));
    let end = code[at..].find("\n}").expect("a closing brace") + at + 2;
    &code[at..end]
}

/// The field line `pub NAME: TYPE,` of struct `start`, and its attributes.
fn field<'a>(code: &'a str, start: &str, name: &str) -> &'a str {
    let body = item(code, start);
    let decl = format!("pub {name}: ");
    let at = body
        .find(&decl)
        .unwrap_or_else(|| panic!("no field `{name}` in:\n{body}"));
    let attrs = body[..at].rfind("#[oai").expect("attributes");
    let end = body[at..].find(",\n").expect("a field end") + at;
    &body[attrs..end]
}

#[test]
fn inline_objects_are_named_after_where_they_are() {
    let code = code();
    assert!(field(&code, "pub struct Pet {", "owner").ends_with("Option<PetOwner>"));
    assert!(code.contains("pub struct PetOwner {"), "{code}");
    assert!(field(&code, "pub struct PetOwner {", "address").ends_with("Option<PetOwnerAddress>"));
    assert!(field(&code, "pub struct PetOwner {", "name").ends_with("pub name: String"));
    assert!(field(&code, "pub struct Pet {", "tags").ends_with("Option<Vec<PetTagsItem>>"));
    assert!(code.contains("pub struct PetTagsItem {"), "{code}");
    assert!(code.contains("#[oai(rename = \"PetTagsItem\")]"), "{code}");
    // Inline types are not components: no pointer of their own.
    assert!(!code.contains("impl SpecSchema for PetOwner "), "{code}");
    // The same spec always gives the same code.
    assert_eq!(code, self::code());
}

#[test]
fn an_inline_object_s_name_never_takes_a_component_s() {
    let spec = SHAPES.replace(
        "    Name: {type: string, description: A name.}\n",
        "    Name: {type: string, description: A name.}\n    PetOwner: {type: string}\n",
    );
    let code = generate(&spec, &Options::default()).expect("generates");
    assert!(code.contains("pub struct PetOwner(pub String);"), "{code}");
    assert!(field(&code, "pub struct Pet {", "owner").ends_with("Option<PetOwner2>"));
    assert!(code.contains("pub struct PetOwner2 {"), "{code}");
    assert!(
        field(&code, "pub struct PetOwner2 {", "address").ends_with("Option<PetOwner2Address>")
    );
}

#[test]
fn scalar_array_and_ref_components_are_newtypes_and_aliases() {
    let code = code();
    assert!(code.contains("pub struct Name(pub String);"), "{code}");
    assert!(code.contains("pub struct Names(pub Vec<Name>);"), "{code}");
    assert!(code.contains("poem_openapi::NewType"), "{code}");
    assert!(code.contains("#[serde(transparent)]"), "{code}");
    assert!(code.contains("impl SpecSchema for Names {"), "{code}");
    assert!(code.contains("pub type PetAlias = Pet;"), "{code}");
}

#[test]
fn schemas_without_a_type_and_free_form_objects_are_any_json() {
    let code = code();
    assert!(
        code.contains("pub struct Anything(pub serde_json::Value);"),
        "{code}"
    );
    for name in ["extra", "document", "anything"] {
        assert!(
            field(&code, "pub struct Pet {", name).ends_with("Option<serde_json::Value>"),
            "{name}"
        );
    }
}

#[test]
fn additional_properties_are_maps() {
    let code = code();
    assert!(
        field(&code, "pub struct Pet {", "labels")
            .ends_with("Option<std::collections::HashMap<String, String>>")
    );
    assert!(
        code.contains("pub struct Scores(pub std::collections::HashMap<String, i64>);"),
        "{code}"
    );
    // Beside properties: the named fields, then the others in a flattened map.
    let open = field(&code, "pub struct Open {", "additional_properties");
    assert!(open.contains("#[oai(flatten)]"), "{open}");
    assert!(open.contains("#[serde(flatten)]"), "{open}");
    assert!(
        open.ends_with("std::collections::HashMap<String, i64>"),
        "{open}"
    );
}

#[test]
fn all_of_is_merged_into_one_struct() {
    let code = code();
    let named = item(&code, "pub struct Named {");
    assert!(named.contains("pub pet_type: String,"), "{named}");
    assert!(named.contains("pub meows: Option<bool>,"), "{named}");
    assert!(named.contains("pub nickname: String,"), "{named}");
    assert!(code.contains("impl SpecSchema for Named {"), "{code}");
    // Inline, beside a $ref: a struct of its own.
    let badge = item(&code, "pub struct PetBadge {");
    assert!(badge.contains("pub pet_type: String,"), "{badge}");
    assert!(badge.contains("pub shiny: Option<bool>,"), "{badge}");
}

#[test]
fn one_of_with_a_discriminator_is_a_tagged_union() {
    let code = code();
    let animal = item(&code, "pub enum Animal {");
    assert!(
        animal.contains("#[oai(mapping = \"cat\")]\n    Cat(Cat),"),
        "{animal}"
    );
    assert!(
        animal.contains("#[oai(mapping = \"dog\")]\n    Dog(Dog),"),
        "{animal}"
    );
    assert!(
        code.contains("#[oai(rename = \"Animal\", discriminator_name = \"petType\")]"),
        "{code}"
    );
    assert!(
        code.contains("impl serde::Serialize for Animal {"),
        "{code}"
    );
    assert!(
        code.contains("impl<'de> serde::Deserialize<'de> for Animal {"),
        "{code}"
    );
    assert!(code.contains("Some(\"dog\") => {"), "{code}");
}

#[test]
fn a_mapping_may_leave_a_member_out_and_name_it_by_its_component() {
    let spec = SHAPES.replace("          dog: \"#/components/schemas/Dog\"\n", "");
    let code = generate(&spec, &Options::default()).expect("generates");
    let animal = item(&code, "pub enum Animal {");
    assert!(
        animal.contains("#[oai(mapping = \"Dog\")]\n    Dog(Dog),"),
        "{animal}"
    );
}

#[test]
fn one_of_and_any_of_without_a_discriminator_are_untagged_and_tried_in_order() {
    let code = code();
    let id = item(&code, "pub enum Id {");
    // poem reads a number as a string: plain strings are tried last.
    assert!(id.contains("Integer(i64),\n    String(String),"), "{id}");
    let before = &code[..code.find("pub enum Id {").unwrap()];
    assert!(
        before.ends_with("#[oai(rename = \"Id\")]\n#[serde(untagged)]\n"),
        "{code}"
    );
    // nullable beside oneOf: Option of the union.
    assert!(field(&code, "pub struct Pet {", "id_or_name").ends_with("Option<PetIdOrName>"));
    assert!(code.contains("pub enum PetIdOrName {"), "{code}");
}

#[test]
fn a_discriminator_with_an_inline_member_is_read_past_with_a_warning() {
    let spec = SHAPES.replace(
        "        - {$ref: \"#/components/schemas/Dog\"}\n      discriminator:",
        "        - {type: object, properties: {x: {type: string}}}\n      discriminator:",
    );
    let (code, warnings) =
        apiary_codegen::generate_with_warnings(&spec, &Options::default()).expect("generates");
    let animal = item(&code, "pub enum Animal {");
    assert!(!animal.contains("mapping"), "{animal}");
    assert!(
        code.contains("#[serde(untagged)]\npub enum Animal {"),
        "{code}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.location == "components.schemas.Animal.discriminator"
                && w.message.contains("tried in order")),
        "{warnings:?}"
    );
}

#[test]
fn number_enums_null_in_enums_and_unknown_formats_fall_back_to_the_base_type() {
    let code = code();
    let pet = "pub struct Pet {";
    assert!(field(&code, pet, "size").ends_with("Option<i64>"));
    assert!(field(&code, pet, "ratio").ends_with("Option<f64>"));
    // `null` among the values: nullable, and no variant of its own.
    let colour = field(&code, pet, "colour");
    assert!(colour.ends_with("Option<PetColour>"), "{colour}");
    assert!(
        !colour.contains("skip_serializing_if"),
        "null is written: {colour}"
    );
    let colours = item(&code, "pub enum PetColour {");
    assert!(
        !colours.contains("Null") && !colours.contains("None"),
        "{colours}"
    );
    assert!(field(&code, pet, "count").ends_with("Option<i64>"));
    assert!(field(&code, pet, "code").ends_with("Option<String>"));
    assert!(field(&code, pet, "photo").ends_with("Option<String>"));
    assert!(field(&code, pet, "raw").ends_with("Option<String>"));
}

#[test]
fn defaults_fill_absent_properties() {
    let code = code();
    let status = field(&code, "pub struct Pet {", "status");
    assert!(
        status.contains("default = \"Pet::default_status\""),
        "{status}"
    );
    assert!(status.ends_with("pub status: PetStatus"), "{status}");
    assert!(
        code.contains("fn default_status() -> PetStatus {\n        PetStatus::Available\n    }"),
        "{code}"
    );
    assert!(
        code.contains("fn default_limit() -> i64 {\n        10\n    }"),
        "{code}"
    );
    assert!(
        code.contains("fn default_nickname() -> String {\n        String::from(\"Rex\")\n    }"),
        "{code}"
    );
}

#[test]
fn defaults_of_arrays_maps_dates_and_uuids_fill_absent_properties() {
    let code = code();
    let expected = [
        (
            "keywords",
            "Vec<String>",
            "vec![String::from(\"new\"), String::from(\"small\")]",
        ),
        ("sizes", "Vec<PetSizes>", "vec![PetSizes::M]"),
        (
            "weights",
            "std::collections::HashMap<String, i64>",
            "std::collections::HashMap::from([(String::from(\"kg\"), 3)])",
        ),
        (
            "born",
            "chrono::NaiveDate",
            "chrono::NaiveDate::from_ymd_opt(2020i32, 2u32, 29u32).unwrap_or_default()",
        ),
        (
            "seen",
            "chrono::DateTime<chrono::Utc>",
            "chrono::DateTime::from_timestamp(1614830767i64, 500000000u32).unwrap_or_default()",
        ),
        (
            "chip",
            "uuid::Uuid",
            "uuid::Uuid::from_u128(138101147531900207301164854559698313416)",
        ),
        ("empty", "Vec<i64>", "vec![]"),
    ];
    for (name, ty, value) in expected {
        let declared = field(&code, "pub struct Pet {", name);
        assert!(
            declared.contains(&format!("default = \"Pet::default_{name}\"")),
            "{declared}"
        );
        assert!(
            declared.ends_with(&format!("pub {name}: {ty}")),
            "{declared}"
        );
        let function = format!("fn default_{name}() -> {ty} {{\n        {value}\n    }}");
        assert!(code.contains(&function), "no `{function}` in:\n{code}");
    }
}

#[test]
fn a_default_that_is_not_a_date_or_an_array_is_refused() {
    for (from, to, location) in [
        ("default: \"2020-02-29\"", "default: \"2021-02-29\"", "born"),
        ("default: [m]", "default: m", "sizes"),
        ("default: [new, small]", "default: [new, 3]", "keywords"),
    ] {
        let spec = SHAPES.replace(from, to);
        let error = generate(&spec, &Options::default()).expect_err("refused");
        assert!(
            error.location.starts_with(&format!(
                "components.schemas.Pet.properties.{location}.default"
            )),
            "{error}"
        );
    }
}

#[test]
fn a_default_of_the_wrong_type_is_refused() {
    let spec = SHAPES.replace(
        "limit: {type: integer, default: 10}",
        "limit: {type: integer, default: ten}",
    );
    let error = generate(&spec, &Options::default()).expect_err("refused");
    assert_eq!(
        error.location, "components.schemas.Pet.properties.limit.default",
        "{error}"
    );
}

#[test]
fn read_only_is_optional_and_write_only_is_never_written() {
    let code = code();
    let id = field(&code, "pub struct Pet {", "id");
    assert!(
        id.ends_with("pub id: Option<i64>"),
        "required but readOnly: {id}"
    );
    let password = field(&code, "pub struct Pet {", "password");
    assert!(
        password.contains("#[oai(rename = \"password\", write_only)]"),
        "{password}"
    );
    assert!(password.contains("skip_serializing)]"), "{password}");
    assert!(password.ends_with("pub password: String"), "{password}");
}

#[test]
fn spec_mistakes_are_read_past_with_a_warning() {
    let (code, warnings) = shapes();
    let at: Vec<&str> = warnings.iter().map(|w| w.location.as_str()).collect();
    assert_eq!(
        at,
        [
            "components.schemas.Mistakes.properties.odd",
            "components.schemas.Mistakes.properties.list",
            "components.schemas.Mistakes.required",
        ],
        "{warnings:?}"
    );
    assert!(warnings[0].message.contains("minimum"), "{:?}", warnings[0]);
    assert!(warnings[2].message.contains("`ghost`"), "{:?}", warnings[2]);
    let mistakes = "pub struct Mistakes {";
    assert!(field(&code, mistakes, "odd").ends_with("Option<String>"));
    assert!(field(&code, mistakes, "list").ends_with("Option<Vec<serde_json::Value>>"));
    // `generate` takes the same spec.
    generate(SHAPES, &Options::default()).expect("generates");
}

#[test]
fn a_component_that_contains_itself_is_boxed_where_it_is_held_by_value() {
    let code = code();
    let tree = "pub struct Tree {";
    assert!(field(&code, tree, "parent").ends_with("Option<Box<Tree>>"));
    // A Vec is already indirect.
    assert!(field(&code, tree, "children").ends_with("Option<Vec<Tree>>"));
    assert!(field(&code, "pub struct TreeShapeObject {", "inside").ends_with("Option<Box<Tree>>"));
    // Other components are held by value.
    assert!(field(&code, "pub struct Pet {", "kind").ends_with("Option<Animal>"));
}

#[test]
fn all_of_members_may_be_aliases_and_an_all_of_of_one_scalar_is_that_scalar() {
    let code = code();
    assert!(code.contains("pub type Wrapped = Named;"), "{code}");
    let extended = item(&code, "pub struct Extended {");
    assert!(extended.contains("pub nickname: String,"), "{extended}");
    assert!(
        extended.contains("pub parent_id: Option<String>,"),
        "{extended}"
    );
}

#[test]
fn a_component_string_enum_can_be_a_whole_request_body() {
    let spec = r##"openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /state:
    put:
      operationId: setState
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/State"}
      responses:
        "204": {description: ok}
components:
  schemas:
    State: {type: string, enum: [running, stopped]}
"##;
    let code = generate(spec, &Options::default()).expect("generates");
    assert!(code.contains("impl SpecSchema for State {"), "{code}");
    assert!(code.contains("body: SpecJson<State>"), "{code}");
}

/// Unions that hold each other directly (no struct on the way, whose field would be
/// boxed) box their members, or the enums would have no size; the corpus test compiles
/// them.
#[test]
fn unions_holding_each_other_box_their_members() {
    let code = code();
    let squeezed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(squeezed.contains("Group(Box<Group>),"), "{code}");
    assert!(squeezed.contains("Expr(Box<Expr>),"), "{code}");
    // A union whose members reach it only through a struct keeps them unboxed.
    assert!(!squeezed.contains("(Box<Pet>)"), "{code}");
}
