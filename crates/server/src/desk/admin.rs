//! Administration pages, for the permissions that guard the same API routes: users and API tokens
//! (`ManageUsers`), webhook endpoints and their deliveries (`ManageWebhooks`), the claim-matching
//! thresholds and the platforms' takedown addressees kept in the store (`ManageSettings`, audited), and
//! the configured settings, read only. Each form calls what its API route calls (`api::accounts::add_user`,
//! `api::webhooks::register`, …), so it is refused and audited exactly alike. A new token's or endpoint's
//! secret is shown on the page that answers the form, once, and never cached.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tangkal_cases::{Permission, Role, Urgency};
use tangkal_matcher::Thresholds;
use tangkal_pipeline::{thresholds_in_force, THRESHOLDS_SETTING};
use tangkal_response::takedown::{PlatformContact, PLATFORM_CONTACT_PREFIX};
use tangkal_response::webhook::{Delivery, DeliveryStatus, EventKind, NewWebhook, WebhookEndpoint};
use tangkal_store::Setting as StoredSetting;
use tangkal_web::pages::admin::{
    AdminPage, AttemptView, DeliveryRow, PlatformRow, SecretPage, Setting, ThresholdsForm, TokenForm, TokenRow,
    UserForm, UserRow, WebhookForm, WebhookPage, WebhookRow, WebhooksPage,
};
use tangkal_web::pages::FormError;
use tangkal_web::{format, Choice, Lang, Tag};

use super::{chrome, form_error, lang_of, may, refusal_page, render, zone, DeskForm, EmptyForm};
use crate::api::accounts::{self, CreateToken, CreateUser};
use crate::api::{webhooks, Ids, Params};
use crate::auth::Caller;
use crate::{AppState, Problem};

/// The new-user form's inputs by the field names the rules use.
const USER_FIELDS: &[(&str, &str)] = &[
    ("username", "user-username"),
    ("role", "user-role"),
    ("platform", "user-platform"),
    ("organisation", "user-organisation"),
    ("password", "user-password"),
];
/// The new-token form's inputs.
const TOKEN_FIELDS: &[(&str, &str)] = &[("token", "token-name"), ("user", "token-owner"), ("role", "token-role")];
/// The thresholds form's inputs.
const THRESHOLD_FIELDS: &[(&str, &str)] = &[("auto_answer", "thresholds-auto"), ("suggest", "thresholds-suggest")];
/// The new-endpoint form's inputs.
const WEBHOOK_FIELDS: &[(&str, &str)] =
    &[("url", "webhook-url"), ("events", "webhook-events"), ("description", "webhook-description")];

/// The notices a form's redirect may ask for.
const NOTICES: &[&str] = &[
    "user_created",
    "user_disabled",
    "token_revoked",
    "webhook_enabled",
    "webhook_deleted",
    "thresholds_saved",
    "platform_saved",
];
/// Deliveries shown on an endpoint's page (the newest).
const DELIVERIES_SHOWN: u64 = 50;

/// Every catalogue key these pages build at run time.
#[cfg(test)]
pub(crate) fn dynamic_keys() -> Vec<String> {
    let mut keys: Vec<String> = NOTICES.iter().map(|n| format!("notice.{n}")).collect();
    keys.extend(EventKind::ALL.iter().map(|e| format!("event.{}", e.as_str())));
    keys.extend(DeliveryStatus::ALL.iter().map(|s| format!("delivery_status.{}", s.as_str())));
    keys
}

#[derive(Debug, Default, Deserialize)]
pub struct AdminQuery {
    /// The notice to show: what the previous form did.
    done: Option<String>,
}

fn notice(q: AdminQuery, lang: Lang) -> Option<String> {
    q.done.filter(|d| NOTICES.contains(&d.as_str())).map(|d| lang.t(&format!("notice.{d}")).to_string())
}

fn back_to(path: &str, notice: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, format!("{path}?done={notice}"))]).into_response()
}

fn role_label(role: Role, lang: Lang) -> String {
    lang.t(&format!("role.{}", role.as_str())).to_string()
}

/// The new-user form as typed (the password is never sent back).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserInput {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    platform: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    password: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    role: String,
}

