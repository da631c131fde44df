//! The OpenAPI 3.1 document, generated from the handlers' annotations and completed from the route
//! table and the case rules: each operation's description ends with the roles the route table lets
//! through, every status the server can answer is listed with its problem document, and request bodies
//! carry every constraint the server enforces, so that a request the document allows is never refused
//! for its shape and every refusal is documented. `scripts/schemathesis.sh` holds the server to it.

use serde_json::{json, Map, Value};
use tangkal_cases::{
    Rating, MAX_LINKS, MAX_NARRATIVE_ID_CHARS, MAX_ORIGIN_REF_CHARS, MAX_REACH, MAX_SUMMARY_CHARS, MAX_TITLE_CHARS,
    MAX_URL_CHARS, MAX_VELOCITY,
};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{accounts, audit, cases, clarifications, items, reports, session, takedowns, webhooks};
use crate::auth::Access;
use crate::routes::{route_table, RouteSpec};
use crate::{ServerConfig, PROBLEM_JSON};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tangkal API", description = "Cases, verdicts, takedown requests, clarifications, citizen reports, accounts and the audit trail of Tangkal. Errors are RFC 9457 problem documents (`application/problem+json`)."),
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
        webhooks::create, webhooks::list, webhooks::get, webhooks::delete, webhooks::enable, webhooks::deliveries,
        reports::submit, reports::list, reports::get, reports::link, reports::dismiss,
        items::push,
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
            let named = spec.access.roles().iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
            let roles = match spec.access {
                Access::Public => "public".to_string(),
                Access::ReporterOr(_) => format!("{named}; anyone with the report's status token"),
                _ => named,
            };
            let text = operation.description.take().unwrap_or_default();
            operation.description = Some(format!("{text}\n\nRoles: {roles}").trim().to_string());
        }
    }
}

/// The document as served: what a case may name and how large a file may be come from the configuration.
pub fn document(config: &ServerConfig) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the API document is JSON");
    for spec in route_table() {
        if let Some(operation) = doc.pointer_mut(&format!("/paths/{}/{}", escape(spec.path), method_key(&spec))) {
            document_refusals(operation, &spec);
        }
    }
    for parameter in doc["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .flat_map(operations)
        .flat_map(|op| op.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten())
    {
        match parameter["name"].as_str() {
            Some("offset") => parameter["schema"]["maximum"] = json!(crate::api::MAX_OFFSET),
            Some("limit") => {
                parameter["schema"]["minimum"] = json!(1);
                parameter["schema"]["maximum"] = json!(crate::api::MAX_LIMIT);
            }
            _ => {}
        }
    }
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        constrain(schemas, config);
    }
    let outcomes = "/paths/~1api~1v1~1takedowns~1{id}~1outcomes/post/requestBody/content/application~1json/schema";
    if let Some(answers) = doc.pointer_mut(outcomes).and_then(Value::as_object_mut) {
        answers
            .extend([("minItems".into(), json!(1)), ("maxItems".into(), json!(tangkal_response::takedown::MAX_URLS))]);
    }
    for parameter in doc
        .pointer_mut("/paths/~1api~1v1~1takedowns/get/parameters")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == "platform")
    {
        parameter["schema"]["enum"] = json!(config.response.takedown.platforms);
    }
    doc
}

/// The operations of a path item.
fn operations(item: &mut Value) -> impl Iterator<Item = &mut Value> {
    item.as_object_mut().into_iter().flat_map(|methods| methods.values_mut())
}

/// A JSON pointer token for a path (`/` is `~1`).
fn escape(path: &str) -> String {
    path.replace('~', "~0").replace('/', "~1")
}

fn method_key(spec: &RouteSpec) -> String {
    spec.method.as_str().to_ascii_lowercase()
}

