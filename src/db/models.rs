//! Rows of upstream's core tables, serialized as upstream answers them (camelCase, ISO dates).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::time_util::{Millis, iso_ms};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
// Field order is upstream's JSON key order (its adapter puts `id` last).
pub struct User {
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub image: Option<String>,
    #[serde(with = "iso_ms")]
    pub created_at: Millis,
    #[serde(with = "iso_ms")]
    pub updated_at: Millis,
    /// `user.additionalFields` that are returned, in their order (upstream puts them before `id`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// `returned: false` fields: stored, never answered.
    #[serde(skip)]
    pub hidden: Map<String, Value>,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    #[serde(with = "iso_ms")]
    pub expires_at: Millis,
    pub token: String,
    #[serde(with = "iso_ms")]
    pub created_at: Millis,
    #[serde(with = "iso_ms")]
    pub updated_at: Millis,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub user_id: String,
    /// `session.additionalFields` that are returned.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    pub hidden: Map<String, Value>,
    pub id: String,
}

/// An account as `GET /list-accounts` answers it (tokens and password never leave the store).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    pub account_id: String,
    pub provider_id: String,
    pub user_id: String,
    #[serde(with = "iso_ms")]
    pub created_at: Millis,
    #[serde(with = "iso_ms")]
    pub updated_at: Millis,
    pub id: String,
    /// The stored comma-separated `scope`, split, trimmed, empties dropped.
    pub scopes: Vec<String>,
}

/// The credential account created with a user (`providerId = "credential"`, `accountId = userId`).
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialAccount {
    pub id: String,
    pub user_id: String,
    pub password_hash: String,
    pub created_at: Millis,
}

pub const CREDENTIAL_PROVIDER: &str = "credential";

/// What a provider's token endpoint gave (upstream's `OAuth2Tokens`, as stored).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OAuthTokens {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub access_token_expires_at: Option<Millis>,
    pub refresh_token_expires_at: Option<Millis>,
    /// Comma-joined, as upstream stores `scope`.
    pub scope: Option<String>,
}

/// An account a provider vouches for: `(providerId, accountId)` is its key.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthAccount {
    pub id: String,
    pub account_id: String,
    pub provider_id: String,
    pub user_id: String,
    pub tokens: OAuthTokens,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl OAuthAccount {
    /// The row as hooks see it (upstream's column order, `id` last).
    pub fn row_json(&self) -> Value {
        let date = |ms: Option<Millis>| ms.map(|ms| Value::String(crate::time_util::to_iso(ms))).unwrap_or(Value::Null);
        serde_json::json!({
            "accountId": self.account_id,
            "providerId": self.provider_id,
            "userId": self.user_id,
            "accessToken": self.tokens.access_token,
            "refreshToken": self.tokens.refresh_token,
            "idToken": self.tokens.id_token,
            "accessTokenExpiresAt": date(self.tokens.access_token_expires_at),
            "refreshTokenExpiresAt": date(self.tokens.refresh_token_expires_at),
            "scope": self.tokens.scope,
            "password": null,
            "createdAt": date(Some(self.created_at)),
            "updatedAt": date(Some(self.updated_at)),
            "id": self.id,
        })
    }
}

/// A row as upstream's adapter holds it: every column, `returned: false` fields included,
/// `id` last (what secondary storage caches and database hooks receive).
pub fn full_row<T: Serialize>(row: &T, hidden: &Map<String, Value>) -> Value {
    let mut value = serde_json::to_value(row).unwrap_or(Value::Null);
    if let Some(map) = value.as_object_mut() {
        let id = map.remove("id");
        map.extend(hidden.iter().map(|(k, v)| (k.clone(), v.clone())));
        map.extend(id.map(|id| ("id".to_owned(), id)));
    }
    value
}