#[derive(Debug, Default)]
struct Kept {
    user: UserInput,
    token: TokenInput,
    thresholds: Option<ThresholdsInput>,
    platform: Option<PlatformInput>,
}

/// The thresholds form, as typed (a comma may stand for the decimal point).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsInput {
    #[serde(default)]
    auto_answer: String,
    #[serde(default)]
    suggest: String,
}

/// One platform's takedown addressee form.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformInput {
    #[serde(default)]
    platform: String,
    #[serde(default)]
    addressee: String,
    #[serde(default)]
    channel: String,
}

/// `/desk/admin`.
pub async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Params(q): Params<AdminQuery>,
) -> Response {
    let notice = notice(q, lang_of(&headers));
    show(&state, &caller, &headers, StatusCode::OK, None, Kept::default(), notice).await
}

async fn show(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<FormError>,
    kept: Kept,
    notice: Option<String>,
) -> Response {
    match build(state, caller, lang_of(headers), error, kept, notice).await {
        Ok(page) => render(status, page.render()),
        Err(problem) => refusal_page(state, caller, headers, problem),
    }
}

async fn build(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    error: Option<FormError>,
    kept: Kept,
    notice: Option<String>,
) -> Result<AdminPage, Problem> {
    let (users, tokens, thresholds, thresholds_set, contacts) = state
        .pool
        .run(|s| {
            Ok((
                s.list_users()?,
                s.list_tokens()?,
                thresholds_in_force(s)?,
                s.setting(THRESHOLDS_SETTING)?,
                s.settings_under(PLATFORM_CONTACT_PREFIX)?,
            ))
        })
        .await?;
    let tz = zone(caller);
    let when = |t: chrono::DateTime<chrono::Utc>| format::short_date_time(t, tz, lang);
    let changed =
        |s: &StoredSetting| lang.fill("admin.changed_by", &[("who", &s.updated_by), ("when", &when(s.updated_at))]);
    let user_rows = users
        .iter()
        .map(|u| UserRow {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: role_label(u.role, lang),
            organisation: u.organisation.clone(),
            platform: u.platform.clone(),
            disabled: u.disabled,
            can_disable: !u.disabled && u.id != caller.user.id,
        })
        .collect();
    let token_rows = tokens
        .iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name.clone(),
            owner: t.username.clone(),
            role: role_label(t.role, lang),
            created: when(t.created_at),
            revoked: t.revoked_at.map(when),
        })
        .collect();
    let roles = |chosen: &str| -> Vec<Choice> {
        Role::ALL.iter().map(|r| Choice::new(r.as_str(), role_label(*r, lang), chosen == r.as_str())).collect()
    };
    let Kept { user, token, thresholds: thresholds_input, platform: platform_input } = kept;
    let thresholds = match thresholds_input {
        Some(typed) => ThresholdsForm { auto_answer: typed.auto_answer, suggest: typed.suggest, changed: None },
        None => ThresholdsForm {
            auto_answer: thresholds.auto_answer.to_string(),
            suggest: thresholds.suggest.to_string(),
            changed: thresholds_set.as_ref().map(changed),
        },
    };
    let platform_rows = state
        .config
        .response
        .takedown
        .platforms
        .iter()
        .map(|platform| {
            if let Some(typed) = platform_input.as_ref().filter(|p| p.platform == *platform) {
                return PlatformRow {
                    platform: platform.clone(),
                    addressee: typed.addressee.clone(),
                    channel: typed.channel.clone(),
                    changed: None,
                };
            }
            let stored = contacts.iter().find(|c| c.key == PlatformContact::key(platform));
            let contact: PlatformContact =
                stored.and_then(|c| serde_json::from_value(c.value.clone()).ok()).unwrap_or_default();
            PlatformRow {
                platform: platform.clone(),
                addressee: contact.addressee,
                channel: contact.channel,
                changed: stored.map(changed),
            }
        })
        .collect();
    let mut platforms = vec![Choice::new("", lang.t("admin.no_platform"), user.platform.is_empty())];
    platforms.extend(state.config.platforms.iter().map(|p| Choice::new(p.clone(), p.clone(), user.platform == *p)));
    let owner = if token.user_id.is_empty() { caller.user.id.to_string() } else { token.user_id.clone() };
    let owners = users
        .iter()
        .filter(|u| !u.disabled)
        .map(|u| {
            let id = u.id.to_string();
            Choice::new(id.clone(), format!("{} ({})", u.display_name, u.username), owner == id)
        })
        .collect();
    let mut chrome = chrome(state, Some(caller), lang, lang.t("title.admin").into(), "/desk/admin");
    chrome.notice = notice;
    Ok(AdminPage {
        lang,
        error,
        users: user_rows,
        tokens: token_rows,
        user_form: UserForm {
            roles: roles(if user.role.is_empty() { Role::Analyst.as_str() } else { &user.role }),
            platforms,
            username: user.username,
            display_name: user.display_name,
            organisation: user.organisation,
        },
        token_form: TokenForm {
            roles: roles(if token.role.is_empty() { Role::Analyst.as_str() } else { &token.role }),
            owners,
            name: token.name,
        },
        thresholds,
        platforms: platform_rows,
        settings: settings(state, lang),
        webhooks_href: may(caller, Permission::ManageWebhooks).then(|| "/desk/admin/webhooks".to_string()),
        chrome,
    })
}

