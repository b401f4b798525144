//! What operations generate: request bodies, responses and parameters the generator
//! expresses, asserted on the generated code.

use apiary_codegen::{Options, generate};

/// A spec with one `GET /pets` operation, `listPets`, whose responses are `responses`
/// (YAML indented by eight spaces), plus a `Pet` component.
fn with_responses(responses: &str) -> String {
    format!(
        r##"openapi: 3.0.3
info: {{title: t, version: "1"}}
tags: [{{name: pets}}]
paths:
  /pets:
    get:
      operationId: listPets
      tags: [pets]
      responses:
{responses}
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {{type: string}}
"##
    )
}

fn code(spec: &str) -> String {
    match generate(spec, &Options::default()) {
        Ok(code) => code,
        Err(error) => panic!("the generator refused {error}:\n{spec}"),
    }
}

fn refusal(spec: &str) -> String {
    match generate(spec, &Options::default()) {
        Ok(_) => panic!("the generator accepted a construct it must refuse:\n{spec}"),
        Err(error) => error.to_string(),
    }
}

/// The generated code with all whitespace removed, for assertions on token sequences.
fn squeezed(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn a_default_response_is_a_variant_carrying_its_status() {
    let spec = with_responses(
        r##"        "200":
          description: ok
        default:
          description: anything else
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}"##,
    );
    let code = squeezed(&code(&spec));
    assert!(
        code.contains("///anythingelseDefault(poem::http::StatusCode,Json<Pet>),"),
        "{code}"
    );
    // Not a range: the adapter answers what the handler chose.
    assert!(code.contains("->ListPetsResponse{"), "{code}");
}

#[test]
fn a_default_response_without_content_carries_no_body() {
    let spec = with_responses("        default:\n          description: anything");
    let code = squeezed(&code(&spec));
    assert!(
        code.contains("Default(poem::http::StatusCode,NoBody)"),
        "{code}"
    );
    assert!(code.contains("pubstructNoBody;"), "{code}");
    assert!(
        code.contains("implpoem_openapi::ResponseContentforNoBody"),
        "{code}"
    );
}

#[test]
fn a_ranged_response_is_checked_against_its_range() {
    let spec = with_responses(
        r##"        "200":
          description: ok
        4XX:
          description: a client error
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
        5XX:
          description: a server error"##,
    );
    let code = squeezed(&code(&spec));
    assert!(
        code.contains("#[oai(status_range=\"4XX\")]Status4XX(poem::http::StatusCode,Json<Pet>),"),
        "{code}"
    );
    assert!(
        code.contains("#[oai(status_range=\"5XX\")]Status5XX(poem::http::StatusCode),"),
        "{code}"
    );
    assert!(
        code.contains("Self::Status4XX(status,..)ifstatus.as_u16()/100!=4=>"),
        "{code}"
    );
    assert!(
        code.contains("->poem::Result<ListPetsResponse>{self.0.list_pets().await.check_status()}"),
        "{code}"
    );
    // The documented statuses the operation table lists are the exact ones.
    assert!(code.contains("statuses:&[200u16]"), "{code}");
}

#[test]
fn a_range_that_is_not_a_hundred_is_refused() {
    let spec = with_responses(
        "        \"200\":\n          description: ok\n        6XX:\n          description: odd",
    );
    let message = refusal(&spec);
    assert!(
        message.contains("paths./pets.get.responses.6XX"),
        "{message}"
    );
}

#[test]
fn inline_and_scalar_json_responses_are_typed() {
    let spec = with_responses(
        r##"        "200":
          description: the pets
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
        "201":
          description: a count
          content:
            application/json:
              schema: {type: integer, format: int32}
        "202":
          description: a kind
          content:
            application/json:
              schema: {type: string, enum: [cat, dog]}"##,
    );
    let code = squeezed(&code(&spec));
    assert!(code.contains("Ok(Json<Vec<Pet>>)"), "{code}");
    assert!(code.contains("Created(Json<i32>)"), "{code}");
    // An inline enum is named after the operation and status.
    assert!(
        code.contains("Accepted(Json<ListPets202Response>)"),
        "{code}"
    );
    assert!(code.contains("pubenumListPets202Response{"), "{code}");
}