/// Lists the refusals any operation of its kind can give, and makes every error a problem document.
fn document_refusals(operation: &mut Value, spec: &RouteSpec) {
    let parameters_in = |place: &str| {
        operation["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["in"].as_str() == Some(place)))
    };
    let mut statuses: Vec<u16> = vec![500, 503];
    match spec.access {
        // Every public route charges the client's network budget.
        Access::Public => statuses.push(429),
        _ => statuses.extend([401, 403]),
    }
    if operation.get("requestBody").is_some() {
        statuses.extend([400, 413, 415, 422]);
    }
    if parameters_in("query") {
        statuses.push(400);
    }
    if parameters_in("path") {
        statuses.push(404);
    }
    let responses = operation["responses"].as_object_mut().expect("every operation has responses");
    for status in statuses {
        responses.entry(status.to_string()).or_insert_with(|| json!({}));
    }
    for (status, response) in responses.iter_mut() {
        let Some(status) = status.parse::<u16>().ok().filter(|s| *s >= 400) else { continue };
        let reason = axum::http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason());
        let response = response.as_object_mut().expect("a response object");
        response.entry("description").or_insert_with(|| json!(reason.unwrap_or("Error")));
        response.insert(
            "content".into(),
            json!({ PROBLEM_JSON: { "schema": { "$ref": "#/components/schemas/Problem" } } }),
        );
        if status == 429 {
            response.insert(
                "headers".into(),
                json!({ "Retry-After": {
                    "description": "Seconds until the budget has room again",
                    "schema": { "type": "integer", "minimum": 1 },
                } }),
            );
        }
    }
}

/// A line of text with something in it: no control characters, not only white space.
const NON_BLANK_LINE: &str = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$";
/// Text with something in it besides white space.
const NOT_BLANK: &str = r"\S";
/// Text on one line, possibly empty.
const NO_CONTROL_CHARACTERS: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";
/// White space as `str::trim` removes it (Unicode `White_Space`), spelled out: `\s` means different
/// things in different regular expression dialects.
const TRIMMED: &str = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// The white space of [`TRIMMED`] that is not a control character.
const SPACES: &str = r" \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (Unicode `Cc`).
const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";

/// Text as the response domain's `clean_text` takes it: white space at either end is dropped, what
/// remains has no control characters (but line breaks and tabs when `multiline`) and, when `required`,
/// is not empty.
fn clean_text(multiline: bool, required: bool) -> String {
    // Trimmed white space at the ends is still checked as sent: no control characters but those allowed.
    let (inner, ends) = if multiline {
        (format!(r"[^{CONTROL}]|[\t\n\r]"), format!(r"[{SPACES}\t\n\r]*"))
    } else {
        (format!("[^{CONTROL}]"), format!("[{SPACES}]*"))
    };
    let edge = format!("[^{CONTROL}{TRIMMED}]");
    let core = format!("{edge}(({inner})*{edge})?");
    let core = if required { core } else { format!("({core})?") };
    format!("^{ends}{core}{ends}$")
}

/// Nothing but `[LABEL]`s, which a clarification's title or claim must say more than.
fn labels_only() -> String {
    format!(r"^[{TRIMMED}]*(\[[^\]]*\][{TRIMMED}]*)+$")
}

/// A web link the response domain takes (`http` or `https` with a host the URL standard accepts), stated
/// a little narrower than the server so that every link it allows is taken: an ASCII host name whose last
/// label starts with a letter (a numeric one would be read as an IPv4 address), a port of at most four
/// digits, then any printable ASCII.
const WEB_LINK: &str =
    r"^https?://([A-Za-z0-9]+(-[A-Za-z0-9]+)*\.)*[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*(:[0-9]{1,4})?([/?#][!-~]*)?$";

/// A pattern matching any of `words` as a whole word (between characters that are not letters or
/// digits), in any ASCII case.
fn any_word(words: &[&str]) -> String {
    let any_case = |word: &str| -> String {
        word.chars()
            .map(|c| {
                if c.is_ascii_alphabetic() {
                    format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                } else {
                    c.to_string()
                }
            })
            .collect()
    };
    let words: Vec<String> = words.iter().map(|w| any_case(w)).collect();
    format!(r"(^|[\W_])({})([\W_]|$)", words.join("|"))
}
/// Text of any lines: no control characters but tabs and line breaks.
const LINES: &str = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";
/// [`LINES`] with something in it besides white space.
const NON_BLANK_LINES: &str =
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";
/// One line: no control characters at all.
const LINE: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";

