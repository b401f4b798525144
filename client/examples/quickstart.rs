//! A tour of the SDK against a running server:
//! `cargo run -p apiary-client --example quickstart -- http://127.0.0.1:8080`
//!
//! Registers a user with a random email, gets a token by the password grant, reads
//! the account, lists and searches products. On an error it prints the problem
//! document's title and detail and exits non-zero.

use std::process::ExitCode;

use apiary_client::{Client, Error, ErrorBody, problem_of, sign_in, types};

const PASSWORD: &str = "correct-horse-7";

#[tokio::main]
async fn main() -> ExitCode {
    let base_url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_string());
    match run(base_url.trim_end_matches('/')).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(base_url: &str) -> Result<(), String> {
    let client = Client::new(base_url);

    // Register. Bad values (a short password, say) are refused by the builder before
    // anything is sent, as Error::InvalidRequest.
    let email = format!("quickstart-{}@example.com", uuid::Uuid::new_v4().simple());
    let registration = types::UserCreate::builder()
        .email(email.as_str())
        .password(PASSWORD);
    let user = match client.create_user().body(registration).send().await {
        Ok(user) => user.into_inner(),
        Err(e) => return Err(explain("register", e).await),
    };
    println!(
        "registered user #{} <{}> at {}",
        user.id, user.email, user.created_at
    );

    // Password grant (form-encoded), then a client that sends the token as a default
    // header. A refused grant is a typed RFC 6749 OAuthError.
    let (authed, token) = match sign_in(base_url, &email, PASSWORD).await {
        Ok(signed_in) => signed_in,
        Err(Error::ErrorResponse(refused)) => {
            return Err(format!(
                "token refused: {} ({})",
                refused.error, refused.error_description
            ));
        }
        Err(e) => return Err(explain("get a token", e).await),
    };
    println!(
        "got a {} token, valid for {} s",
        token.token_type, token.expires_in
    );

    let account = match authed.get_account().send().await {
        Ok(account) => account.into_inner(),
        Err(e) => return Err(explain("read the account", e).await),
    };
    let prefs = &account.preferences;
    println!(
        "account #{}: {}, phone {}, locale {}, currency {}, marketing emails {}",
        account.user_id,
        account.email,
        account.phone.as_deref().unwrap_or("none"),
        prefs.locale.as_str(),
        prefs.currency.as_str(),
        if prefs.marketing_emails { "yes" } else { "no" },
    );

    // One page of the catalogue; the total is in a response header.
    let page = match client.list_products().limit(5).send().await {
        Ok(page) => page,
        Err(e) => return Err(explain("list products", e).await),
    };
    let total = page
        .headers()
        .get("x-total-count")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("?")
        .to_string();
    println!("first {} of {total} products:", page.len());
    print_products(&page);

    let found = match client.search_products().q("lamp").send().await {
        Ok(found) => found.into_inner(),
        Err(e) => return Err(explain("search products", e).await),
    };
    println!("{} products match \"lamp\":", found.len());
    print_products(&found);
    Ok(())
}

fn print_products(products: &[types::Product]) {
    for p in products {
        let line = format!(
            "  #{:<5} {:<30} {:>8}.{:02} {}  {}",
            p.id,
            p.name,
            p.price_cents / 100,
            p.price_cents % 100,
            p.currency.as_str(),
            p.description.as_deref().unwrap_or(""),
        );
        println!("{}", line.trim_end());
    }
}

/// One line for a failed step: the problem document's title and detail when the
/// server sent one, the SDK's own description otherwise.
async fn explain<E: ErrorBody>(step: &str, err: Error<E>) -> String
where
    Error<E>: std::fmt::Display,
{
    match problem_of(err).await {
        Ok(problem) => {
            let mut line = format!("could not {step}: {} {}", problem.status, problem.title);
            if let Some(detail) = &problem.detail {
                line.push_str(&format!(": {detail}"));
            }
            for field in &problem.errors {
                line.push_str(&format!("\n  {}: {}", field.field, field.message));
            }
            line.push_str(&format!("\n  (request id {})", problem.request_id));
            line
        }
        Err(other) => format!("could not {step}: {other}"),
    }
}