/// The settings an administrator asks about most, as configured.
fn settings(state: &AppState, lang: Lang) -> Vec<Setting> {
    let config = &state.config;
    let reports = &config.response.reports;
    let public = &config.public_limits.per_network;
    let per_second = match public.refill.as_secs_f64() {
        secs if secs > 0.0 => format::decimal(1.0 / secs, 0, lang),
        _ => "–".to_string(),
    };
    let days = |n: u32| lang.fill("admin.days", &[("n", &format::number(n.into(), lang))]);
    let yes_no = |on: bool| lang.t(if on { "admin.allowed" } else { "admin.not_allowed" }).to_string();
    [
        ("admin.public_base_url", config.response.site.base_url.clone()),
        ("admin.platforms", config.platforms.join(", ")),
        ("admin.takedown_platforms", config.response.takedown.platforms.join(", ")),
        ("admin.legal_basis", config.response.takedown.legal_basis.clone()),
        ("admin.transparency_delay", days(config.response.transparency.delay_days)),
        ("admin.contact_retention", days(reports.contact_retention_days)),
        (
            "admin.report_budget",
            lang.fill(
                "admin.budget",
                &[
                    ("burst", &reports.per_network.burst.to_string()),
                    ("secs", &reports.per_network.every_secs.to_string()),
                ],
            ),
        ),
        (
            "admin.public_budget",
            lang.fill("admin.per_second", &[("burst", &public.burst.to_string()), ("n", &per_second)]),
        ),
        ("admin.private_webhooks", yes_no(config.webhooks.allow_private_addresses)),
        (
            "admin.clocks",
            lang.fill(
                "admin.clock_values",
                &[
                    ("normal", &Urgency::Normal.window().num_hours().to_string()),
                    ("urgent", &Urgency::Urgent.window().num_hours().to_string()),
                ],
            ),
        ),
    ]
    .into_iter()
    .map(|(key, value)| Setting { name: lang.t(key).to_string(), value })
    .collect()
}

/// After a form on the administration page: back with a notice, or the page again with the refusal.
async fn after(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    outcome: Result<&str, Problem>,
    fields: &[(&str, &str)],
    kept: Kept,
) -> Response {
    match outcome {
        Ok(notice) => back_to("/desk/admin", notice),
        Err(problem) => {
            let error = form_error(&problem, lang_of(headers), fields);
            show(state, caller, headers, problem.status(), Some(error), kept, None).await
        }
    }
}

