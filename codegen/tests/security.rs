//! Security requirements: what the generator accepts (see the `security` golden test for
//! the code) and what it refuses, with the location.

use apiary_codegen::{Options, generate};

/// A spec with one operation whose `security` is `security`, and the schemes `schemes`
/// (YAML mapping entries, indented by six spaces).
fn spec(security: &str, schemes: &str) -> String {
    format!(
        r#"openapi: 3.0.3
info: {{title: t, version: "1"}}
paths:
  /things:
    get:
      operationId: listThings
      security: {security}
      responses:
        "200": {{description: ok}}
components:
  securitySchemes:
{schemes}
"#
    )
}

const KEY: &str = "    key: {type: apiKey, in: query, name: api_key}\n";
const BEARER: &str = "    token: {type: http, scheme: bearer}\n";

fn refusal(spec: &str) -> String {
    match generate(spec, &Options::default()) {
        Ok(_) => panic!("the generator accepted a construct it must refuse:\n{spec}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_key_in_the_query_reaches_the_principal_with_the_scheme_name() {
    let code = generate(&spec("[{key: []}]", KEY), &Options::default()).expect("generates");
    assert!(code.contains("key_in = \"query\""), "{code}");
    assert!(code.contains("key_name = \"api_key\""), "{code}");
    assert!(
        code.contains("Credential::ApiKey(credential.key)"),
        "{code}"
    );
    assert!(code.contains("auth: apiary_runtime::Unverified"), "{code}");
}

#[test]
fn alternatives_give_the_handler_an_enum_of_the_schemes() {
    let schemes = format!("{KEY}{BEARER}");
    let code = generate(
        &spec("[{token: []}, {key: []}]", &schemes),
        &Options::default(),
    )
    .expect("generates");
    assert!(code.contains("pub enum ListThingsAuth"), "{code}");
    assert!(code.contains("auth: ListThingsAuth"), "{code}");
    assert!(!code.contains("Anonymous"), "no anonymous access: {code}");

    let open =
        generate(&spec("[{token: []}, {}]", BEARER), &Options::default()).expect("generates");
    assert!(open.contains("#[oai(fallback)]"), "{open}");
    assert!(open.contains("Anonymous"), "{open}");
}

#[test]
fn no_requirement_or_only_an_empty_one_means_no_check() {
    for security in ["[]", "[{}]"] {
        let code = generate(&spec(security, BEARER), &Options::default()).expect("generates");
        assert!(!code.contains("auth:"), "{security}: {code}");
    }
}

#[test]
fn scopes_reach_the_check_and_name_the_extractor() {
    let oauth = "    oauth:\n      type: oauth2\n      flows:\n        password:\n          tokenUrl: /token\n          scopes: {\"pets:write\": w}\n";
    let code = generate(
        &spec("[{oauth: [\"pets:write\"]}]", oauth),
        &Options::default(),
    )
    .expect("generates");
    assert!(code.contains("pub struct OauthPetsWrite("), "{code}");
    assert!(code.contains("&[\"pets:write\"]"), "{code}");
    // The served document states the flow's scopes and the operation's.
    assert!(
        code.contains("password(token_url = \"/token\", scopes = \"OauthScopes\")"),
        "{code}"
    );
    assert!(code.contains("pub enum OauthScopes"), "{code}");
    assert!(code.contains("#[oai(rename = \"pets:write\")]"), "{code}");
    assert!(
        code.contains("#[oai(scope = \"OauthScopes::PetsWrite\")]"),
        "{code}"
    );
}

#[test]
fn flows_with_other_scopes_get_their_own_list_and_undeclared_scopes_a_warning() {
    let oauth = "    oauth:\n      type: oauth2\n      flows:\n        password:\n          tokenUrl: /token\n          scopes: {\"pets:write\": w, \"pets:read\": r}\n        clientCredentials:\n          tokenUrl: /token\n          scopes: {\"pets:read\": r}\n";
    let (code, warnings) = apiary_codegen::generate_with_warnings(
        &spec("[{oauth: [\"pets:read\", \"pets:admin\"]}]", oauth),
        &Options::default(),
    )
    .expect("generates");
    // Every scope the scheme knows is one list; each flow states its own.
    assert!(code.contains("pub enum OauthScopes"), "{code}");
    assert!(code.contains("scopes = \"OauthPasswordScopes\""), "{code}");
    assert!(
        code.contains("scopes = \"OauthClientCredentialsScopes\""),
        "{code}"
    );
    assert!(
        code.contains(
            "#[oai(scope = \"OauthScopes::PetsRead\", scope = \"OauthScopes::PetsAdmin\")]"
        ),
        "{code}"
    );
    let warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`pets:admin`, which no flow of `oauth` declares")),
        "{warnings:?}"
    );
}

#[test]
fn several_schemes_at_once_give_the_handler_a_struct_of_their_principals() {
    let schemes = format!("{KEY}{BEARER}");
    let (code, warnings) = apiary_codegen::generate_with_warnings(
        &spec("[{token: [], key: []}]", &schemes),
        &Options::default(),
    )
    .expect("generates");
    syn::parse_file(&code).expect("the generated code parses");
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    // One field per scheme, in the spec's order, each checked by its own extractor.
    assert!(
        code.contains(
            "pubstructTokenAndKey{///Theprincipalof`token`.pubtoken:apiary_runtime::Unverified,///Theprincipalof`key`.pubkey:apiary_runtime::Unverified,}"
        ),
        "{code}"
    );
    assert!(
        code.contains("impl<'a>poem_openapi::ApiExtractor<'a>forTokenAndKey{"),
        "{code}"
    );
    assert!(
        code.contains("token:<Tokenaspoem_openapi::ApiExtractor>::from_request("),
        "{code}"
    );
    assert!(code.contains("auth:TokenAndKey"), "{code}");
    assert!(
        code.contains("auth:apiary_runtime::Challenged<TokenAndKey>"),
        "{code}"
    );
    let warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings.iter().any(
            |w| w.starts_with("spec error at paths./things.get.security:")
                && w.contains("lists `token` and `key` as alternatives")
        ),
        "{warnings:?}"
    );
}

