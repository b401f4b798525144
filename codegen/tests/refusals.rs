//! A spec construct the generator cannot express must fail with its location.

use apiary_codegen::{Options, generate};

/// A minimal valid spec with one operation; `patch` rewrites part of it.
fn spec_with(operation: &str, schemas: &str) -> String {
    format!(
        r#"openapi: 3.0.3
info: {{title: t, version: "1"}}
tags: [{{name: things}}]
paths:
  /v1/things:
    post:
{operation}
components:
  schemas:
    Thing:
      type: object
      properties:
        name: {{type: string, description: n}}
{schemas}
"#
    )
}

const GOOD_OP: &str = r##"      operationId: createThing
      summary: s
      tags: [things]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Thing"}
      responses:
        "201":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}"##;

fn refusal(spec: &str) -> String {
    match generate(spec, &Options::default()) {
        Ok(_) => panic!("the generator accepted a construct it must refuse:\n{spec}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_good_spec_generates_a_trait_and_an_adapter() {
    let code = generate(&spec_with(GOOD_OP, ""), &Options::default()).expect("generates");
    assert!(code.contains("pub trait ThingsApi"), "{code}");
    assert!(code.contains("fn create_thing("), "{code}");
    assert!(code.contains("pub enum CreateThingResponse"), "{code}");
    assert!(code.contains("path = \"/v1/things\""), "{code}");
}

#[test]
fn path_templates_become_poem_paths() {
    let op = GOOD_OP.replace("requestBody:", "parameters:\n        - {name: id, in: path, required: true, schema: {type: integer}}\n      requestBody:");
    let spec = spec_with(&op, "").replace("/v1/things:", "/v1/things/{id}:");
    let code = generate(&spec, &Options::default()).expect("generates");
    assert!(code.contains("path = \"/v1/things/:id\""), "{code}");
}

#[test]
fn a_multipart_type_other_than_form_data_is_refused_at_its_location() {
    let op = GOOD_OP.replace(
        "application/json:\n            schema: {$ref",
        "multipart/related:\n            schema: {$ref",
    );
    let message = refusal(&spec_with(&op, ""));
    assert!(
        message.contains("paths./v1/things.post.requestBody.content.multipart/related"),
        "{message}"
    );
}

#[test]
fn deprecated_alone_marks_the_operation_and_half_a_date_pair_is_refused() {
    let op = GOOD_OP.replace(
        "      summary: s\n",
        "      summary: s\n      deprecated: true\n",
    );
    let code = generate(&spec_with(&op, ""), &Options::default()).expect("generates");
    let adapter_is_deprecated = code.split("#[oai(").skip(1).any(|attribute| {
        let attribute = attribute.split(")]").next().unwrap_or_default();
        attribute.contains("operation_id = \"createThing\"") && attribute.contains("deprecated")
    });
    assert!(adapter_is_deprecated, "the adapter is deprecated: {code}");
    assert!(code.contains("deprecated: true,"), "{code}");
    assert!(
        code.contains("deprecation: None,"),
        "no date headers: {code}"
    );

    let half = op.replace(
        "deprecated: true\n",
        "deprecated: true\n      x-sunset: 2027-06-30\n",
    );
    let message = refusal(&spec_with(&half, ""));
    assert!(message.contains("paths./v1/things.post:"), "{message}");
    assert!(message.contains("go together"), "{message}");
}

#[test]
fn callbacks_are_accepted_with_a_warning_and_generate_no_route() {
    let op = format!(
        "{GOOD_OP}\n      callbacks:\n        done:\n          '{{$request.body#/url}}':\n            post:\n              responses:\n                \"200\": {{description: ok}}"
    );
    let (code, warnings) =
        apiary_codegen::generate_with_warnings(&spec_with(&op, ""), &Options::default())
            .expect("generates");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].location, "paths./v1/things.post.callbacks");
    assert_eq!(code.matches("operation_id =").count(), 1, "{code}");
}

#[test]
fn spec_mistakes_in_operations_are_read_past_with_a_warning() {
    // A parameter format nothing checks: the text reaches the handler.
    let op = GOOD_OP.replace(
        "requestBody:",
        "parameters:\n        - {name: callback, in: query, schema: {type: string, format: uri}}\n      requestBody:",
    );
    let (code, warnings) =
        apiary_codegen::generate_with_warnings(&spec_with(&op, ""), &Options::default())
            .expect("generates");
    assert!(code.contains("callback: Option<String>"), "{code}");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(
        warnings[0].location,
        "paths./v1/things.post.parameters[0].schema.format"
    );

    // No response at all: any status, no body.
    let start = GOOD_OP.find("      responses:").expect("responses");
    let op = format!("{}      responses: {{}}", &GOOD_OP[..start]);
    let (code, warnings) =
        apiary_codegen::generate_with_warnings(&spec_with(&op, ""), &Options::default())
            .expect("generates");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].location, "paths./v1/things.post.responses");
    assert!(code.contains("pub enum CreateThingResponse"), "{code}");
}