/// A page showing a secret: the answer to one form, kept by no cache and sent nowhere else.
fn secret_page(page: SecretPage) -> Response {
    let mut response = render(StatusCode::CREATED, page.render());
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn some_text(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

fn parse_role(field: &str, value: &str) -> Result<Role, Problem> {
    Role::parse(value).ok_or_else(|| Problem::invalid(format!("{field}: {value:?} is not a role")))
}

pub async fn create_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    DeskForm(mut f): DeskForm<UserInput>,
) -> Response {
    let password = std::mem::take(&mut f.password);
    let outcome = async {
        let new = CreateUser {
            username: f.username.trim().to_string(),
            display_name: some_text(&f.display_name),
            role: parse_role("role", &f.role)?,
            platform: some_text(&f.platform),
            organisation: some_text(&f.organisation),
            password,
            time_zone: None,
        };
        accounts::add_user(&state, &caller, new).await.map(|_| "user_created")
    }
    .await;
    after(&state, &caller, &headers, outcome, USER_FIELDS, Kept { user: f, ..Kept::default() }).await
}

pub async fn disable_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(_): DeskForm<EmptyForm>,
) -> Response {
    let outcome = accounts::disable(&state, &caller, id).await.map(|_| "user_disabled");
    after(&state, &caller, &headers, outcome, USER_FIELDS, Kept::default()).await
}

pub async fn create_token(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    DeskForm(f): DeskForm<TokenInput>,
) -> Response {
    let lang = lang_of(&headers);
    let created = async {
        let user_id = match f.user_id.trim() {
            "" => None,
            id => Some(id.parse().map_err(|_| Problem::invalid(format!("user: {id:?} is not a user")))?),
        };
        let new = CreateToken { user_id, name: f.name.clone(), role: parse_role("role", &f.role)? };
        accounts::issue_token(&state, &caller, new).await
    }
    .await;
    match created {
        Ok(created) => {
            let what = lang.fill(
                "secret.token_what",
                &[
                    ("name", &created.token.name),
                    ("owner", &created.token.username),
                    ("role", &role_label(created.token.role, lang)),
                ],
            );
            secret_page(SecretPage {
                lang,
                chrome: chrome(&state, Some(&caller), lang, lang.t("title.secret").into(), "/desk/admin"),
                heading: lang.t("secret.token_heading").into(),
                what,
                secret: created.secret,
                back_href: "/desk/admin".into(),
            })
        }
        Err(problem) => {
            let kept = Kept { token: f, ..Kept::default() };
            after(&state, &caller, &headers, Err(problem), TOKEN_FIELDS, kept).await
        }
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(_): DeskForm<EmptyForm>,
) -> Response {
    let outcome = accounts::revoke(&state, &caller, id).await.map(|_| "token_revoked");
    after(&state, &caller, &headers, outcome, TOKEN_FIELDS, Kept::default()).await
}

/// Saves the claim-matching thresholds: audited, re-matching every narrative at the next ingest, and the
/// instant answers rebuilt at once.
pub async fn save_thresholds(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    DeskForm(f): DeskForm<ThresholdsInput>,
) -> Response {
    let outcome = async {
        let number = |field: &str, text: &str| {
            text.trim()
                .replace(',', ".")
                .parse::<f64>()
                .map_err(|_| Problem::invalid(format!("{field}: {:?} is not a number", text.trim())))
        };
        let (auto_answer, suggest) = (number("auto_answer", &f.auto_answer)?, number("suggest", &f.suggest)?);
        Thresholds::checked(auto_answer as f32, suggest as f32)
            .map_err(|(field, why)| Problem::invalid(format!("{field}: {why}")))?;
        // Kept as typed (0.55, not the nearest f32 widened to 0.550000011920929) for the audit trail.
        let value = serde_json::json!({ "auto_answer": auto_answer, "suggest": suggest });
        let (actor, now) = (caller.actor().label(), state.clock.now());
        state.pool.run(move |s| s.put_setting(THRESHOLDS_SETTING, &value, &actor, now)).await?;
        state.reports.answers.rebuild_soon.notify_one();
        Ok("thresholds_saved")
    }
    .await;
    let kept = Kept { thresholds: Some(f), ..Kept::default() };
    after(&state, &caller, &headers, outcome, THRESHOLD_FIELDS, kept).await
}

/// Saves where one platform's takedown letters are addressed.
pub async fn save_platform(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    DeskForm(f): DeskForm<PlatformInput>,
) -> Response {
    let outcome = async {
        let platform = state.config.response.takedown.platform(&f.platform)?;
        let contact = PlatformContact::checked(&f.addressee, &f.channel)?;
        let value = serde_json::to_value(contact).map_err(Problem::internal)?;
        let (actor, now) = (caller.actor().label(), state.clock.now());
        state.pool.run(move |s| s.put_setting(&PlatformContact::key(&platform), &value, &actor, now)).await?;
        Ok("platform_saved")
    }
    .await;
    let prefix = format!("platform-{}", f.platform);
    let fields = [("addressee", format!("{prefix}-addressee")), ("channel", format!("{prefix}-channel"))];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(name, id)| (*name, id.as_str())).collect();
    let kept = Kept { platform: Some(f), ..Kept::default() };
    after(&state, &caller, &headers, outcome, &fields, kept).await
}