/// Adds `constraints` to the object at `pointer` in the schema named `schema`.
fn extend(schemas: &mut Map<String, Value>, schema: &str, pointer: &str, constraints: Value) {
    let target = schemas
        .get_mut(schema)
        .and_then(|s| s.pointer_mut(pointer))
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("schema {schema} has {pointer}"));
    target.extend(constraints.as_object().expect("constraints are an object").clone());
}

/// What the case rules, the store and the handlers refuse, stated on the request schemas.
fn constrain(schemas: &mut Map<String, Value>, config: &ServerConfig) {
    let platforms = &config.platforms;
    let mut set = |schema: &str, pointer: &str, constraints: Value| extend(schemas, schema, pointer, constraints);
    let narrative_id = format!("^[A-Za-z0-9][A-Za-z0-9._:-]{{0,{}}}$", MAX_NARRATIVE_ID_CHARS - 1);
    let links = |items: Value| json!({ "maxItems": MAX_LINKS, "items": items });
    set("NewCase", "/properties/title", json!({ "maxLength": MAX_TITLE_CHARS, "pattern": NON_BLANK_LINE }));
    set("NewCase", "/properties/summary", json!({ "maxLength": MAX_SUMMARY_CHARS }));
    set("NewCase", "/properties/origin_ref", json!({ "maxLength": MAX_ORIGIN_REF_CHARS, "pattern": NON_BLANK_LINE }));
    set("NewCase", "/properties/narratives", links(json!({ "type": "string", "pattern": narrative_id })));
    set("NewCase", "/properties/items", links(json!({ "type": "integer", "format": "int64", "minimum": 1 })));
    set("NewCase", "/properties/platforms", links(json!({ "type": "string", "enum": platforms })));
    set("Signals", "/properties/risk", json!({ "minimum": 0, "maximum": 1 }));
    set("Signals", "/properties/velocity", json!({ "minimum": 0, "maximum": MAX_VELOCITY }));
    set("Signals", "/properties/reach", json!({ "maximum": MAX_REACH }));

    let reason = json!({ "type": "string", "maxLength": MAX_SUMMARY_CHARS, "pattern": NOT_BLANK });
    // Work steps only; a dismissal needs a reason.
    set(
        "Move",
        "",
        json!({
            "description": "A work step: `triage` or `investigating`, or `dismissed` with a reason.",
            "oneOf": [
                {
                    "type": "object",
                    "required": ["to"],
                    "properties": {
                        "to": { "type": "string", "enum": ["triage", "investigating"] },
                        "reason": { "type": ["string", "null"] },
                    },
                    "additionalProperties": false,
                },
                {
                    "type": "object",
                    "required": ["to", "reason"],
                    "properties": { "to": { "type": "string", "const": "dismissed" }, "reason": reason },
                    "additionalProperties": false,
                },
            ],
        }),
    );
    // Each kind of evidence needs its own field; a link is a web address.
    set(
        "EvidenceForm",
        "",
        json!({
            "properties": {
                "url": {
                    "type": "string",
                    "maxLength": MAX_URL_CHARS,
                    // Printable ASCII: anything else is percent-encoded in a URL.
                    "pattern": "^https?://[!-~]*$",
                },
                "note": { "type": "string", "maxLength": MAX_SUMMARY_CHARS },
                // The size limit is in the description and answered with 413: schemathesis cannot make a
                // file past it, and counts a binary's length its own way.
                "file": {
                    "type": "string",
                    "format": "binary",
                    "minLength": 1,
                    "description": format!("At most {} bytes; larger uploads get 413.", config.max_upload_bytes),
                },
            },
            "additionalProperties": false,
            "oneOf": [
                { "required": ["url"], "properties": { "kind": { "const": "link" } } },
                { "required": ["note"], "properties": { "kind": { "const": "note" }, "note": { "pattern": NOT_BLANK } } },
                { "required": ["file"], "properties": { "kind": { "const": "file" } } },
            ],
        }),
    );
    set("Respond", "/properties/to", json!({ "type": "string", "enum": ["responding", "closed"] }));
    set("Reprioritise", "/properties/reason", reason.clone());

    set(
        "VerdictDraft",
        "",
        json!({
            // A false or misleading rating names its kind of misinformation; BENAR names none.
            "oneOf": [
                {
                    "required": ["misinfo_type"],
                    "properties": {
                        "rating": { "enum": Rating::ALL.iter().filter(|r| r.is_false()).collect::<Vec<_>>() },
                        "misinfo_type": { "$ref": "#/components/schemas/MisinfoType" },
                    },
                },
                { "properties": { "rating": { "const": Rating::Benar }, "misinfo_type": { "type": "null" } } },
                {
                    "properties": {
                        "rating": { "enum": Rating::ALL.iter().filter(|r| !r.is_false() && **r != Rating::Benar).collect::<Vec<_>>() },
                    },
                },
            ],
        }),
    );
    set(
        "VerdictDraft",
        "/properties/explanation",
        json!({ "maxLength": tangkal_cases::MAX_EXPLANATION_CHARS, "pattern": NOT_BLANK }),
    );
    set("NewWebhook", "/properties/url", json!({ "maxLength": MAX_URL_CHARS, "pattern": "^https?://[!-~]*$" }));
    set("NewWebhook", "/properties/events", json!({ "minItems": 1 }));
    set(
        "NewWebhook",
        "/properties/description",
        json!({ "maxLength": tangkal_response::webhook::MAX_DESCRIPTION_CHARS, "pattern": NO_CONTROL_CHARACTERS }),
    );
    constrain_response(&mut set, config);
    set("PasswordChange", "/properties/new", json!({ "minLength": crate::auth::MIN_PASSWORD_CHARS }));
    set(
        "CreateToken",
        "/properties/name",
        json!({ "maxLength": tangkal_store::MAX_TOKEN_NAME_CHARS, "pattern": NOT_BLANK }),
    );

    constrain_reports(&mut set, config);

    let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
    set("CreateUser", "/properties/username", json!({ "pattern": tangkal_store::USERNAME_PATTERN }));
    set("CreateUser", "/properties/display_name", json!({ "maxLength": tangkal_store::MAX_DISPLAY_NAME_CHARS }));
    set("CreateUser", "/properties/organisation", json!({ "pattern": NOT_BLANK }));
    set("CreateUser", "/properties/password", json!({ "minLength": crate::auth::MIN_PASSWORD_CHARS }));
    set(
        "CreateUser",
        "/properties/time_zone",
        json!({ "enum": zones.into_iter().map(Some).chain([None]).collect::<Vec<_>>() }),
    );
    // A platform liaison is bound to one platform; nobody else is.
    set(
        "CreateUser",
        "",
        json!({
            "oneOf": [
                {
                    "required": ["platform"],
                    "properties": {
                        "role": { "const": "platform_liaison" },
                        "platform": { "type": "string", "enum": platforms },
                    },
                },
                {
                    "properties": {
                        "role": { "type": "string", "not": { "const": "platform_liaison" } },
                        "platform": { "type": "null" },
                    },
                },
            ],
        }),
    );
}

