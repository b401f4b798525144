//! `account` tag: the authenticated user's own account and preferences.

use apiary_runtime::Json;

use super::Api;
use crate::domain::tokens::Principal;
use crate::domain::users::PreferencesPatch;
use crate::generated::{
    Account, AccountApi, GetAccountResponse, Preferences, PreferencesUpdate,
    UpdatePreferencesResponse,
};

impl AccountApi for Api {
    async fn get_account(&self, auth: Principal) -> GetAccountResponse {
        match self.users.get(auth.user_id).await {
            Ok(user) => GetAccountResponse::Ok(Json(Account {
                user_id: user.id,
                email: user.email,
                phone: user.phone,
                created_at: user.created_at,
                preferences: user.preferences.into(),
            })),
            Err(error) => GetAccountResponse::from_problem(error),
        }
    }

    async fn update_preferences(
        &self,
        auth: Principal,
        body: PreferencesUpdate,
    ) -> UpdatePreferencesResponse {
        let patch = PreferencesPatch {
            locale: body.locale,
            currency: body.currency,
            marketing_emails: body.marketing_emails,
        };
        match self.users.update_preferences(auth.user_id, patch).await {
            Ok(preferences) => UpdatePreferencesResponse::Ok(Json(preferences.into())),
            Err(error) => UpdatePreferencesResponse::from_problem(error),
        }
    }
}

impl From<crate::domain::users::Preferences> for Preferences {
    fn from(preferences: crate::domain::users::Preferences) -> Self {
        Self {
            locale: preferences.locale,
            currency: preferences.currency,
            marketing_emails: preferences.marketing_emails,
        }
    }
}