fn event_label(kind: EventKind, lang: Lang) -> String {
    lang.t(&format!("event.{}", kind.as_str())).to_string()
}

fn webhook_row(w: &WebhookEndpoint, tz: chrono_tz::Tz, lang: Lang) -> WebhookRow {
    let state = match w.enabled {
        true => Tag::new(lang.t("webhooks.enabled"), "approved"),
        false => Tag::new(lang.t("webhooks.disabled"), "closed"),
    };
    let disabled_since = w.disabled_at.map(|t| format::short_date_time(t, tz, lang));
    WebhookRow {
        id: w.id,
        href: format!("/desk/admin/webhooks/{}", w.id),
        url: w.url.clone(),
        description: w.description.clone(),
        events: w.events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", "),
        state,
        disabled: !w.enabled,
        disabled_reason: match (disabled_since, &w.disabled_reason) {
            (Some(at), Some(why)) => Some(format!("{at}: {why}")),
            (at, why) => at.or_else(|| why.clone()),
        },
        failures: lang.fill("webhooks.failures", &[("n", &w.consecutive_failures.to_string())]),
        created: format!("{} · {}", format::short_date_time(w.created_at, tz, lang), w.created_by),
    }
}

/// The new-endpoint form as typed: `url`, `description`, and one `event:{type}` a box ticked.
type WebhookInput = BTreeMap<String, String>;

fn webhook_form(input: &WebhookInput, lang: Lang) -> WebhookForm {
    let text = |name: &str| input.get(name).cloned().unwrap_or_default();
    WebhookForm {
        url: text("url"),
        description: text("description"),
        events: EventKind::ALL
            .iter()
            .map(|e| {
                Choice::new(e.as_str(), event_label(*e, lang), input.contains_key(&format!("event:{}", e.as_str())))
            })
            .collect(),
    }
}

/// `/desk/admin/webhooks`.
pub async fn webhooks_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Params(q): Params<AdminQuery>,
) -> Response {
    let notice = notice(q, lang_of(&headers));
    show_webhooks(&state, &caller, &headers, StatusCode::OK, None, &WebhookInput::new(), notice).await
}

async fn show_webhooks(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<FormError>,
    input: &WebhookInput,
    notice: Option<String>,
) -> Response {
    let lang = lang_of(headers);
    let endpoints = match state.pool.run(|s| s.webhooks()).await {
        Ok(endpoints) => endpoints,
        Err(problem) => return refusal_page(state, caller, headers, problem),
    };
    let tz = zone(caller);
    let mut chrome = chrome(state, Some(caller), lang, lang.t("title.webhooks").into(), "/desk/admin/webhooks");
    chrome.notice = notice;
    let page = WebhooksPage {
        lang,
        chrome,
        error,
        webhooks: endpoints.iter().map(|w| webhook_row(w, tz, lang)).collect(),
        form: webhook_form(input, lang),
    };
    render(status, page.render())
}

async fn after_webhook(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    outcome: Result<&str, Problem>,
) -> Response {
    match outcome {
        Ok(notice) => back_to("/desk/admin/webhooks", notice),
        Err(problem) => {
            let error = form_error(&problem, lang_of(headers), WEBHOOK_FIELDS);
            show_webhooks(state, caller, headers, problem.status(), Some(error), &WebhookInput::new(), None).await
        }
    }
}