#[test]
fn house_rules_are_the_lint_s_not_the_generator_s() {
    // No operationId: one derived from the method and path.
    let op = GOOD_OP.replace("      operationId: createThing\n", "");
    let code = generate(&spec_with(&op, ""), &Options::default()).expect("generates");
    assert!(code.contains("fn post_v1_things("), "{code}");
    // No summary: the operation generates all the same.
    let op = GOOD_OP.replace("      summary: s\n", "");
    generate(&spec_with(&op, ""), &Options::default()).expect("generates");
    // No tag: the trait of the default tag.
    let op = GOOD_OP.replace("      tags: [things]\n", "");
    let code = generate(&spec_with(&op, ""), &Options::default()).expect("generates");
    assert!(code.contains("pub trait DefaultApi"), "{code}");
    // Several tags, one of them undeclared: the first names the trait.
    let op = GOOD_OP.replace("tags: [things]", "tags: [other, things]");
    let code = generate(&spec_with(&op, ""), &Options::default()).expect("generates");
    assert!(code.contains("pub trait OtherApi"), "{code}");
    assert!(!code.contains("pub trait ThingsApi"), "{code}");
}

#[test]
fn a_pattern_on_a_parameter_is_compiled_once_and_one_rust_cannot_read_is_refused() {
    let with = |pattern: &str| {
        GOOD_OP.replace(
            "requestBody:",
            &format!(
                "parameters:\n        - {{name: q, in: query, schema: {{type: string, pattern: \"{pattern}\"}}}}\n      requestBody:"
            ),
        )
    };
    let code = generate(&spec_with(&with("^a[0-9]+$"), ""), &Options::default())
        .expect("a pattern the Rust regex dialect reads is generated");
    assert!(
        code.contains("static CREATE_THING_Q_PATTERN: apiary_runtime::ParamPattern")
            && code.contains(r#""^a[0-9]+$""#),
        "{code}"
    );
    assert!(
        code.contains(r#"custom = "&CREATE_THING_Q_PATTERN""#),
        "{code}"
    );

    let message = refusal(&spec_with(&with("^(?=a)"), ""));
    assert!(
        message.contains("paths./v1/things.post.parameters[0].schema.pattern")
            && message.contains("regular expression"),
        "{message}"
    );
}

#[test]
fn openapi_3_1_is_refused() {
    let spec = spec_with(GOOD_OP, "").replace("openapi: 3.0.3", "openapi: 3.1.0");
    let message = refusal(&spec);
    assert!(message.contains("at openapi:"), "{message}");
}

const UPLOAD_OP: &str = r##"      operationId: createThing
      summary: s
      tags: [things]
      x-max-body-bytes: 1000
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file]
              properties:
                file: {type: string, format: binary, description: f}
          application/octet-stream:
            schema: {type: string, format: binary}
      responses:
        "200":
          description: ok
          headers:
            ETag: {required: true, schema: {type: string}}
          content:
            image/*:
              schema: {type: string, format: binary}"##;

#[test]
fn a_binary_upload_and_an_image_response_are_generated() {
    let code = generate(&spec_with(UPLOAD_OP, ""), &Options::default()).expect("generates");
    assert!(code.contains("body: Upload"), "{code}");
    assert!(code.contains("ImageBytes"), "{code}");
    assert!(code.contains("max_body_bytes: Some(1000"), "{code}");
}

#[test]
fn an_upload_with_another_field_is_a_multipart_body_of_named_parts() {
    let op = UPLOAD_OP
        .replace("      x-max-body-bytes: 1000\n", "")
        .replace(
            "                file: {type: string, format: binary, description: f}",
            "                file: {type: string, format: binary, description: f}\n                note: {type: string, description: n}",
        );
    let code = generate(&spec_with(&op, ""), &Options::default()).expect("generates");
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        code.contains("MultipartFormData(apiary_runtime::SpecMultipart<CreateThingRequest>)"),
        "{code}"
    );
    assert!(code.contains("pubnote:Option<String>"), "{code}");
}

#[test]
fn a_file_part_that_is_not_binary_is_text() {
    let op = UPLOAD_OP
        .replace("      x-max-body-bytes: 1000\n", "")
        .replace(
            "file: {type: string, format: binary, description: f}",
            "file: {type: string, description: f}",
        );
    let code = generate(&spec_with(&op, ""), &Options::default()).expect("generates");
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(code.contains("pubfile:String,"), "{code}");
}

#[test]
fn a_media_type_with_a_wildcard_that_is_not_a_range_is_refused() {
    let op = UPLOAD_OP.replace("image/*:", "application/*+json:");
    let message = refusal(&spec_with(&op, ""));
    assert!(
        message.contains("responses.200.content.application/*+json"),
        "{message}"
    );
}

#[test]
fn a_body_limit_on_a_json_operation_is_refused() {
    let op = GOOD_OP.replace(
        "tags: [things]",
        "tags: [things]\n      x-max-body-bytes: 10",
    );
    let message = refusal(&spec_with(&op, ""));
    assert!(
        message.contains("paths./v1/things.post.x-max-body-bytes"),
        "{message}"
    );
}

#[test]
fn a_form_body_is_refused_as_its_400_is_documented() {
    let form = GOOD_OP.replace(
        "application/json:\n            schema: {$ref",
        "application/x-www-form-urlencoded:\n            schema: {$ref",
    );
    let code = generate(&spec_with(&form, ""), &Options::default()).expect("generates");
    assert!(
        code.contains("body: SpecForm<Thing, AsProblem, CreateThingForm>"),
        "{code}"
    );
    // The form is read as its media type in the spec says: its schema and `encoding`.
    assert!(
        code.contains(
            "impl apiary_runtime::FormSchema for CreateThingForm {\n    const MEDIA: &'static str = \"/paths/~1v1~1things/post/requestBody/content/application~1x-www-form-urlencoded\";"
        ),
        "{code}"
    );

    let oauth = format!(
        "{form}\n        \"400\":\n          description: refused\n          \
         x-error-format: oauth2\n          content:\n            application/json:\n              \
         schema: {{$ref: \"#/components/schemas/Thing\"}}"
    );
    let code = generate(&spec_with(&oauth, ""), &Options::default()).expect("generates");
    assert!(
        code.contains("body: SpecForm<Thing, AsOAuth, CreateThingForm>"),
        "{code}"
    );

    let message = refusal(&spec_with(&oauth.replace("oauth2", "saml"), ""));
    assert!(
        message.contains("paths./v1/things.post.responses.400.x-error-format"),
        "{message}"
    );
}

#[test]
fn json_media_types_with_parameters_or_a_json_suffix_are_json() {
    let op = GOOD_OP
        .replace(
            "          application/json:\n            schema",
            "          application/json; charset=utf-8:\n            schema",
        )
        .replace(
            "            application/json:\n              schema",
            "            application/problem+json:\n              schema",
        );
    assert!(op.contains("application/json; charset=utf-8"), "{op}");
    let code = generate(&spec_with(&op, ""), &Options::default()).expect("generates");
    assert!(code.contains("body: SpecJson<Thing>"), "{code}");
    assert!(code.contains("Json<Thing>"), "{code}");
    let vnd = GOOD_OP.replace(
        "          application/json:\n            schema",
        "          application/vnd.api+json:\n            schema",
    );
    let code = generate(&spec_with(&vnd, ""), &Options::default()).expect("generates");
    // Read as JSON under the `Content-Type` the spec names.
    assert!(
        code.contains("body: ApplicationVndApiJson<Thing>"),
        "{code}"
    );
}

#[test]
fn a_parameter_that_is_not_one_scalar_is_read_by_the_runtime_not_refused() {
    for schema in [
        "{oneOf: [{type: string}, {type: integer}]}",
        "{description: any value}",
        "{type: string, minimum: 3}",
    ] {
        let op = GOOD_OP.replace(
            "requestBody:",
            &format!("parameters:\n        - {{name: q, in: query, schema: {schema}}}\n      requestBody:"),
        );
        let (code, _) =
            apiary_codegen::generate_with_warnings(&spec_with(&op, ""), &Options::default())
                .unwrap_or_else(|error| panic!("{schema}: {error}"));
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            code.contains("pointer:\"/paths/~1v1~1things/post/parameters/0/schema\""),
            "{schema}: {code}"
        );
        assert!(
            code.contains("PARAMETER_Q.read(request,&SPEC_DOCUMENT)?"),
            "{schema}: {code}"
        );
    }
}