#[test]
fn responses_without_a_schema_take_any_document_of_their_type() {
    let spec = with_responses(
        r##"        "200":
          description: json
          content:
            application/json: {}
        "201":
          description: text
          content:
            text/plain: {}
        "202":
          description: bytes
          content:
            application/pdf: {}
        "203":
          description: xml, as text
          content:
            application/xml:
              schema: {$ref: "#/components/schemas/Pet"}"##,
    );
    let code = squeezed(&code(&spec));
    assert!(code.contains("Ok(Json<serde_json::Value>)"), "{code}");
    assert!(
        code.contains("#[oai(status=201,content_type=\"text/plain\")]Created(poem_openapi::payload::PlainText<String>)"),
        "{code}"
    );
    assert!(
        code.contains("#[oai(status=202,content_type=\"application/pdf\")]Accepted(poem_openapi::payload::Binary<Vec<u8>>)"),
        "{code}"
    );
    assert!(
        code.contains("#[oai(status=203,content_type=\"application/xml\")]Status203(poem_openapi::payload::PlainText<String>)"),
        "{code}"
    );
}

#[test]
fn bytes_whose_schema_is_not_binary_are_bytes_with_a_warning() {
    let spec = with_responses(
        r##"        "200":
          description: a file
          content:
            application/octet-stream:
              schema: {type: string}"##,
    );
    let (code, warnings) =
        apiary_codegen::generate_with_warnings(&spec, &Options::default()).expect("generates");
    let code = squeezed(&code);
    assert!(
        code.contains(
            "content_type=\"application/octet-stream\")]Ok(poem_openapi::payload::Binary<Vec<u8>>)"
        ),
        "{code}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.location.ends_with("application/octet-stream.schema")
                && w.message.contains("neither JSON nor text is bytes")),
        "{warnings:?}"
    );
}

#[test]
fn a_media_range_is_answered_by_a_type_naming_the_exact_media_type() {
    let spec = with_responses(
        r##"        "200":
          description: anything
          content:
            "*/*":
              schema: {type: string}
        "201":
          description: some text
          content:
            text/*: {}"##,
    );
    let code = squeezed(&code(&spec));
    // No content type on the variant: the value sets it.
    assert!(code.contains("#[oai(status=200)]Ok(AnyAnyBody)"), "{code}");
    assert!(
        code.contains("#[oai(status=201)]Created(TextAnyBody)"),
        "{code}"
    );
    assert!(
        code.contains("pubstructAnyAnyBody{pubcontent_type:String,pubbody:Vec<u8>,}"),
        "{code}"
    );
    assert!(
        code.contains("pubstructTextAnyBody{pubcontent_type:String,pubbody:String,}"),
        "{code}"
    );
    assert!(
        code.contains("constCONTENT_TYPE:&'staticstr=\"*/*\";"),
        "{code}"
    );
}

/// A spec with one `POST /pets` operation, `createPets`, whose request body is `body`
/// (YAML indented by six spaces), plus a `Pet` component and `components` extras.
fn with_body(body: &str, components: &str) -> String {
    format!(
        r##"openapi: 3.0.3
info: {{title: t, version: "1"}}
tags: [{{name: pets}}]
paths:
  /pets:
    post:
      operationId: createPets
      tags: [pets]
      requestBody:
{body}
      responses:
        "204": {{description: done}}
components:
{components}
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {{type: string}}
"##
    )
}

