//! Parameters poem-openapi's extractors cannot read (objects, unions, every style
//! besides `form` in the query and `simple` in the path, `content`): what the adapter
//! hands the runtime's `SpecParam` (tests/specs/parameters.yaml; the corpus test
//! compiles the same spec, and the runtime's own tests serve each style).

use apiary_codegen::{Options, generate};

const PARAMETERS: &str = include_str!("specs/parameters.yaml");

fn code() -> String {
    let code = generate(PARAMETERS, &Options::default()).expect("generates");
    syn::parse_file(&code).expect("the generated code parses");
    code
}

/// The generated code with all whitespace removed, for assertions on token sequences.
fn squeezed(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The `ParamSpec` the adapter reads parameter `ident` with, squeezed.
fn param_spec(code: &str, ident: &str) -> String {
    let start = format!("staticPARAMETER_{ident}:apiary_runtime::SpecParam");
    let at = code
        .find(&start)
        .unwrap_or_else(|| panic!("no `{start}` in:\n{code}"));
    let end = code[at..].find("});").expect("the end of the static") + at;
    code[at..end].to_string()
}

#[test]
fn object_parameters_are_typed_structs_read_in_their_style() {
    let code = squeezed(&code());
    // An exploded form object: its properties are query keys of their own, and other
    // parameters' keys are not its.
    let filter = param_spec(&code, "FILTER");
    assert!(
        filter.contains("style:apiary_runtime::ParamStyle::Form,explode:true,"),
        "{filter}"
    );
    assert!(
        filter.contains("pointer:\"/paths/~1things/get/parameters/1/schema\""),
        "{filter}"
    );
    assert!(filter.contains("others:&[\"limit\",\"point\","), "{filter}");
    let point = param_spec(&code, "POINT");
    assert!(point.contains("ParamStyle::Form,explode:false,"), "{point}");
    assert!(code.contains("pubstructSearchThingsPoint{"), "{code}");
    assert!(param_spec(&code, "WHERE").contains("ParamStyle::DeepObject,"));
    let range = param_spec(&code, "X_RANGE");
    assert!(range.contains("name:\"X-Range\",location:apiary_runtime::ParamIn::Header,style:apiary_runtime::ParamStyle::Simple,explode:true,"), "{range}");
    // Only a form query object takes the other keys.
    assert!(range.contains("others:&[]"), "{range}");
    assert!(
        code.contains(
            "filter:Option<Filter>,point:Option<SearchThingsPoint>,r#where:Option<Filter>,"
        ),
        "{code}"
    );
    // A free-form object is a map of the keys no other parameter takes.
    assert!(
        code.contains("rest:Option<std::collections::HashMap<String,String>>"),
        "{code}"
    );
}

#[test]
fn delimited_label_matrix_union_cookie_and_content_parameters_are_read_by_the_runtime() {
    let code = squeezed(&code());
    assert!(param_spec(&code, "IDS").contains("ParamStyle::SpaceDelimited,explode:false,"));
    assert!(param_spec(&code, "COLORS").contains("ParamStyle::PipeDelimited,explode:false,"));
    let q = param_spec(&code, "Q");
    assert!(q.contains("ParamStyle::Form,explode:true,"), "{q}");
    assert!(code.contains("q:Option<SearchThingsQ>"), "{code}");
    let sort = param_spec(&code, "SORT");
    assert!(sort.contains("ParamStyle::Json,"), "{sort}");
    assert!(
        sort.contains(
            "pointer:\"/paths/~1things/get/parameters/7/content/application~1json/schema\""
        ),
        "{sort}"
    );
    assert!(code.contains("pubstructSearchThingsSort{"), "{code}");
    assert!(
        param_spec(&code, "PREFS")
            .contains("ParamIn::Cookie,style:apiary_runtime::ParamStyle::Form,explode:false,")
    );
    assert!(param_spec(&code, "IDS").contains("required:false"));
    // Path parameters in the label and matrix styles, required.
    let labels = code
        .split("asyncfnread_labels(")
        .nth(1)
        .expect("the readLabels adapter");
    assert!(
        labels.contains("ParamIn::Path,style:apiary_runtime::ParamStyle::Label,explode:true,"),
        "{labels}"
    );
    assert!(
        labels.contains("ParamIn::Path,style:apiary_runtime::ParamStyle::Matrix,explode:true,"),
        "{labels}"
    );
    assert!(
        labels.contains("PARAMETER_IDS.read_required(request,&SPEC_DOCUMENT)?,PARAMETER_BOX.read_required(request,&SPEC_DOCUMENT)?,PARAMETER_REST.read(request,&SPEC_DOCUMENT)?"),
        "{labels}"
    );
}

#[test]
fn a_parameter_s_content_must_hold_one_media_type() {
    let spec = PARAMETERS.replace(
        "            application/json:\n              schema:\n                type: object\n",
        "            text/plain: {}\n            application/json:\n              schema:\n                type: object\n",
    );
    assert_ne!(spec, PARAMETERS);
    let error = generate(&spec, &Options::default()).expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("paths./things.get.parameters[7].content"),
        "{error}"
    );
}
