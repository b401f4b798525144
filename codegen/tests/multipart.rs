//! Multipart bodies with named parts (tests/specs/multipart.yaml; the corpus test
//! compiles the same spec): a struct poem-openapi reads part by part, read under the
//! body limit by the runtime's `SpecMultipart`.

use apiary_codegen::{Options, generate};

const MULTIPART: &str = include_str!("specs/multipart.yaml");

fn code(spec: &str) -> String {
    let code = match generate(spec, &Options::default()) {
        Ok(code) => code,
        Err(error) => panic!("the generator refused {error}:\n{spec}"),
    };
    syn::parse_file(&code).expect("the generated code parses");
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

fn refusal(spec: &str) -> String {
    match generate(spec, &Options::default()) {
        Ok(_) => panic!("the generator accepted a construct it must refuse:\n{spec}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn an_inline_multipart_object_is_a_struct_of_typed_parts() {
    let code = code(MULTIPART);
    assert!(
        code.contains("#[derive(Debug,poem_openapi::Multipart)]#[oai(deny_unknown_fields)]pubstructCreateDocumentRequest{"),
        "{code}"
    );
    for field in [
        "///Thedocument.\n#[oai(rename=\"file\")]pubfile:poem_openapi::types::multipart::Upload,",
        "#[oai(rename=\"title\")]pubtitle:String,",
        "#[oai(rename=\"pages\")]pubpages:Option<i32>,",
        "#[oai(rename=\"draft\")]pubdraft:Option<bool>,",
        "#[oai(rename=\"kind\")]pubkind:Option<CreateDocumentRequestKind>,",
        "#[oai(rename=\"attachments\")]pubattachments:Option<Vec<poem_openapi::types::multipart::Upload>>,",
        "#[oai(rename=\"labels\")]publabels:Option<Vec<String>>,",
        "#[oai(rename=\"meta\")]pubmeta:Option<poem_openapi::types::multipart::JsonField<CreateDocumentRequestMeta>,>,",
        "#[oai(rename=\"owner\")]pubowner:Option<poem_openapi::types::multipart::JsonField<Owner>>,",
        "#[oai(rename=\"content-type\")]pubcontent_type:Option<String>,",
    ] {
        let field: String = field.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(code.contains(&field), "no `{field}` in:\n{code}");
    }
    assert!(code.contains("pubenumCreateDocumentRequestKind{"), "{code}");
    assert!(
        code.contains("pubstructCreateDocumentRequestMeta{"),
        "{code}"
    );
    // The handler gets the struct; the adapter reads it under the body limit.
    assert!(
        code.contains("fncreate_document(&self,body:CreateDocumentRequest,)"),
        "{code}"
    );
    assert!(
        code.contains("body:apiary_runtime::SpecMultipart<CreateDocumentRequest>,)"),
        "{code}"
    );
}

#[test]
fn a_component_s_multipart_struct_is_named_after_it_and_generated_once() {
    let code = code(MULTIPART);
    assert_eq!(
        code.matches("pubstructAttachmentRequestParts{").count(),
        1,
        "{code}"
    );
    assert_eq!(
        code.matches("pubenumAttachmentRequestPartsResourceSubtype{")
            .count(),
        1,
        "{code}"
    );
    // The component is still the JSON model it was.
    assert!(code.contains("pubstructAttachmentRequest{"), "{code}");
    assert!(
        code.contains("#[oai(rename=\"parent\")]pubparent:String,"),
        "{code}"
    );
    // `required: false`: `None` for a request without a body.
    assert!(
        code.contains("fncreate_attachment(&self,body:Option<AttachmentRequestParts>,)"),
        "{code}"
    );
    assert!(
        code.contains("body:OptionalBody<apiary_runtime::SpecMultipart<AttachmentRequestParts>>,"),
        "{code}"
    );
    assert!(
        code.contains("fnreplace_attachment(&self,id:String,body:AttachmentRequestParts,)"),
        "{code}"
    );
}

#[test]
fn a_multipart_body_may_set_its_own_body_limit() {
    let spec = MULTIPART.replace(
        "      operationId: createDocument\n",
        "      operationId: createDocument\n      x-max-body-bytes: 1000\n",
    );
    assert!(code(&spec).contains("max_body_bytes:Some(1000"));
}

#[test]
fn a_multipart_body_that_is_not_an_object_is_refused_at_its_schema() {
    let spec = MULTIPART.replace(
        "            schema: {$ref: \"#/components/schemas/AttachmentRequest\"}\n      responses:\n        \"204\": {description: Attached.}",
        "            schema: {type: string}\n      responses:\n        \"204\": {description: Attached.}",
    );
    let message = refusal(&spec);
    assert!(
        message.contains("paths./attachments.post.requestBody.content.multipart/form-data.schema"),
        "{message}"
    );
    assert!(message.contains("must be an object"), "{message}");
}

#[test]
fn parts_of_any_name_are_refused_at_additional_properties() {
    let spec = MULTIPART.replace(
        "              additionalProperties: false\n",
        "              additionalProperties: {type: string}\n",
    );
    let message = refusal(&spec);
    assert!(
        message.contains("multipart/form-data.schema.additionalProperties"),
        "{message}"
    );
}

#[test]
fn another_multipart_type_is_refused_at_its_location() {
    let spec = MULTIPART.replace(
        "          multipart/form-data:\n            schema: {$ref: \"#/components/schemas/AttachmentRequest\"}\n      responses:\n        \"204\": {description: Attached.}",
        "          multipart/mixed:\n            schema: {$ref: \"#/components/schemas/AttachmentRequest\"}\n      responses:\n        \"204\": {description: Attached.}",
    );
    let message = refusal(&spec);
    assert!(
        message.contains("paths./attachments.post.requestBody.content.multipart/mixed"),
        "{message}"
    );
}