#[test]
fn an_inline_json_body_is_bound_to_its_place_in_the_spec() {
    let spec = with_body(
        r##"        required: true
        content:
          application/json:
            schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}"##,
        "",
    );
    let code = squeezed(&code(&spec));
    assert!(
        code.contains("pubstructCreatePetsRequestBody(pubVec<Pet>);"),
        "{code}"
    );
    assert!(
        code.contains(
            "implSpecSchemaforCreatePetsRequestBody{constPOINTER:&'staticstr=\"/paths/~1pets/post/requestBody/content/application~1json/schema\";fnspec()->&'staticSpecDocument{&SPEC_DOCUMENT}}"
        ),
        "{code}"
    );
    assert!(
        code.contains("fncreate_pets(&self,body:Vec<Pet>,)"),
        "{code}"
    );
    assert!(
        code.contains("body:SpecJson<CreatePetsRequestBody>,)->CreatePetsResponse{self.0.create_pets(body.0.0).await}"),
        "{code}"
    );
}

#[test]
fn a_scalar_body_and_a_shared_body_are_json_too() {
    let spec = with_body(
        r##"        $ref: "#/components/requestBodies/Kinds""##,
        r##"  requestBodies:
    Kinds:
      required: true
      content:
        application/merge-patch+json:
          schema: {type: array, items: {type: string, enum: [cat, dog]}}"##,
    );
    let code = squeezed(&code(&spec));
    // The inline enum takes the operation's request name; the wrapper points into the
    // shared body.
    assert!(code.contains("pubenumCreatePetsRequest{"), "{code}");
    assert!(
        code.contains(
            "\"/components/requestBodies/Kinds/content/application~1merge-patch+json/schema\""
        ),
        "{code}"
    );
    assert!(code.contains("body:Vec<CreatePetsRequest>,"), "{code}");
    // Read as JSON under its own media type, not `application/json`.
    assert!(
        code.contains("body:ApplicationMergePatchJson<CreatePetsRequestBody>,"),
        "{code}"
    );
    assert!(
        code.contains("pubstructApplicationMergePatchJson<T>(pubT);"),
        "{code}"
    );
    assert!(
        code.contains(".eq_ignore_ascii_case(\"application/merge-patch+json\")"),
        "{code}"
    );
    assert!(
        code.contains(
            "<SpecJson<T,>aspoem_openapi::payload::ParsePayload>::from_request(request,body)"
        ),
        "{code}"
    );
}

#[test]
fn an_optional_body_is_an_option_for_the_handler() {
    let spec = with_body(
        r##"        content:
          application/json:
            schema: {$ref: "#/components/schemas/Pet"}"##,
        "",
    );
    let code = squeezed(&code(&spec));
    assert!(
        code.contains("fncreate_pets(&self,body:Option<Pet>,)"),
        "{code}"
    );
    assert!(
        code.contains("body:OptionalBody<SpecJson<Pet>>,)->CreatePetsResponse{self.0.create_pets(body.0.map(|body|body.0)).await}"),
        "{code}"
    );
    assert!(
        code.contains("pubstructOptionalBody<P>(pubOption<P>);"),
        "{code}"
    );
    assert!(code.contains("meta.required=false;"), "{code}");
}

#[test]
fn an_optional_upload_is_an_option_of_the_upload() {
    let spec = with_body(
        r##"        content:
          application/octet-stream:
            schema: {type: string, format: binary}
          multipart/form-data:
            schema:
              type: object
              required: [file]
              properties:
                file: {type: string, format: binary}"##,
        "",
    );
    let generated = squeezed(&code(&spec));
    assert!(
        generated.contains("body:OptionalBody<Upload>"),
        "{generated}"
    );
    assert!(
        generated.contains("body:Option<apiary_runtime::Upload>"),
        "{generated}"
    );
    assert!(generated.contains("body.0.map(|body|body)"), "{generated}");
}

/// A spec with one `GET /pets/{id}` operation whose parameters are `parameters` (YAML
/// list items indented by eight spaces) beside the path's `id`.
fn with_parameters(parameters: &str) -> String {
    format!(
        r##"openapi: 3.0.3
info: {{title: t, version: "1"}}
tags: [{{name: pets}}]
paths:
  /pets/{{id}}:
    get:
      operationId: findPets
      tags: [pets]
      parameters:
        - {{name: id, in: path, required: true, schema: {{type: integer}}}}
{parameters}
      responses:
        "204": {{description: done}}
"##
    )
}

