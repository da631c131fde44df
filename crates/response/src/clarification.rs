//! Public clarifications: the text a communicator publishes once a verdict is approved. The title carries
//! the verdict's label, the body is Markdown rendered to sanitised HTML, and once published every change
//! is an open correction, appended with its date and reason.

use chrono::{DateTime, Utc};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};
use tangkal_cases::{Actor, Case, Permission, Rating};

use crate::text::{clean_text, web_url};
use crate::{approved_rating, ResponseError};

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 100_000;
pub const MAX_SOURCES: usize = 50;
pub const MAX_REASON_CHARS: usize = 2000;
pub const MAX_SOURCE_TITLE_CHARS: usize = 300;
/// Google's fact-check markup asks for a `claimReviewed` under 75 characters.
pub const MAX_CLAIM_CHARS: usize = 74;
const MAX_SLUG_CHARS: usize = 80;

/// The label a published title starts with, as Indonesian fact-checkers print it.
pub fn label(rating: Rating) -> &'static str {
    match rating {
        Rating::Hoaks => "HOAKS",
        Rating::Disinformasi => "DISINFORMASI",
        Rating::Misinformasi => "MISINFORMASI",
        Rating::Menyesatkan => "MENYESATKAN",
        Rating::Benar => "BENAR",
        Rating::TidakTerbukti => "TIDAK TERBUKTI",
    }
}

/// The title without any leading `[LABEL]`: where a page shows the label on its own.
pub fn without_labels(title: &str) -> &str {
    let mut rest = title.trim();
    while let Some(after) = rest.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(_, after)| after) {
        rest = after.trim_start();
    }
    rest
}

/// `[HOAKS] Ribuan surat suara sudah tercoblos`: the verdict's label replaces any the writer typed.
pub fn labelled_title(rating: Rating, title: &str) -> String {
    format!("[{}] {}", label(rating), without_labels(title))
}

/// The address part of a clarification's page, from its title without the label; the store makes it
/// unique with [`numbered_slug`].
pub fn slug_for(title: &str) -> String {
    let mut slug = slug::slugify(without_labels(title));
    if slug.len() > MAX_SLUG_CHARS {
        let cut = slug[..MAX_SLUG_CHARS].rfind('-').unwrap_or(MAX_SLUG_CHARS);
        slug.truncate(cut);
    }
    if slug.is_empty() {
        "klarifikasi".to_string()
    } else {
        slug
    }
}

/// The `n`th candidate for a slug already taken: `slug-2`, `slug-3`, …
pub fn numbered_slug(slug: &str, n: u32) -> String {
    if n <= 1 {
        slug.to_string()
    } else {
        format!("{slug}-{n}")
    }
}

/// Markdown to HTML safe to put in a page: raw HTML in the Markdown is shown as text, never interpreted;
/// images become links (a public page loads nothing from other sites); the result is cleaned by ammonia
/// (no scripts, event handlers or `javascript:` links; outside links get `rel="noopener noreferrer
/// nofollow"`).
pub fn render_markdown(markdown: &str) -> String {
    let parser =
        Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                Event::Start(Tag::Link { link_type, dest_url, title, id })
            }
            Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
            other => other,
        });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&html)
        .to_string()
}

/// The words a reader sees of a Markdown text, on one line: markup dropped, raw HTML kept as the text
/// it is shown as.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => text.push_str(&t),
            // Inline markup ends inside a sentence; a block's end, a break, a list item part words.
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link | TagEnd::Image) => {}
            Event::SoftBreak | Event::HardBreak | Event::End(_) => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first sentences of `text` that fit in `max_chars` characters; a first sentence longer than that is
/// cut at a word and ends with an ellipsis. For link previews and descriptions.
pub fn lead(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut end = 0;
    for (i, c) in text.char_indices() {
        let next = i + c.len_utf8();
        if text[..next].chars().count() > max_chars {
            break;
        }
        let at_end = text[next..].starts_with(' ') || next == text.len();
        if matches!(c, '.' | '!' | '?') && at_end {
            end = next;
        }
    }
    if end > 0 {
        return text[..end].to_string();
    }
    let cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    let words = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", words.trim_end())
}