pub async fn create_webhook(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    DeskForm(input): DeskForm<WebhookInput>,
) -> Response {
    let lang = lang_of(&headers);
    let new = NewWebhook {
        url: input.get("url").map(|u| u.trim().to_string()).unwrap_or_default(),
        events: EventKind::ALL.into_iter().filter(|e| input.contains_key(&format!("event:{}", e.as_str()))).collect(),
        description: input.get("description").and_then(|d| some_text(d)),
    };
    match webhooks::register(&state, &caller, new).await {
        Ok(created) => secret_page(SecretPage {
            lang,
            chrome: chrome(&state, Some(&caller), lang, lang.t("title.secret").into(), "/desk/admin/webhooks"),
            heading: lang.t("secret.webhook_heading").into(),
            what: lang.fill("secret.webhook_what", &[("url", &created.endpoint.url)]),
            secret: created.secret,
            back_href: "/desk/admin/webhooks".into(),
        }),
        Err(problem) => {
            let error = form_error(&problem, lang, WEBHOOK_FIELDS);
            show_webhooks(&state, &caller, &headers, problem.status(), Some(error), &input, None).await
        }
    }
}

pub async fn enable_webhook(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(_): DeskForm<EmptyForm>,
) -> Response {
    let outcome = webhooks::enable_again(&state, &caller, id).await.map(|_| "webhook_enabled");
    after_webhook(&state, &caller, &headers, outcome).await
}

pub async fn delete_webhook(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(_): DeskForm<EmptyForm>,
) -> Response {
    let outcome = webhooks::remove(&state, &caller, id).await.map(|()| "webhook_deleted");
    after_webhook(&state, &caller, &headers, outcome).await
}

fn delivery_row(d: &Delivery, tz: chrono_tz::Tz, lang: Lang) -> DeliveryRow {
    let class = match d.status {
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::Delivered => "approved",
        DeliveryStatus::Failed => "rejected",
    };
    DeliveryRow {
        event_type: format!("{} ({})", event_label(d.event_type, lang), d.event_type.as_str()),
        occurred: format::short_date_time(d.occurred_at, tz, lang),
        status: Tag::new(lang.t(&format!("delivery_status.{}", d.status.as_str())), class),
        attempts: d
            .attempts
            .iter()
            .map(|a| AttemptView {
                at: format::short_date_time(a.at, tz, lang),
                outcome: match (a.status_code, &a.error) {
                    (Some(code), _) => code.to_string(),
                    (None, Some(error)) => error.clone(),
                    (None, None) => lang.t("webhooks.no_answer").to_string(),
                },
                succeeded: a.succeeded(),
                latency: lang.fill("webhooks.latency", &[("ms", &format::number(a.latency_ms, lang))]),
            })
            .collect(),
    }
}

/// `/desk/admin/webhooks/{id}`: one endpoint and its latest deliveries with each attempt's status code.
pub async fn webhook_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
) -> Response {
    let lang = lang_of(&headers);
    let found = async {
        let endpoint = webhooks::endpoint(&state, id).await?;
        let (total, deliveries) = state
            .pool
            .run(move |s| {
                Ok((s.count_webhook_deliveries(id, None)?, s.webhook_deliveries(id, None, DELIVERIES_SHOWN, 0)?))
            })
            .await?;
        Ok::<_, Problem>((endpoint, total, deliveries))
    }
    .await;
    let (endpoint, total, deliveries) = match found {
        Ok(found) => found,
        Err(problem) => return refusal_page(&state, &caller, &headers, problem),
    };
    let tz = zone(&caller);
    let here = format!("/desk/admin/webhooks/{id}");
    let page = WebhookPage {
        lang,
        chrome: chrome(&state, Some(&caller), lang, lang.fill("title.webhook", &[("id", &id.to_string())]), &here),
        webhook: webhook_row(&endpoint, tz, lang),
        shown: lang.fill(
            "webhooks.shown",
            &[("shown", &format::number(deliveries.len() as u64, lang)), ("total", &format::number(total, lang))],
        ),
        deliveries: deliveries.iter().map(|d| delivery_row(d, tz, lang)).collect(),
    };
    render(StatusCode::OK, page.render())
}