/// What `tangkal_response` and the takedown and clarification handlers refuse, stated on their request
/// schemas. Refusals that depend on what is stored (a case without an approved verdict, a URL that is not
/// part of the request, an answer that cannot follow the last one) are 404 or 409, not shapes.
fn constrain_response(set: &mut impl FnMut(&str, &str, Value), config: &ServerConfig) {
    use tangkal_response::clarification as c;
    use tangkal_response::takedown as t;
    let link = json!({ "type": "string", "maxLength": tangkal_response::MAX_URL_CHARS, "pattern": WEB_LINK });
    let links = json!({ "minItems": 1, "maxItems": t::MAX_URLS, "items": link });
    set("NewTakedown", "/properties/platform", json!({ "enum": config.response.takedown.platforms }));
    set("NewTakedown", "/properties/urls", links.clone());
    let (line, text) = (clean_text(false, true), clean_text(true, true));
    set("NewTakedown", "/properties/legal_basis", json!({ "maxLength": t::MAX_LEGAL_BASIS_CHARS, "pattern": text }));
    set("AddUrls", "/properties/urls", json!({ "maxItems": t::MAX_URLS, "items": link }));
    // An answer is never `pending`; a rejection gives the platform's reason.
    let note =
        json!({ "type": ["string", "null"], "maxLength": t::MAX_NOTE_CHARS, "pattern": clean_text(true, false) });
    let answers: Vec<&str> =
        t::UrlStatus::ALL.iter().filter(|s| **s != t::UrlStatus::Pending).map(|s| s.as_str()).collect();
    set(
        "Outcome",
        "",
        json!({
            "properties": { "url": link, "status": { "type": "string", "enum": answers }, "note": note },
            "oneOf": [
                { "properties": { "status": { "not": { "const": "rejected" } } } },
                {
                    "required": ["note"],
                    "properties": {
                        "status": { "const": "rejected" },
                        "note": { "type": "string", "pattern": text },
                    },
                },
            ],
        }),
    );

    let labels_only = json!({ "type": "string", "pattern": labels_only() });
    let title = json!({ "maxLength": c::MAX_TITLE_CHARS, "pattern": line, "not": labels_only });
    let body = json!({ "maxLength": c::MAX_BODY_CHARS, "pattern": text });
    let sources = json!({ "maxItems": c::MAX_SOURCES });
    set("NewClarification", "/properties/title", title.clone());
    set("NewClarification", "/properties/body_markdown", body.clone());
    set("NewClarification", "/properties/sources", sources.clone());
    set(
        "NewClarification",
        "/properties/claim",
        json!({
            "maxLength": c::MAX_CLAIM_CHARS,
            "pattern": line,
            "allOf": [
                { "not": labels_only },
                { "not": { "type": "string", "pattern": any_word(&c::RATING_WORDS) } },
            ],
        }),
    );
    set("Source", "/properties/title", json!({ "maxLength": c::MAX_SOURCE_TITLE_CHARS, "pattern": line }));
    set("Source", "/properties/url", link.clone());
    set("CorrectionInput", "/properties/reason", json!({ "maxLength": c::MAX_REASON_CHARS, "pattern": text }));
    set("CorrectionInput", "/properties/title", title);
    set("CorrectionInput", "/properties/body_markdown", body);
    set("CorrectionInput", "/properties/sources", sources);
}