#[test]
fn an_exploded_form_array_in_the_query_is_a_vec() {
    let spec = with_parameters(
        r##"        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
        - {name: ids, in: query, style: form, explode: true, schema: {type: array, items: {type: integer, format: int32}, minItems: 1, maxItems: 5, uniqueItems: true}}
        - {name: kinds, in: query, schema: {type: array, items: {type: string, enum: [cat, dog]}}}"##,
    );
    let code = squeezed(&code(&spec));
    assert!(
        code.contains("tags:poem_openapi::param::Query<Option<Vec<String>>>"),
        "{code}"
    );
    assert!(
        code.contains("#[oai(name=\"ids\",validator(max_items=5usize,min_items=1usize,unique_items))]ids:poem_openapi::param::Query<Option<Vec<i32>>>"),
        "{code}"
    );
    assert!(
        code.contains("kinds:poem_openapi::param::Query<Option<Vec<FindPetsKinds>>>"),
        "{code}"
    );
    assert!(code.contains("pubenumFindPetsKinds{"), "{code}");
    assert!(
        code.contains(
            "tags:Option<Vec<String>>,ids:Option<Vec<i32>>,kinds:Option<Vec<FindPetsKinds>>,"
        ),
        "{code}"
    );
}

#[test]
fn array_parameters_poem_cannot_read_are_read_by_the_runtime() {
    // (parameter, style, explode)
    let cases = [
        (
            "        - {name: tags, in: cookie, schema: {type: array, items: {type: string}}}",
            "Form",
            "true",
        ),
        (
            "        - {name: tags, in: header, schema: {type: array, items: {type: string}, maxItems: 3}}",
            "Simple",
            "false",
        ),
        (
            "        - {name: tags, in: query, explode: false, schema: {type: array, items: {type: string}, maxItems: 3}}",
            "Form",
            "false",
        ),
        (
            "        - {name: tags, in: query, style: pipeDelimited, schema: {type: array, items: {type: string}}}",
            "PipeDelimited",
            "false",
        ),
        (
            "        - {name: tags, in: query, required: true, schema: {type: array, items: {type: string}}}",
            "Form",
            "true",
        ),
        (
            "        - {name: tags, in: query, schema: {type: array, items: {type: string, maxLength: 3}}}",
            "Form",
            "true",
        ),
    ];
    for (parameter, style, explode) in cases {
        let generated = squeezed(&code(&with_parameters(parameter)));
        let expected = "staticPARAMETER_TAGS:apiary_runtime::SpecParam=apiary_runtime::SpecParam::new(\
             apiary_runtime::ParamSpec{name:\"tags\",";
        assert!(generated.contains(expected), "{parameter}: {generated}");
        assert!(
            generated.contains(&format!(
                "style:apiary_runtime::ParamStyle::{style},explode:{explode},"
            )),
            "{parameter}: {generated}"
        );
        assert!(
            generated.contains("pointer:\"/paths/~1pets~1{id}/get/parameters/1/schema\""),
            "{parameter}: {generated}"
        );
        // The handler gets the typed value, read before it runs (a refusal is a 422).
        assert!(generated.contains("request:&poem::Request,"), "{generated}");
        assert!(
            generated.contains("->poem::Result<FindPetsResponse>"),
            "{generated}"
        );
        if parameter.contains("required: true") {
            assert!(generated.contains("tags:Vec<String>"), "{generated}");
            assert!(
                generated.contains("PARAMETER_TAGS.read_required(request,&SPEC_DOCUMENT)?"),
                "{generated}"
            );
        } else {
            assert!(
                generated.contains("tags:Option<Vec<String>>"),
                "{generated}"
            );
            assert!(
                generated.contains("PARAMETER_TAGS.read(request,&SPEC_DOCUMENT)?"),
                "{generated}"
            );
        }
    }
}

