//! Public clarifications: drafts, publication, open corrections, and the `DataFeed` of their
//! ClaimReviews for partners. The rules are `tangkal_response::clarification`'s; the public pages are
//! in `crate::public`.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tangkal_cases::Case;
use tangkal_model::FactCheck;
use tangkal_response::claimreview::{claim_review, data_feed, Appearance, SiteConfig};
use tangkal_response::clarification::{
    label, Clarification, ClarificationChange, ClarificationStatus, CorrectionInput, NewClarification,
};
use tangkal_store::{ClarificationFilter, ResponseUpdate, Store};
use utoipa::{IntoParams, ToSchema};

use super::takedowns::{case_items, visible_case};
use super::{offset, page, Body, Ids, Params};
use crate::auth::Caller;
use crate::{AppState, Problem};

/// A clarification with its rendered body and, once published, its public page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClarificationView {
    #[serde(flatten)]
    pub clarification: Clarification,
    /// The Markdown body rendered and sanitised, as the public page shows it.
    pub body_html: String,
    /// The public page, once published.
    pub url: Option<String>,
}

impl ClarificationView {
    fn new(clarification: Clarification, site: &SiteConfig) -> ClarificationView {
        let url = (clarification.status == ClarificationStatus::Published)
            .then(|| site.clarification_url(&clarification.slug));
        ClarificationView { body_html: clarification.body_html(), url, clarification }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClarificationList {
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    pub clarifications: Vec<ClarificationView>,
}

/// Where the claim was seen: the case's items that have a link.
fn appearances(store: &dyn Store, case: &Case) -> tangkal_store::Result<Vec<Appearance>> {
    let items = case_items(store, case)?;
    Ok(items
        .into_iter()
        .filter_map(|item| Some(Appearance { url: item.url?, published_at: Some(item.published_at) }))
        .collect())
}

/// The ClaimReview of a published clarification, with its case's items as appearances.
pub(crate) fn review_of(
    store: &dyn Store,
    clarification: &Clarification,
    site: &SiteConfig,
) -> tangkal_store::Result<Value> {
    let case = store.case(clarification.case_id)?;
    let seen = match &case {
        Some(case) => appearances(store, case)?,
        None => Vec::new(),
    };
    // Refused only for an unpublished clarification, which every caller has ruled out already.
    claim_review(clarification, &seen, site).map_err(|e| {
        tangkal_store::StoreError::Internal(format!("ClaimReview of clarification {}: {e}", clarification.id))
    })
}

/// A published clarification as the fact-check database holds it, so that the next claim matching
/// (ingest, `tangkal match`) finds it; a correction updates the same record.
pub fn as_factcheck(c: &Clarification, site: &SiteConfig) -> FactCheck {
    let url = site.clarification_url(&c.slug);
    FactCheck {
        id: format!("tangkal:clarification:{}", c.id),
        title: c.title.split_once("] ").map_or(c.title.as_str(), |(_, rest)| rest).to_string(),
        claim: Some(c.claim.clone()),
        rating: Some(label(c.rating).to_string()),
        explanation: Some(c.body_markdown.clone()),
        url: Some(url),
        publisher: Some(site.organisation.clone()),
        date: c.published_at.map(|t| t.date_naive()),
        lang: Some("id".into()),
        provenance: Some("tangkal".into()),
        ..FactCheck::default()
    }
}

/// Write a clarification for a case with an approved verdict. The title gets the verdict's label
/// (`[HOAKS] …`); the body is Markdown, shown sanitised (no raw HTML survives).
#[utoipa::path(post, path = "/api/v1/cases/{id}/clarifications", tag = "clarifications",
    request_body = NewClarification, params(("id" = i64, Path, description = "Case id")),
    responses((status = 201, body = ClarificationView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(new): Body<NewClarification>,
) -> Result<(StatusCode, Json<ClarificationView>), Problem> {
    let stored = write_draft(&state, &caller, id, &new).await?;
    Ok((StatusCode::CREATED, Json(ClarificationView::new(stored, &state.config.response.site))))
}

/// Stores a new draft for case `id` as `caller`: the API and the desk's editor both come through here.
pub(crate) async fn write_draft(
    state: &AppState,
    caller: &Caller,
    id: i64,
    new: &NewClarification,
) -> Result<Clarification, Problem> {
    let case = visible_case(state, caller, id).await?;
    let draft = Clarification::draft(&case, new, &caller.actor(), state.clock.now())?;
    state.pool.run(move |s| s.create_clarification(&draft)).await
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Case id.
    pub case: Option<i64>,
    pub status: Option<ClarificationStatus>,
    /// 1 to 500, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// List clarifications: published ones by publication, drafts by creation, newest first.
#[utoipa::path(get, path = "/api/v1/clarifications", tag = "clarifications", params(ListQuery),
    responses((status = 200, body = ClarificationList), (status = 400, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Params(q): Params<ListQuery>,
) -> Result<Json<ClarificationList>, Problem> {
    let filter = ClarificationFilter { case_id: q.case, status: q.status, ..ClarificationFilter::default() };
    let (limit, offset) = (page(q.limit)?, offset(q.offset)?);
    let (total, found) = state
        .pool
        .run(move |s| Ok((s.count_clarifications(&filter)?, s.list_clarifications(&filter, limit, offset)?)))
        .await?;
    let site = &state.config.response.site;
    let clarifications = found.into_iter().map(|c| ClarificationView::new(c, site)).collect();
    Ok(Json(ClarificationList { total, limit, offset, clarifications }))
}

/// One clarification, draft or published, with its corrections.
#[utoipa::path(get, path = "/api/v1/clarifications/{id}", tag = "clarifications",
    params(("id" = i64, Path, description = "Clarification id")),
    responses((status = 200, body = ClarificationView), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, Ids(id): Ids<i64>) -> Result<Json<ClarificationView>, Problem> {
    let found = state.pool.run(move |s| s.clarification(id)).await?;
    let clarification = found.ok_or_else(|| Problem::not_found(format!("clarification {id}")))?;
    Ok(Json(ClarificationView::new(clarification, &state.config.response.site)))
}

/// Applies one change to clarification `id` as `caller`; a published or corrected one is also written to
/// the fact-check database. The API and the desk's forms both come through here.
pub(crate) async fn update(
    state: &AppState,
    caller: &Caller,
    id: i64,
    change: ClarificationChange,
) -> Result<Clarification, Problem> {
    let (actor, now, site) = (caller.actor(), state.clock.now(), state.config.response.site.clone());
    let public = !matches!(change, ClarificationChange::Edit(_));
    let desk = state.reports.clone();
    let updated = state
        .pool
        .run(move |s| {
            let updated = s.update_clarification(id, change, &actor, now)?;
            if let (ResponseUpdate::Done(c), true) = (&updated, public) {
                let factcheck = as_factcheck(c, &site);
                s.upsert_factchecks(std::slice::from_ref(&factcheck))?;
                // Citizen reports are answered by it from the next one on.
                desk.answers.add(factcheck);
            }
            Ok(updated)
        })
        .await?;
    match updated {
        ResponseUpdate::Done(c) => {
            if public {
                // Searchable at once. The change is stored either way; a failure here is logged (by the
                // problem it makes) and the next search catches up.
                let _ = state.search.sync(&state.pool).await;
            }
            Ok(*c)
        }
        ResponseUpdate::NotFound => Err(Problem::not_found(format!("clarification {id}"))),
        ResponseUpdate::Refused(refusal) => Err(refusal.into()),
    }
}

async fn change(
    state: &AppState,
    caller: &Caller,
    id: i64,
    change: ClarificationChange,
) -> Result<Json<ClarificationView>, Problem> {
    let c = update(state, caller, id, change).await?;
    Ok(Json(ClarificationView::new(c, &state.config.response.site)))
}

/// Replace the text of a draft (its address follows its title). A published clarification is changed
/// only by a correction.
#[utoipa::path(put, path = "/api/v1/clarifications/{id}", tag = "clarifications", request_body = NewClarification,
    params(("id" = i64, Path, description = "Clarification id")),
    responses((status = 200, body = ClarificationView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn edit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(new): Body<NewClarification>,
) -> Result<Json<ClarificationView>, Problem> {
    change(&state, &caller, id, ClarificationChange::Edit(new)).await
}

/// Publish a draft at `/cek-fakta/{slug}`, with the label of the verdict approved now. Refused (409)
/// when the case no longer has an approved verdict.
#[utoipa::path(post, path = "/api/v1/clarifications/{id}/publish", tag = "clarifications",
    params(("id" = i64, Path, description = "Clarification id")),
    responses((status = 200, body = ClarificationView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn publish(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
) -> Result<Json<ClarificationView>, Problem> {
    change(&state, &caller, id, ClarificationChange::Publish).await
}

/// Correct a published clarification: the reason and date are shown on its page, with what changed.
#[utoipa::path(post, path = "/api/v1/clarifications/{id}/corrections", tag = "clarifications",
    request_body = CorrectionInput, params(("id" = i64, Path, description = "Clarification id")),
    responses((status = 200, body = ClarificationView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn correct(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(input): Body<CorrectionInput>,
) -> Result<Json<ClarificationView>, Problem> {
    change(&state, &caller, id, ClarificationChange::Correct(input)).await
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// Only ClaimReviews published or corrected at or after this instant (RFC 3339): incremental pulls.
    pub since: Option<DateTime<Utc>>,
    /// 1 to 500, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// The ClaimReviews of published clarifications as a schema.org `DataFeed`, newest first. Pull with
/// `?since=` the time of the previous pull to get only what is new or corrected.
#[utoipa::path(get, path = "/api/v1/claimreviews", tag = "clarifications", params(FeedQuery),
    responses((status = 200, description = "A schema.org DataFeed of ClaimReview items", body = Object),
        (status = 400, body = Problem)))]
pub async fn claim_reviews(
    State(state): State<AppState>,
    Params(q): Params<FeedQuery>,
) -> Result<Json<Value>, Problem> {
    let filter = ClarificationFilter {
        status: Some(ClarificationStatus::Published),
        changed_since: q.since,
        ..ClarificationFilter::default()
    };
    let (limit, offset, now) = (page(q.limit)?, offset(q.offset)?, state.clock.now());
    let site = state.config.response.site.clone();
    let feed = state
        .pool
        .run(move |s| {
            let mut reviews = Vec::new();
            for c in s.list_clarifications(&filter, limit, offset)? {
                let review = review_of(s, &c, &site)?;
                reviews.push((c, review));
            }
            Ok(data_feed(&reviews, &site, now))
        })
        .await?;
    Ok(Json(feed))
}