/// What a clarification is about, from a fixed list, so readers can narrow the public list to one
/// subject. Fixed rather than free tags: each has a translated name and the list stays short enough for
/// a select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Elections.
    Pemilu,
    /// Health.
    Kesehatan,
    /// Disasters.
    Bencana,
    /// Economy.
    Ekonomi,
    /// Politics and government.
    Politik,
    /// Religion and ethnicity (suku, agama, ras, antargolongan).
    Sara,
    /// Scams and fraud.
    Penipuan,
    /// Anything else.
    Lainnya,
}

impl Topic {
    pub const ALL: [Topic; 8] = [
        Topic::Pemilu,
        Topic::Kesehatan,
        Topic::Bencana,
        Topic::Ekonomi,
        Topic::Politik,
        Topic::Sara,
        Topic::Penipuan,
        Topic::Lainnya,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Pemilu => "pemilu",
            Topic::Kesehatan => "kesehatan",
            Topic::Bencana => "bencana",
            Topic::Ekonomi => "ekonomi",
            Topic::Politik => "politik",
            Topic::Sara => "sara",
            Topic::Penipuan => "penipuan",
            Topic::Lainnya => "lainnya",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub title: String,
    pub url: String,
}

/// What a communicator writes; also the body of an edit while a draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewClarification {
    pub title: String,
    pub body_markdown: String,
    #[serde(default)]
    pub sources: Vec<Source>,
    /// The claim as search engines show it (`claimReviewed`): under 75 characters, without the rating.
    /// When absent, the case's title, shortened.
    #[serde(default)]
    pub claim: Option<String>,
    /// What it is about, for the public list's topic filter.
    #[serde(default)]
    pub topic: Option<Topic>,
}

/// A change to a published clarification.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    /// Shown on the page with the date.
    pub reason: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body_markdown: Option<String>,
    #[serde(default)]
    pub sources: Option<Vec<Source>>,
    /// A new topic: published clarifications written before topics existed can be given one.
    #[serde(default)]
    pub topic: Option<Topic>,
}

/// An open correction, with what the text said before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Correction {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
    pub previous_title: Option<String>,
    pub previous_body_markdown: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClarificationStatus {
    Draft,
    Published,
}

impl ClarificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClarificationStatus::Draft => "draft",
            ClarificationStatus::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<ClarificationStatus> {
        [ClarificationStatus::Draft, ClarificationStatus::Published].into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Clarification {
    /// 0 until stored.
    pub id: i64,
    pub case_id: i64,
    /// Empty until stored: the store picks a free one.
    pub slug: String,
    pub rating: Rating,
    /// With the label: `[HOAKS] …`.
    pub title: String,
    /// `claimReviewed`: under 75 characters, without the rating.
    pub claim: String,
    pub body_markdown: String,
    pub sources: Vec<Source>,
    #[serde(default)]
    pub topic: Option<Topic>,
    pub status: ClarificationStatus,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    /// Oldest first.
    pub corrections: Vec<Correction>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ClarificationChange {
    /// Replaces the text of a draft.
    Edit(NewClarification),
    Publish,
    Correct(CorrectionInput),
}

impl ClarificationChange {
    /// The audit trail's name for this change.
    pub fn action(&self) -> &'static str {
        match self {
            ClarificationChange::Edit(_) => "clarification.edit",
            ClarificationChange::Publish => "clarification.publish",
            ClarificationChange::Correct(_) => "clarification.correct",
        }
    }
}

/// Words that give a rating away; `claimReviewed` must not contain them.
pub const RATING_WORDS: [&str; 5] = ["hoaks", "hoax", "disinformasi", "misinformasi", "menyesatkan"];

/// The claim as `claimReviewed` shows it. A claim the writer gave must fit as is (a misfit is a 422 naming
/// `claim`); the case title used by default is shortened at a word boundary, and when it cannot serve (it
/// names the rating) the request conflicts with the case (409): give a claim.
fn claim_text(given: Option<&str>, case_title: &str) -> Result<String, ResponseError> {
    match given {
        Some(claim) => claim_from(clean_text("claim", claim, MAX_CLAIM_CHARS, true, false)?),
        None => {
            let title = clean_text("claim", case_title, usize::MAX, true, false)
                .and_then(claim_from)
                .map_err(|e| ResponseError::NotAllowed(format!("the case's title cannot be the claim: {e}")))?;
            Ok(shortened(title))
        }
    }
}

/// The claim in `raw` without labels and extra white space, refused when empty or naming the rating.
fn claim_from(raw: String) -> Result<String, ResponseError> {
    let claim = without_labels(&raw).split_whitespace().collect::<Vec<_>>().join(" ");
    let gives_rating = claim
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| RATING_WORDS.iter().any(|r| word.eq_ignore_ascii_case(r)));
    if gives_rating {
        return Err(ResponseError::invalid(
            "claim",
            "must state the claim without its rating (no \"hoaks\", \"disinformasi\", …): give a claim",
        ));
    }
    if claim.is_empty() {
        return Err(ResponseError::invalid("claim", "must say more than a label"));
    }
    Ok(claim)
}