#[test]
fn several_schemes_at_once_can_be_one_alternative_beside_others_and_anonymous_access() {
    let schemes = format!("{KEY}{BEARER}");
    let code = generate(
        &spec("[{token: [], key: []}, {key: []}, {}]", &schemes),
        &Options::default(),
    )
    .expect("generates");
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(code.contains("pubenumListThingsAuth{"), "{code}");
    assert!(
        code.contains("///Therequestsatisfied`token`and`key`,allofthem.TokenAndKey(TokenAndKey),"),
        "{code}"
    );
    assert!(code.contains("Key(Key),"), "{code}");
    assert!(code.contains("#[oai(fallback)]Anonymous,"), "{code}");
}

#[test]
fn each_scheme_states_its_challenge() {
    let schemes = "    basic: {type: http, scheme: basic}\n    oauth:\n      type: oauth2\n      flows:\n        password:\n          tokenUrl: /token\n          scopes: {\"pets:write\": w, \"pets:read\": r}\n";
    let schemes = format!("{KEY}{BEARER}{schemes}");
    let code = generate(
        &spec(
            "[{token: []}, {basic: []}, {key: []}, {oauth: [\"pets:write\", \"pets:read\"]}, {key: [], token: []}]",
            &schemes,
        ),
        &Options::default(),
    )
    .expect("generates");
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    // The operation's list names each scheme once, in the spec's order.
    let expected = r#"implapiary_runtime::ChallengesforListThingsAuth{constCHALLENGES:&'static[&'staticstr]=&["Bearer","Basicrealm=\"t\"","ApiKeyname=\"api_key\",in=\"query\"","Bearerscope=\"pets:writepets:read\"",];}"#;
    assert!(code.contains(expected), "{code}");
}

#[test]
fn an_unknown_scheme_is_refused_with_the_location() {
    let error = refusal(&spec("[{nobody: []}]", BEARER));
    assert!(
        error.starts_with("spec error at paths./things.get.security[0]:"),
        "{error}"
    );
    assert!(error.contains("`nobody`"), "{error}");
}

#[test]
fn an_http_scheme_other_than_bearer_or_basic_is_refused() {
    let error = refusal(&spec(
        "[{digest: []}]",
        "    digest: {type: http, scheme: digest}\n",
    ));
    assert!(
        error.starts_with("spec error at components.securitySchemes.digest.scheme:"),
        "{error}"
    );
}

#[test]
fn an_api_key_name_that_cannot_be_sent_is_refused() {
    let error = refusal(&spec(
        "[{key: []}]",
        "    key: {type: apiKey, in: header, name: \"api key\"}\n",
    ));
    assert!(
        error.starts_with("spec error at components.securitySchemes.key.name:"),
        "{error}"
    );
}