#[test]
fn cookie_parameters_are_read_from_cookies() {
    let spec = with_parameters(
        r##"        - {name: session, in: cookie, required: true, schema: {type: string}}
        - {name: theme, in: cookie, schema: {type: string, default: dark}}"##,
    );
    let code = squeezed(&code(&spec));
    assert!(
        code.contains("#[oai(name=\"session\")]session:poem_openapi::param::Cookie<String>"),
        "{code}"
    );
    assert!(
        code.contains("theme:poem_openapi::param::Cookie<Option<String>>"),
        "{code}"
    );
    assert!(
        code.contains("theme.0.unwrap_or_else(||\"dark\".to_string())"),
        "{code}"
    );
}

#[test]
fn text_and_bytes_bodies_are_taken_as_they_come() {
    let spec = with_body(
        r##"        required: true
        content:
          application/xml:
            schema: {$ref: "#/components/schemas/Pet"}"##,
        "",
    );
    let generated = squeezed(&code(&spec));
    assert!(
        generated.contains("fncreate_pets(&self,body:String,)"),
        "{generated}"
    );
    assert!(
        generated.contains("pubstructApplicationXmlText(pubString);"),
        "{generated}"
    );
    assert!(
        generated.contains("constCONTENT_TYPE:&'staticstr=\"application/xml\";"),
        "{generated}"
    );
    assert!(
        generated.contains("essence==\"application/xml\""),
        "{generated}"
    );
    // Read under the service's body limit.
    assert!(generated.contains("into_bytes_limit(limit)"), "{generated}");
    assert!(
        generated.contains("body:ApplicationXmlText)->CreatePetsResponse"),
        "{generated}"
    );

    let spec = with_body(
        r##"        required: true
        content:
          application/octet-stream:
            schema: {type: string, format: binary}"##,
        "",
    );
    let generated = squeezed(&code(&spec));
    assert!(
        generated.contains("fncreate_pets(&self,body:ApplicationOctetStreamBytes,)"),
        "{generated}"
    );
    assert!(
        generated.contains(
            "pubstructApplicationOctetStreamBytes{pubcontent_type:String,pubbytes:Vec<u8>,}"
        ),
        "{generated}"
    );

    let spec = with_body(
        r##"        required: true
        content:
          "*/*": {}"##,
        "",
    );
    let generated = squeezed(&code(&spec));
    assert!(generated.contains("body:AnyAnyBytes,"), "{generated}");
    assert!(generated.contains("!essence.is_empty()"), "{generated}");
}

#[test]
fn several_media_types_are_an_enum_chosen_by_content_type() {
    let spec = with_body(
        r##"        required: true
        content:
          "*/*": {}
          application/json:
            schema: {$ref: "#/components/schemas/Pet"}
          application/x-www-form-urlencoded:
            schema: {$ref: "#/components/schemas/Pet"}
          text/plain: {}"##,
        "",
    );
    let code = squeezed(&code(&spec));
    // The range is tried last.
    assert!(
        code.contains("pubenumCreatePetsRequestContent{///`application/json`ApplicationJson(Pet),///`application/x-www-form-urlencoded`ApplicationXWwwFormUrlencoded(Pet),///`text/plain`TextPlain(String),///`*/*`AnyAny(AnyAnyBytes),}"),
        "{code}"
    );
    assert!(
        code.contains("#[derive(poem_openapi::ApiRequest)]pubenumCreatePetsRequestPayload{ApplicationJson(SpecJson<Pet>),ApplicationXWwwFormUrlencoded(SpecForm<Pet,AsProblem,CreatePetsForm>),TextPlain(TextPlainText),AnyAny(AnyAnyBytes),}"),
        "{code}"
    );
    assert!(
        code.contains("CreatePetsRequestPayload::TextPlain(body)=>Self::TextPlain(body.0),"),
        "{code}"
    );
    assert!(
        code.contains("fncreate_pets(&self,body:CreatePetsRequestContent,)"),
        "{code}"
    );
    assert!(code.contains("self.0.create_pets(body.into())"), "{code}");
}