/// At most [`MAX_CLAIM_CHARS`], cut at a word boundary with an ellipsis.
fn shortened(claim: String) -> String {
    if claim.chars().count() <= MAX_CLAIM_CHARS {
        return claim;
    }
    let cut: String = claim.chars().take(MAX_CLAIM_CHARS - 1).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head).trim_end_matches([',', '.', ':', ';']);
    format!("{cut}…")
}

fn checked_sources(sources: &[Source]) -> Result<Vec<Source>, ResponseError> {
    if sources.len() > MAX_SOURCES {
        return Err(ResponseError::invalid("sources", format!("lists more than {MAX_SOURCES} sources")));
    }
    sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let at = |e: ResponseError| ResponseError::invalid("sources", format!("[{i}] {e}"));
            Ok(Source {
                title: clean_text("title", &s.title, MAX_SOURCE_TITLE_CHARS, true, false).map_err(at)?,
                url: web_url("url", &s.url).map_err(at)?.to_string(),
            })
        })
        .collect()
}

fn checked_title(title: &str) -> Result<String, ResponseError> {
    let title = clean_text("title", title, MAX_TITLE_CHARS, true, false)?;
    if without_labels(&title).is_empty() {
        return Err(ResponseError::invalid("title", "must say more than a label"));
    }
    Ok(title)
}

fn checked_body(body: &str) -> Result<String, ResponseError> {
    clean_text("body_markdown", body, MAX_BODY_CHARS, true, true)
}

