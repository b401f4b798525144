//! OAuth2 scopes: what a token lets its bearer do beyond reading and managing its own
//! account. A token carries the scopes its user was granted when it was issued (the
//! `scope` claim, space-separated as RFC 6749 section 3.3 writes them).

use std::collections::HashSet;

use super::users::normalise_email;

/// Creating products in the shared catalogue.
pub const PRODUCTS_WRITE: &str = "products:write";

/// An address that registration would refuse, so no account can have it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an email address of at most 254 ASCII characters")]
pub struct NotAnEmail(pub String);

/// Who is granted which scope: the accounts configuration names.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// Lower-cased emails of the accounts that may write the catalogue.
    catalogue_admins: HashSet<String>,
}

impl Grants {
    /// Grants `products:write` to the accounts with these emails, read as registration
    /// reads them (ASCII, lower-cased); the first address registration would refuse is
    /// the error.
    pub fn new<'a>(
        catalogue_admins: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, NotAnEmail> {
        let catalogue_admins = catalogue_admins
            .into_iter()
            .map(|email| normalise_email(email).map_err(|_| NotAnEmail(email.to_owned())))
            .collect::<Result<_, _>>()?;
        Ok(Self { catalogue_admins })
    }

    /// The scopes a token for the account with `email` carries, in a fixed order.
    pub fn scopes_for(&self, email: &str) -> Vec<&'static str> {
        let mut scopes = Vec::new();
        if normalise_email(email).is_ok_and(|email| self.catalogue_admins.contains(&email)) {
            scopes.push(PRODUCTS_WRITE);
        }
        scopes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_accounts_write_the_catalogue() {
        let grants = Grants::new(["Admin@Example.com"]).expect("valid");
        assert_eq!(grants.scopes_for("admin@example.com"), [PRODUCTS_WRITE]);
        assert_eq!(grants.scopes_for("ADMIN@example.COM"), [PRODUCTS_WRITE]);
        assert!(grants.scopes_for("someone@example.com").is_empty());
        assert!(Grants::default().scopes_for("admin@example.com").is_empty());
    }

    #[test]
    fn an_address_registration_refuses_is_not_granted_anything() {
        assert_eq!(
            Grants::new(["a@example.com", "not an email"]).unwrap_err(),
            NotAnEmail("not an email".to_owned())
        );
        // The Kelvin sign folds to `k` in Unicode but is not an ASCII address.
        let grants = Grants::new(["kate@example.com"]).expect("valid");
        assert!(grants.scopes_for("\u{212a}ate@example.com").is_empty());
    }
}