#[test]
fn a_media_type_listed_twice_is_refused() {
    let spec = with_body(
        r##"        required: true
        content:
          text/plain: {}
          text/plain; charset=utf-8: {}"##,
        "",
    );
    let message = refusal(&spec);
    assert!(
        message.contains("paths./pets.post.requestBody.content.text/plain; charset=utf-8"),
        "{message}"
    );
}

#[test]
fn several_media_types_on_one_status_are_a_variant_each() {
    let spec = with_responses(
        r##"        "200":
          description: a pet
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
            application/xml:
              schema: {$ref: "#/components/schemas/Pet"}
            "*/*": {}
        default:
          description: other
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
            text/plain: {}"##,
    );
    let code = squeezed(&code(&spec));
    assert!(
        code.contains("#[derive(Debug,poem_openapi::ResponseContent)]pubenumListPets200Content{///`application/json`ApplicationJson(Json<Pet>),///`application/xml`#[oai(content_type=\"application/xml\")]ApplicationXml(poem_openapi::payload::PlainText<String>),///`*/*`AnyAny(AnyAnyBody),}"),
        "{code}"
    );
    assert!(
        code.contains("#[oai(status=200)]Ok(ListPets200Content),"),
        "{code}"
    );
    assert!(
        code.contains("Default(poem::http::StatusCode,ListPetsDefaultContent),"),
        "{code}"
    );
    assert!(code.contains("pubstructAnyAnyBody{"), "{code}");
}

#[test]
fn one_tag_s_adapter_is_served_alone_and_many_are_nested() {
    // poem-openapi combines 2 to 16 APIs in a tuple and has no 1-tuple.
    let spec = with_responses("        \"200\":\n          description: ok");
    let one = squeezed(&code(&spec));
    assert!(
        one.contains("pubtypeApiAdapters<I>=PetsApiAdapter<I>;"),
        "{one}"
    );
    assert!(
        one.contains("->ApiAdapters<I>{PetsApiAdapter(std::sync::Arc::clone(&imp))}"),
        "{one}"
    );

    let tags: Vec<String> = (0..17).map(|i| format!("t{i}")).collect();
    let mut spec = String::from("openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n");
    for tag in &tags {
        spec.push_str(&format!(
            "  /{tag}:\n    get:\n      tags: [{tag}]\n      responses:\n        \"204\": {{description: ok}}\n"
        ));
    }
    let many = squeezed(&code(&spec));
    let first: Vec<String> = tags[..16]
        .iter()
        .map(|t| format!("{}ApiAdapter<I>", t.to_uppercase()))
        .collect();
    assert!(
        many.contains(&format!(
            "pubtypeApiAdapters<I>=(({},),T16ApiAdapter<I>,);",
            first.join(",")
        )),
        "{many}"
    );
}

#[test]
fn an_optional_body_without_a_content_type_must_be_empty() {
    let spec = with_body(
        r##"        content:
          text/plain: {}"##,
        "",
    );
    let code = squeezed(&code(&spec));
    assert!(code.contains("None=>Err(body.take()),"), "{code}");
    assert!(
        code.contains("matchrest?.into_bytes_limit(0).await{Ok(_)=>Ok(Self(None)),Err(_)=>{Err(poem_openapi::error::ContentTypeError::ExpectContentType.into(),)}"),
        "{code}"
    );
}

#[test]
fn response_headers_of_any_schema_are_typed_or_text() {
    let spec = with_responses(
        r##"        "200":
          description: ok
          headers:
            X-Count: {required: true, schema: {type: integer, format: int32}}
            X-Flag: {schema: {type: boolean}}
            X-Id: {schema: {type: string, format: uuid}}
            X-When: {schema: {type: string, format: date-time}}
            X-Kind: {schema: {type: string, enum: [a, b]}}
            X-Tags: {schema: {type: array, items: {type: string}}}
            X-Ref: {schema: {$ref: "#/components/schemas/Pet"}}"##,
    );
    let code = squeezed(&code(&spec));
    assert!(
        code.contains("Ok(#[oai(header=\"X-Count\")]i32,#[oai(header=\"X-Flag\")]Option<bool>,#[oai(header=\"X-Id\")]Option<uuid::Uuid>,#[oai(header=\"X-When\")]Option<String>,#[oai(header=\"X-Kind\")]Option<String>,#[oai(header=\"X-Tags\")]Option<String>,#[oai(header=\"X-Ref\")]Option<String>,)"),
        "{code}"
    );
}