impl Clarification {
    /// A draft for `case`, which needs an approved verdict (of any rating: a true claim is clarified too).
    pub fn draft(
        case: &Case,
        new: &NewClarification,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Clarification, ResponseError> {
        actor.require(Permission::Respond)?;
        let rating = approved_rating(case)?;
        Ok(Clarification {
            id: 0,
            case_id: case.id,
            slug: String::new(),
            rating,
            title: labelled_title(rating, &checked_title(&new.title)?),
            claim: claim_text(new.claim.as_deref(), &case.title)?,
            body_markdown: checked_body(&new.body_markdown)?,
            sources: checked_sources(&new.sources)?,
            topic: new.topic,
            status: ClarificationStatus::Draft,
            created_by: actor.label(),
            created_at: now,
            updated_at: now,
            published_at: None,
            corrections: Vec::new(),
        })
    }

    /// Applies `change` if the rules allow it; on refusal the clarification is left untouched.
    pub fn apply(
        &mut self,
        change: ClarificationChange,
        case: &Case,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(), ResponseError> {
        actor.require(Permission::Respond)?;
        let published = self.status == ClarificationStatus::Published;
        match change {
            ClarificationChange::Edit(new) => {
                if published {
                    return Err(ResponseError::NotAllowed(
                        "the clarification is published: change it with a correction and its reason".into(),
                    ));
                }
                let edited = Clarification::draft(case, &new, actor, now)?;
                *self = Clarification {
                    id: self.id,
                    slug: self.slug.clone(),
                    created_by: self.created_by.clone(),
                    created_at: self.created_at,
                    ..edited
                };
            }
            ClarificationChange::Publish => {
                if published {
                    return Err(ResponseError::IllegalTransition {
                        what: "a clarification",
                        from: "published",
                        to: "published",
                    });
                }
                // The verdict may have been revised since the draft: publish what is approved now.
                let rating = approved_rating(case)?;
                self.title = labelled_title(rating, &self.title);
                self.rating = rating;
                self.status = ClarificationStatus::Published;
                self.published_at = Some(now);
            }
            ClarificationChange::Correct(input) => {
                if !published {
                    return Err(ResponseError::NotAllowed("a draft is edited, not corrected".into()));
                }
                let reason = clean_text("reason", &input.reason, MAX_REASON_CHARS, true, true)?;
                let title = input.title.as_deref().map(checked_title).transpose()?;
                let body = input.body_markdown.as_deref().map(checked_body).transpose()?;
                let sources = input.sources.as_deref().map(checked_sources).transpose()?;
                let mut correction = Correction {
                    at: now,
                    by: actor.label(),
                    reason,
                    previous_title: None,
                    previous_body_markdown: None,
                };
                if let Some(title) = title {
                    let title = labelled_title(self.rating, &title);
                    correction.previous_title = Some(std::mem::replace(&mut self.title, title));
                }
                if let Some(body) = body {
                    correction.previous_body_markdown = Some(std::mem::replace(&mut self.body_markdown, body));
                }
                if let Some(sources) = sources {
                    self.sources = sources;
                }
                if input.topic.is_some() {
                    self.topic = input.topic;
                }
                self.corrections.push(correction);
            }
        }
        self.updated_at = now;
        Ok(())
    }

    /// The body as sanitised HTML.
    pub fn body_html(&self) -> String {
        render_markdown(&self.body_markdown)
    }

    /// When the published text last changed: its latest correction, or its publication.
    pub fn modified_at(&self) -> Option<DateTime<Utc>> {
        self.corrections.last().map(|c| c.at).or(self.published_at)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use tangkal_cases::Role;

    use super::*;
    use crate::fixtures::{actor, case_rated, t0};

    fn new(title: &str) -> NewClarification {
        NewClarification {
            title: title.into(),
            body_markdown: "Foto itu **lama**.".into(),
            sources: vec![Source { title: "KPU".into(), url: "https://kpu.go.id/berita/1".into() }],
            claim: None,
            topic: Some(Topic::Pemilu),
        }
    }

    fn communicator() -> Actor {
        actor(3, Role::Communicator, None)
    }

    #[test]
    fn a_lead_is_the_plain_first_sentences_that_fit() {
        let text = plain_text("Foto itu **lama**. Diambil pada\nbanjir 2020!\n\n- Sumber: `KPU`\n\n<script>x</script>");
        assert_eq!(text, "Foto itu lama. Diambil pada banjir 2020! Sumber: KPU <script>x</script>");
        assert_eq!(lead(&text, 200), text, "all of it fits");
        assert_eq!(lead(&text, 45), "Foto itu lama. Diambil pada banjir 2020!");
        assert_eq!(lead(&text, 20), "Foto itu lama.");
        let long = "kata ".repeat(60);
        let cut = lead(long.trim(), 200);
        assert!(cut.ends_with("kata…") && cut.chars().count() <= 200, "{cut}");
        assert_eq!(lead("Rp 1.000.000 cair hari ini", 200), "Rp 1.000.000 cair hari ini");
    }

    #[test]
    fn the_title_carries_the_verdicts_label() {
        assert_eq!(labelled_title(Rating::Hoaks, "[SALAH] [HOAX]  Surat suara"), "[HOAKS] Surat suara");
        assert_eq!(labelled_title(Rating::TidakTerbukti, "Vaksin"), "[TIDAK TERBUKTI] Vaksin");
        let c =
            Clarification::draft(&case_rated(Rating::Menyesatkan), &new("Surat suara"), &communicator(), t0()).unwrap();
        assert_eq!(c.title, "[MENYESATKAN] Surat suara");
        assert_eq!(c.claim, "Surat suara sudah tercoblos", "the case title by default");
        let label_only = Clarification::draft(&case_rated(Rating::Hoaks), &new("[HOAKS]"), &communicator(), t0());
        assert!(matches!(label_only, Err(ResponseError::Invalid { field: "title", .. })));
    }

    #[test]
    fn slugs_are_readable_and_bounded() {
        assert_eq!(slug_for("[HOAKS] Ribuan Surat Suara Sudah Tercoblos!"), "ribuan-surat-suara-sudah-tercoblos");
        assert_eq!(slug_for("[HOAKS] !!! ?"), "klarifikasi");
        let long = slug_for(&"kata ".repeat(40));
        assert!(long.len() <= MAX_SLUG_CHARS && !long.ends_with('-'), "{long}");
        assert_eq!(numbered_slug("a", 1), "a");
        assert_eq!(numbered_slug("a", 3), "a-3");
    }

    #[test]
    fn claims_fit_google_rules() {
        let long_title = "Pemerintah akan membagikan bantuan sosial tunai sebesar lima juta rupiah kepada setiap warga";
        let claim = claim_text(None, long_title).unwrap();
        assert!(claim.chars().count() <= MAX_CLAIM_CHARS && claim.ends_with('…'), "{claim}");
        assert!(long_title.starts_with(claim.trim_end_matches('…')));
        assert!(matches!(claim_text(Some(long_title), "x"), Err(ResponseError::Invalid { field: "claim", .. })));
        assert!(claim_text(None, "[HOAKS] Surat suara").unwrap() == "Surat suara");
        for giveaway in ["Hoaks surat suara", "surat suara (HOAX)", "Disinformasi: vaksin", "[HOAKS]"] {
            assert!(matches!(claim_text(Some(giveaway), "x"), Err(ResponseError::Invalid { field: "claim", .. })));
        }
        // A case title that gives the rating away is no claim: the request must bring its own.
        assert!(matches!(claim_text(None, "Hoaks surat suara"), Err(ResponseError::NotAllowed(_))));
        assert_eq!(claim_text(Some("Vaksin benar-benar aman"), "x").unwrap(), "Vaksin benar-benar aman");
    }

    #[test]
    fn markdown_is_rendered_and_no_raw_html_survives() {
        let html = render_markdown(
            "# Judul\n\nTeks *miring* dan [tautan](https://kpu.go.id).\n\n<script>alert(1)</script>\n\n\
             Inline <b onclick=\"x()\">tebal</b> <img src=x onerror=alert(1)>\n\n[klik](javascript:alert(1))\n\n\
             ![foto](https://tracker.example/p.png)",
        );
        assert!(html.contains("<h1>Judul</h1>") && html.contains("<em>miring</em>"), "{html}");
        assert!(html.contains("href=\"https://kpu.go.id\"") && html.contains("nofollow"), "{html}");
        assert!(!html.contains("<script") && !html.contains("<b ") && !html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "raw HTML shown as text: {html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"https://tracker.example/p.png\"") && html.contains(">foto</a>"), "{html}");
    }

    #[test]
    fn drafts_are_edited_published_then_corrected_openly() {
        let case = case_rated(Rating::Hoaks);
        let mut c = Clarification::draft(&case, &new("Surat suara"), &communicator(), t0()).unwrap();
        c.slug = "surat-suara".into();
        let t1 = t0() + Duration::hours(1);
        c.apply(ClarificationChange::Edit(new("Surat suara tercoblos")), &case, &communicator(), t1).unwrap();
        assert_eq!(
            (c.title.as_str(), c.slug.as_str(), c.created_at, c.updated_at),
            ("[HOAKS] Surat suara tercoblos", "surat-suara", t0(), t1)
        );
        assert!(c.apply(ClarificationChange::Correct(CorrectionInput::default()), &case, &communicator(), t1).is_err());
        let analyst = actor(1, Role::Analyst, None);
        assert!(matches!(c.apply(ClarificationChange::Publish, &case, &analyst, t1), Err(ResponseError::Case(_))));

        c.apply(ClarificationChange::Publish, &case, &communicator(), t1).unwrap();
        assert_eq!((c.status, c.published_at, c.modified_at()), (ClarificationStatus::Published, Some(t1), Some(t1)));
        assert!(c.apply(ClarificationChange::Publish, &case, &communicator(), t1).is_err());
        assert!(matches!(
            c.apply(ClarificationChange::Edit(new("x")), &case, &communicator(), t1),
            Err(ResponseError::NotAllowed(_))
        ));
        let before = c.clone();
        let no_reason =
            CorrectionInput { reason: " ".into(), body_markdown: Some("baru".into()), ..Default::default() };
        assert!(c.apply(ClarificationChange::Correct(no_reason), &case, &communicator(), t1).is_err());
        assert_eq!(c, before);

        let t2 = t1 + Duration::days(2);
        let fix = CorrectionInput {
            reason: "Tanggal foto diperbaiki".into(),
            body_markdown: Some("Foto itu dari 2019.".into()),
            ..Default::default()
        };
        c.apply(ClarificationChange::Correct(fix), &case, &communicator(), t2).unwrap();
        assert_eq!(c.body_markdown, "Foto itu dari 2019.");
        let correction = &c.corrections[0];
        assert_eq!((correction.at, correction.reason.as_str()), (t2, "Tanggal foto diperbaiki"));
        assert_eq!(correction.previous_body_markdown.as_deref(), Some("Foto itu **lama**."));
        assert_eq!((correction.previous_title.as_ref(), c.modified_at()), (None, Some(t2)));
        assert_eq!(c.topic, Some(Topic::Pemilu), "the draft's topic, kept when a correction names none");
        let classified =
            CorrectionInput { reason: "Topik diperbaiki".into(), topic: Some(Topic::Politik), ..Default::default() };
        c.apply(ClarificationChange::Correct(classified), &case, &communicator(), t2).unwrap();
        assert_eq!((c.topic, c.body_markdown.as_str()), (Some(Topic::Politik), "Foto itu dari 2019."));
    }

    #[test]
    fn topics_read_back_from_their_names() {
        for topic in Topic::ALL {
            assert_eq!(Topic::parse(topic.as_str()), Some(topic));
            assert_eq!(serde_json::to_value(topic).unwrap(), topic.as_str());
        }
        assert_eq!(Topic::parse("PEMILU"), None);
    }

    #[test]
    fn clarifications_need_an_approved_verdict_and_checked_sources() {
        let unreviewed =
            Case::open(&tangkal_cases::NewCase { title: "x".into(), ..Default::default() }, "manual", t0()).unwrap();
        assert!(matches!(
            Clarification::draft(&unreviewed, &new("x"), &communicator(), t0()),
            Err(ResponseError::NotAllowed(_))
        ));
        let mut bad = new("x");
        bad.sources.push(Source { title: "a".into(), url: "javascript:alert(1)".into() });
        let err = Clarification::draft(&case_rated(Rating::Benar), &bad, &communicator(), t0()).unwrap_err();
        assert!(
            matches!(&err, ResponseError::Invalid { field: "sources", reason } if reason.starts_with("[1]")),
            "{err}"
        );
    }
}
