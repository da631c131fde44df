//! Administration: users and their roles, API tokens, webhook endpoints with their delivery logs, the
//! settings kept in the store (claim-matching thresholds, platforms' takedown addressees), and the
//! server's settings as configured (read only). A token's or an endpoint's secret is shown once, on
//! the page that answers its creation.

use askama::Template;

use super::FormError;
use crate::{Choice, Chrome, Lang, Tag};

#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub organisation: String,
    pub platform: Option<String>,
    pub disabled: bool,
    /// The caller may disable this account (an enabled one other than their own).
    pub can_disable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub owner: String,
    pub role: String,
    pub created: String,
    pub revoked: Option<String>,
}

/// The new-user form's fields, kept after a refusal.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserForm {
    pub username: String,
    pub display_name: String,
    pub organisation: String,
    pub roles: Vec<Choice>,
    pub platforms: Vec<Choice>,
}

/// The new-token form's fields, kept after a refusal.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TokenForm {
    pub name: String,
    pub owners: Vec<Choice>,
    pub roles: Vec<Choice>,
}

/// The claim-matching thresholds form: the values in force, or the refused input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ThresholdsForm {
    pub auto_answer: String,
    pub suggest: String,
    /// Who changed them last and when; `None` while the shipped values apply.
    pub changed: Option<String>,
}

/// A takedown platform and where its letters go, each row its own form.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlatformRow {
    pub platform: String,
    pub addressee: String,
    pub channel: String,
    pub changed: Option<String>,
}

/// A configured setting, as a line of a definition list.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub name: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub error: Option<FormError>,
    pub users: Vec<UserRow>,
    pub tokens: Vec<TokenRow>,
    pub user_form: UserForm,
    pub token_form: TokenForm,
    pub thresholds: ThresholdsForm,
    pub platforms: Vec<PlatformRow>,
    pub settings: Vec<Setting>,
    /// The webhooks page, for those who may manage them.
    pub webhooks_href: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRow {
    pub id: i64,
    pub href: String,
    pub url: String,
    pub description: Option<String>,
    pub events: String,
    pub state: Tag,
    /// Disabled endpoints may be enabled again.
    pub disabled: bool,
    /// Why the server disabled it.
    pub disabled_reason: Option<String>,
    pub failures: String,
    pub created: String,
}

/// The new-endpoint form's fields, kept after a refusal.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WebhookForm {
    pub url: String,
    pub description: String,
    /// One checkbox an event type: value is the type, label its description.
    pub events: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "admin_webhooks.html")]
pub struct WebhooksPage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub error: Option<FormError>,
    pub webhooks: Vec<WebhookRow>,
    pub form: WebhookForm,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttemptView {
    pub at: String,
    /// The endpoint's HTTP status, or why no answer came.
    pub outcome: String,
    pub succeeded: bool,
    pub latency: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    pub event_type: String,
    pub occurred: String,
    pub status: Tag,
    pub attempts: Vec<AttemptView>,
}

#[derive(Template)]
#[template(path = "admin_webhook.html")]
pub struct WebhookPage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub webhook: WebhookRow,
    pub deliveries: Vec<DeliveryRow>,
    /// "20 dari 35 pengiriman terbaru"
    pub shown: String,
}

/// The answer to creating a token or an endpoint: its secret, this once.
#[derive(Template)]
#[template(path = "admin_secret.html")]
pub struct SecretPage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub heading: String,
    /// What the secret opens: "Token «ekspor» (analis) untuk analis".
    pub what: String,
    pub secret: String,
    pub back_href: String,
}
