//! The `/docs` page: Swagger UI over the hand-written spec. The UI's script and styles
//! are the ones poem-openapi bundles, inlined into the page, so it works offline.

use poem_openapi::OpenApiService;

/// The Swagger UI page with our spec in it (built once at start-up).
pub fn docs_html() -> String {
    // poem-openapi renders its page around a document it derives; render it around an
    // empty API and swap that document for ours.
    let empty = OpenApiService::new((), "docs", "0");
    let placeholder = empty.spec();
    let html = empty.swagger_ui_html();
    assert!(
        html.contains(&placeholder),
        "poem-openapi's Swagger UI page no longer embeds its document verbatim"
    );
    html.replacen(&placeholder, crate::spec::SPEC_JSON, 1)
        .replacen(
            "<title>Swagger UI</title>",
            "<title>Apiary API documentation</title>",
            1,
        )
}