#[test]
fn a_ref_parameter_schema_names_a_component_enum() {
    let spec = r##"openapi: 3.0.3
info: {title: t, version: "1"}
tags: [{name: pets}]
paths:
  /pets/{kind}:
    get:
      operationId: listPets
      tags: [pets]
      parameters:
        - {name: kind, in: path, required: true, schema: {$ref: "#/components/schemas/Kind"}}
        - {name: order, in: query, schema: {$ref: "#/components/schemas/Order"}}
      responses:
        "204": {description: ok}
components:
  schemas:
    Kind: {type: string, enum: [cat, dog]}
    Order: {type: string, enum: [asc, desc], default: asc}
    Pet: {type: object, properties: {name: {type: string}}}
"##;
    let generated = squeezed(&code(spec));
    assert!(
        generated.contains("kind:poem_openapi::param::Path<Kind>,"),
        "{generated}"
    );
    assert!(
        generated.contains("order:poem_openapi::param::Query<Option<Order>>,"),
        "{generated}"
    );
    assert!(
        generated.contains("order.0.unwrap_or_else(||Order::Asc)"),
        "{generated}"
    );

    // A component of another shape is read by the runtime, checked by its schema.
    let object = squeezed(&code(&spec.replace("schemas/Order", "schemas/Pet")));
    assert!(object.contains("order:Option<Pet>"), "{object}");
    assert!(
        object.contains("pointer:\"/paths/~1pets~1{kind}/get/parameters/1/schema\""),
        "{object}"
    );
}

#[test]
fn a_required_parameter_s_default_never_applies() {
    let spec = with_parameters(
        "        - {name: version, in: query, required: true, schema: {type: string, default: v1}}",
    );
    let generated = squeezed(&code(&spec));
    assert!(
        generated.contains("version:poem_openapi::param::Query<String>,"),
        "{generated}"
    );
    assert!(generated.contains("version.0)"), "{generated}");
    // It is still checked against the type.
    let spec = with_parameters(
        "        - {name: version, in: query, required: true, schema: {type: integer, default: v1}}",
    );
    let message = refusal(&spec);
    assert!(
        message.contains("paths./pets/{id}.get.parameters[1].schema.default"),
        "{message}"
    );
}

#[test]
fn a_form_body_that_is_not_an_object_is_refused() {
    let spec = with_body(
        r##"        required: true
        content:
          application/x-www-form-urlencoded:
            schema: {type: string}"##,
        "",
    );
    let message = refusal(&spec);
    assert!(
        message.contains(
            "paths./pets.post.requestBody.content.application/x-www-form-urlencoded.schema: \
             a form body's schema must be an object"
        ),
        "{message}"
    );
}

#[test]
fn from_problem_answers_a_problem_of_a_documented_range_with_its_variant() {
    let spec = r##"openapi: 3.0.3
info: {title: t, version: "1"}
tags: [{name: pets}]
paths:
  /pets:
    get:
      operationId: listPets
      tags: [pets]
      responses:
        "200": {description: ok}
        4XX:
          description: a client error
          content:
            application/problem+json:
              schema: {$ref: "#/components/schemas/Problem"}
        "500":
          description: failed
          content:
            application/problem+json:
              schema: {$ref: "#/components/schemas/Problem"}
components:
  schemas:
    Problem:
      type: object
      required: [status]
      properties:
        status: {type: integer, format: int32}
"##;
    let options = Options {
        problem_schema: Some("Problem".to_string()),
        ..Options::default()
    };
    let generated = squeezed(&generate(spec, &options).expect("generates"));
    // Exact statuses first, then the range, then the undocumented path.
    assert!(
        generated.contains("500=>Self::InternalServerError(Json(problem)),statusifstatus/100==4=>{matchpoem::http::StatusCode::from_u16(status){Ok(code)=>Self::Status4XX(code,Json(problem)),"),
        "{generated}"
    );
}

