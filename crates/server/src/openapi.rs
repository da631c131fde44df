//! The OpenAPI 3.1 document, generated from the handlers' annotations. Each operation's description
//! ends with the roles the route table lets through.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{accounts, audit, cases, clarifications, session, takedowns};
use crate::auth::Access;
use crate::routes::route_table;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tangkal API", description = "Cases, verdicts, takedown requests, clarifications, accounts and the audit trail of Tangkal. Errors are RFC 9457 problem documents."),
    paths(
        session::login, session::logout, session::me, session::change_password,
        accounts::list_users, accounts::create_user, accounts::disable_user,
        accounts::list_tokens, accounts::create_token, accounts::revoke_token,
        cases::list, cases::open, cases::get, cases::move_status, cases::assign, cases::reprioritise,
        cases::add_evidence, cases::evidence_file, cases::propose_verdict, cases::review_verdict, cases::respond,
        cases::published,
        takedowns::create, takedowns::list, takedowns::get, takedowns::add_urls, takedowns::outcomes,
        takedowns::letter, takedowns::transparency,
        clarifications::create, clarifications::list, clarifications::get, clarifications::edit,
        clarifications::publish, clarifications::correct, clarifications::claim_reviews,
        audit::list, audit::verify,
    ),
    modifiers(&Declared),
)]
struct ApiDoc;

/// Adds the security schemes and the roles of each operation from the route table.
struct Declared;

impl Modify for Declared {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
        for spec in route_table() {
            let Some(item) = doc.paths.paths.get_mut(spec.path) else { continue };
            let operation = match spec.method.as_str() {
                "GET" => item.get.as_mut(),
                "POST" => item.post.as_mut(),
                "PUT" => item.put.as_mut(),
                "PATCH" => item.patch.as_mut(),
                "DELETE" => item.delete.as_mut(),
                _ => None,
            };
            let Some(operation) = operation else { continue };
            let roles = match spec.access {
                Access::Public => "public".to_string(),
                _ => spec.access.roles().iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "),
            };
            let text = operation.description.take().unwrap_or_default();
            operation.description = Some(format!("{text}\n\nRoles: {roles}").trim().to_string());
        }
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