/// Citizen reports. What a schema cannot state is refused with 422 and said in words: a text must have
/// words outside its links (only emoji or symbols do not count) unless a link is given, a contact must
/// be an e-mail address or a phone number, and a link must parse as a web address with a host.
fn constrain_reports(set: &mut impl FnMut(&str, &str, Value), config: &ServerConfig) {
    use tangkal_response::report::{MAX_CONTACT_CHARS, MAX_REASON_CHARS, MAX_TEXT_CHARS, OTHER_PLATFORM};
    let platforms: Vec<&str> = config.platforms.iter().map(String::as_str).chain([OTHER_PLATFORM]).collect();
    set("NewReport", "/properties/text", json!({ "maxLength": MAX_TEXT_CHARS, "pattern": LINES }));
    // Empty counts as no link.
    let link = json!({ "maxLength": tangkal_response::MAX_URL_CHARS, "pattern": "^(https?://[!-~]+)?$" });
    set("NewReport", "/properties/url", link);
    set("NewReport", "/properties/platform", json!({ "enum": platforms }));
    set("NewReport", "/properties/contact", json!({ "maxLength": MAX_CONTACT_CHARS, "pattern": LINE }));
    set(
        "NewReport",
        "",
        json!({
            "description": "The message and/or a link to it, where it was seen, and optionally a contact. A text \
                without words outside its links (only emoji or symbols) needs a link; a contact must be an e-mail \
                address or a phone number; a link must be a web address with a host. Such refusals are 422 and \
                name the field.",
            "anyOf": [
                { "required": ["text"], "properties": { "text": { "type": "string" } } },
                { "required": ["url"], "properties": { "url": { "type": "string", "minLength": 1 } } },
            ],
        }),
    );
    set("DismissReport", "/properties/reason", json!({ "maxLength": MAX_REASON_CHARS, "pattern": NON_BLANK_LINES }));
}