#[test]
fn a_form_array_in_the_query_that_is_not_exploded_is_comma_separated() {
    let spec = with_parameters(
        "        - {name: tags, in: query, explode: false, schema: {type: array, items: {type: string}}}",
    );
    let generated = squeezed(&code(&spec));
    assert!(
        generated.contains("tags:poem_openapi::param::Query<Option<SimpleArray<String>>>,"),
        "{generated}"
    );
    assert!(
        generated.contains("tags.0.map(|items|items.0)"),
        "{generated}"
    );
}

#[test]
fn a_simple_array_in_the_path_or_a_header_is_comma_separated() {
    let spec = with_parameters(
        r##"        - {name: X-Kinds, in: header, schema: {type: array, items: {type: string, enum: [cat, dog]}}}
        - {name: X-Ids, in: header, required: true, schema: {type: array, items: {type: integer}}}"##,
    )
    .replace(
        "{name: id, in: path, required: true, schema: {type: integer}}",
        "{name: id, in: path, required: true, schema: {type: array, items: {type: string}}}",
    );
    let generated = squeezed(&code(&spec));
    assert!(
        generated.contains("id:poem_openapi::param::Path<SimpleArray<String>>,"),
        "{generated}"
    );
    assert!(
        generated
            .contains("x_kinds:poem_openapi::param::Header<Option<SimpleArray<FindPetsXKinds>>>,"),
        "{generated}"
    );
    assert!(
        generated.contains("x_ids:poem_openapi::param::Header<SimpleArray<i64>>,"),
        "{generated}"
    );
    assert!(
        generated.contains("self.0.find_pets(id.0.0,x_kinds.0.map(|items|items.0),x_ids.0.0)"),
        "{generated}"
    );
    assert!(
        generated.contains(
            "fnfind_pets(&self,id:Vec<String>,x_kinds:Option<Vec<FindPetsXKinds>>,x_ids:Vec<i64>,)"
        ),
        "{generated}"
    );
    assert!(
        generated.contains("pubstructSimpleArray<T>(pubVec<T>);"),
        "{generated}"
    );
    assert!(
        generated.contains("value.as_ref().split(',')"),
        "{generated}"
    );
}

/// A path item's parameters apply to each of its operations; one the operation lists
/// again (same name, same place) is the operation's, as OpenAPI says.
#[test]
fn an_operation_overrides_a_path_item_parameter_of_the_same_name_and_place() {
    let spec = r##"openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /pets/{petId}:
    parameters:
      - {name: petId, in: path, required: true, schema: {type: string}}
      - {name: limit, in: query, schema: {type: string}}
      - {name: limit, in: header, schema: {type: string}}
    get:
      operationId: getPet
      parameters:
        - {name: limit, in: query, schema: {type: integer, format: int32}}
      responses:
        "204": {description: done}
    delete:
      operationId: deletePet
      responses:
        "204": {description: done}
"##;
    let code = squeezed(&code(spec));
    // The operation's `limit` in the query replaces the path item's; the header of the
    // same name is another parameter and stays.
    assert!(
        code.contains("fnget_pet(&self,pet_id:String,limit:Option<i32>,limit2:Option<String>,)"),
        "{code}"
    );
    assert!(
        code.contains(
            "fndelete_pet(&self,pet_id:String,limit:Option<String>,limit2:Option<String>,)"
        ),
        "{code}"
    );
}

/// A path item's parameter is refused at its own place in the spec.
#[test]
fn a_path_item_parameter_is_refused_where_it_is() {
    let spec = r##"openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /pets:
    parameters:
      - {$ref: "#/components/parameters/Missing"}
    get:
      operationId: listPets
      responses:
        "204": {description: done}
"##;
    let error = refusal(spec);
    assert!(
        error.starts_with("spec error at paths./pets.parameters[0]:"),
        "{error}"
    );
}
