//! The route table: every endpoint with the access it requires. The router is built from this table
//! only, so no route can exist without a declared [`Access`].

use axum::handler::Handler;
use axum::http::Method;
use axum::middleware;
use axum::routing::{on, MethodFilter, MethodRouter};
use tangkal_cases::Permission::*;

use crate::api::{accounts, audit, cases, clarifications, items, reports, session, takedowns, webhooks};
use crate::auth::{self, Access};
use crate::desk::{
    self, admin, case as desk_case, dashboard, narrative as desk_narrative, queue as desk_queue,
    reports as desk_reports,
};
use crate::tiplines::hooks;
use crate::{lapor, login, ops, public, AppState};

/// One endpoint as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: Method,
    /// Axum's template syntax, which OpenAPI shares: `/api/v1/cases/{id}`.
    pub path: &'static str,
    pub access: Access,
}

pub(crate) struct Route {
    pub spec: RouteSpec,
    pub handler: MethodRouter<AppState>,
}

fn route<H, T>(method: Method, path: &'static str, access: Access, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("standard method");
    Route { spec: RouteSpec { method, path, access }, handler: on(filter, handler) }
}

/// `max_upload_bytes` bounds the evidence upload route's body; nothing else depends on configuration.
pub(crate) fn table(max_upload_bytes: u64) -> Vec<Route> {
    use Access::*;
    let upload_limit = cases::upload_limit(max_upload_bytes);
    let report_limit = || axum::extract::DefaultBodyLimit::max(reports::MAX_BODY_BYTES);
    vec![
        route(Method::GET, "/healthz", Public, ops::healthz),
        route(Method::GET, "/readyz", Public, ops::readyz),
        route(Method::GET, "/metrics", Allowed(ReadMetrics), ops::metrics),
        route(Method::GET, "/api/v1/openapi.json", Public, ops::openapi),
        route(Method::GET, "/login", Public, login::form),
        route(Method::POST, "/login", Public, login::submit),
        route(Method::POST, "/logout", SignedInForm, login::logout),
        route(Method::POST, "/api/v1/session", Public, session::login),
        route(Method::DELETE, "/api/v1/session", SignedIn, session::logout),
        route(Method::GET, "/api/v1/me", SignedIn, session::me),
        route(Method::POST, "/api/v1/me/password", SignedIn, session::change_password),
        route(Method::GET, "/api/v1/users", Allowed(ManageUsers), accounts::list_users),
        route(Method::POST, "/api/v1/users", Allowed(ManageUsers), accounts::create_user),
        route(Method::POST, "/api/v1/users/{id}/disable", Allowed(ManageUsers), accounts::disable_user),
        route(Method::GET, "/api/v1/tokens", Allowed(ManageUsers), accounts::list_tokens),
        route(Method::POST, "/api/v1/tokens", Allowed(ManageUsers), accounts::create_token),
        route(Method::DELETE, "/api/v1/tokens/{id}", Allowed(ManageUsers), accounts::revoke_token),
        route(Method::GET, "/api/v1/cases", Allowed(ReadCases), cases::list),
        route(Method::POST, "/api/v1/cases", Allowed(WorkCases), cases::open),
        route(Method::GET, "/api/v1/cases/{id}", Allowed(ReadCases), cases::get),
        route(Method::POST, "/api/v1/cases/{id}/status", Allowed(WorkCases), cases::move_status),
        route(Method::POST, "/api/v1/cases/{id}/assign", Allowed(WorkCases), cases::assign),
        route(Method::POST, "/api/v1/cases/{id}/priority", Allowed(WorkCases), cases::reprioritise),
        route(Method::POST, "/api/v1/cases/{id}/evidence", Allowed(WorkCases), cases::add_evidence.layer(upload_limit)),
        route(Method::GET, "/api/v1/cases/{id}/evidence/{evidence_id}/file", Allowed(ReadCases), cases::evidence_file),
        route(Method::POST, "/api/v1/cases/{id}/verdict", Allowed(ProposeVerdict), cases::propose_verdict),
        route(Method::POST, "/api/v1/cases/{id}/verdict/review", Allowed(ReviewVerdict), cases::review_verdict),
        route(Method::POST, "/api/v1/cases/{id}/response", Allowed(Respond), cases::respond),
        route(Method::GET, "/api/v1/published", Allowed(ReadPublished), cases::published),
        route(Method::POST, "/api/v1/cases/{id}/takedowns", Allowed(RequestTakedown), takedowns::create),
        route(Method::GET, "/api/v1/takedowns", Allowed(ReadCases), takedowns::list),
        route(Method::GET, "/api/v1/takedowns/{id}", Allowed(ReadCases), takedowns::get),
        route(Method::POST, "/api/v1/takedowns/{id}/urls", Allowed(RequestTakedown), takedowns::add_urls),
        route(Method::POST, "/api/v1/takedowns/{id}/outcomes", Allowed(RecordTakedownOutcome), takedowns::outcomes),
        route(Method::GET, "/api/v1/takedowns/{id}/letter", Allowed(ReadCases), takedowns::letter),
        route(Method::GET, "/api/v1/transparency", Public, takedowns::transparency),
        route(Method::POST, "/api/v1/cases/{id}/clarifications", Allowed(Respond), clarifications::create),
        route(Method::GET, "/api/v1/clarifications", Allowed(Respond), clarifications::list),
        route(Method::GET, "/api/v1/clarifications/{id}", Allowed(Respond), clarifications::get),
        route(Method::PUT, "/api/v1/clarifications/{id}", Allowed(Respond), clarifications::edit),
        route(Method::POST, "/api/v1/clarifications/{id}/publish", Allowed(Respond), clarifications::publish),
        route(Method::POST, "/api/v1/clarifications/{id}/corrections", Allowed(Respond), clarifications::correct),
        route(Method::GET, "/api/v1/claimreviews", Allowed(ReadPublished), clarifications::claim_reviews),
        route(Method::GET, "/", Public, public::home),
        route(Method::GET, "/cek-fakta", Public, public::list),
        route(Method::GET, "/cek-fakta/feed.atom", Public, public::feed),
        route(Method::GET, "/cek-fakta/{slug}", Public, public::clarification),
        route(Method::GET, "/transparansi", Public, public::transparency),
        route(Method::GET, "/api/v1/webhooks", Allowed(ManageWebhooks), webhooks::list),
        route(Method::POST, "/api/v1/webhooks", Allowed(ManageWebhooks), webhooks::create),
        route(Method::GET, "/api/v1/webhooks/{id}", Allowed(ManageWebhooks), webhooks::get),
        route(Method::DELETE, "/api/v1/webhooks/{id}", Allowed(ManageWebhooks), webhooks::delete),
        route(Method::POST, "/api/v1/webhooks/{id}/enable", Allowed(ManageWebhooks), webhooks::enable),
        route(Method::GET, "/api/v1/webhooks/{id}/deliveries", Allowed(ManageWebhooks), webhooks::deliveries),
        route(Method::GET, "/desk", Page(ReadCases), desk_queue::page),
        route(Method::GET, "/desk/cases/{id}", Page(ReadCases), desk_case::page),
        route(Method::POST, "/desk/cases/{id}/assign", Page(WorkCases), desk_case::assign),
        route(Method::POST, "/desk/cases/{id}/status", Page(WorkCases), desk_case::move_status),
        route(Method::POST, "/desk/cases/{id}/verdict", Page(ProposeVerdict), desk_case::propose_verdict),
        route(Method::POST, "/desk/cases/{id}/review", Page(ReviewVerdict), desk_case::review_verdict),
        route(Method::POST, "/desk/cases/{id}/response", Page(Respond), desk_case::respond),
        route(
            Method::POST,
            "/desk/cases/{id}/evidence",
            Page(WorkCases),
            desk_case::add_evidence.layer(cases::upload_limit(max_upload_bytes)),
        ),
        route(Method::POST, "/desk/cases/{id}/takedowns", Page(RequestTakedown), desk_case::request_takedown),
        route(Method::POST, "/desk/cases/{id}/clarifications", Page(Respond), desk_case::clarification),
        route(Method::POST, "/desk/takedowns/{id}/outcomes", Page(RecordTakedownOutcome), desk_case::record_outcome),
        route(Method::POST, "/desk/clarifications/{id}/publish", Page(Respond), desk_case::publish),
        route(Method::GET, "/desk/narratives/{id}", Page(ReadCases), desk_narrative::page),
        route(Method::POST, "/desk/narratives/{id}/case", Page(WorkCases), desk_narrative::open_case),
        route(Method::GET, "/desk/dashboard", Page(ReadFigures), dashboard::page),
        route(Method::GET, "/desk/dashboard.csv", Page(ReadFigures), dashboard::csv),
        route(Method::GET, "/desk/laporan", Page(WorkReports), desk_reports::page),
        route(Method::GET, "/desk/laporan/{id}", Page(WorkReports), desk_reports::report),
        route(Method::POST, "/desk/laporan/{id}/link", Page(WorkReports), desk_reports::link),
        route(Method::POST, "/desk/laporan/{id}/dismiss", Page(WorkReports), desk_reports::dismiss),
        route(Method::GET, "/desk/admin", Page(ManageUsers), admin::page),
        route(Method::POST, "/desk/admin/users", Page(ManageUsers), admin::create_user),
        route(Method::POST, "/desk/admin/users/{id}/disable", Page(ManageUsers), admin::disable_user),
        route(Method::POST, "/desk/admin/tokens", Page(ManageUsers), admin::create_token),
        route(Method::POST, "/desk/admin/tokens/{id}/revoke", Page(ManageUsers), admin::revoke_token),
        route(Method::POST, "/desk/admin/thresholds", Page(ManageSettings), admin::save_thresholds),
        route(Method::POST, "/desk/admin/platforms", Page(ManageSettings), admin::save_platform),
        route(Method::GET, "/desk/admin/webhooks", Page(ManageWebhooks), admin::webhooks_page),
        route(Method::POST, "/desk/admin/webhooks", Page(ManageWebhooks), admin::create_webhook),
        route(Method::GET, "/desk/admin/webhooks/{id}", Page(ManageWebhooks), admin::webhook_page),
        route(Method::POST, "/desk/admin/webhooks/{id}/enable", Page(ManageWebhooks), admin::enable_webhook),
        route(Method::POST, "/desk/admin/webhooks/{id}/delete", Page(ManageWebhooks), admin::delete_webhook),
        route(Method::GET, "/lang/{code}", Public, desk::switch_language),
        route(Method::GET, "/assets/{file}", Public, desk::asset),
        route(Method::POST, "/api/v1/reports", Public, reports::submit.layer(report_limit())),
        route(Method::GET, "/api/v1/reports", Allowed(WorkReports), reports::list),
        route(Method::GET, "/api/v1/reports/{id}", ReporterOr(WorkReports), reports::get),
        route(Method::POST, "/api/v1/reports/{id}/link", Allowed(WorkReports), reports::link),
        route(Method::POST, "/api/v1/reports/{id}/dismiss", Allowed(WorkReports), reports::dismiss),
        route(Method::GET, "/lapor", Public, lapor::form),
        route(Method::POST, "/lapor", Public, lapor::submit.layer(report_limit())),
        route(Method::GET, "/lapor/status", Public, lapor::status),
        // The platforms authenticate by signature or secret token, checked by the handlers.
        route(Method::GET, "/hooks/whatsapp", Public, hooks::whatsapp_verify),
        route(Method::POST, "/hooks/whatsapp", Public, hooks::whatsapp_receive),
        route(Method::POST, "/hooks/telegram", Public, hooks::telegram_receive),
        route(Method::POST, "/api/v1/items", Allowed(SubmitItems), items::push),
        route(Method::GET, "/api/v1/audit", Allowed(ReadAudit), audit::list),
        route(Method::GET, "/api/v1/audit/verify", Allowed(ReadAudit), audit::verify),
    ]
}

/// The declared endpoints, for documentation and for tests that walk them all.
pub fn route_table() -> Vec<RouteSpec> {
    table(0).into_iter().map(|r| r.spec).collect()
}

/// Wraps each route's handler in the guard for its declared access.
pub(crate) fn guarded(state: &AppState, route: Route) -> (RouteSpec, MethodRouter<AppState>) {
    let access = route.spec.access;
    let guard = middleware::from_fn_with_state(state.clone(), move |st, req, next| auth::guard(st, access, req, next));
    (route.spec, route.handler.route_layer(guard))
}
