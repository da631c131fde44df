//! schema.org ClaimReview in JSON-LD, as fact-checkers embed it in their pages: a single object, an
//! array of objects, or a `@graph`, with ClaimReview nodes possibly among other node types or
//! nested in their properties (a `WebPage`'s `mainEntity`, an article's `review`).

use std::io::Write;

use serde_json::{json, Map, Value};
use tangkal_model::FactCheck;

use super::{parse_date, validate, Parsed, Rejected};

/// Reads every ClaimReview node of one JSON-LD document; other node types are ignored. `source`
/// names the input in rejection places (`source: $[1].@graph[2]`).
pub fn read_claimreview(text: &str, source: &str) -> Parsed {
    let doc: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let place = format!("{source}:{}", e.line());
            let rejected = vec![Rejected { place, reason: format!("not valid JSON: {e}") }];
            return Parsed { records: Vec::new(), rejected };
        }
    };
    read_claimreview_value(&doc, source)
}

/// [`read_claimreview`] for a document already parsed, such as one element of a `DataFeed`.
pub fn read_claimreview_value(doc: &Value, source: &str) -> Parsed {
    let mut parsed = Parsed::default();
    walk(doc, "$".to_owned(), source, &mut parsed);
    if parsed.records.is_empty() && parsed.rejected.is_empty() {
        parsed.rejected.push(Rejected { place: source.to_owned(), reason: "no ClaimReview node found".into() });
    }
    parsed
}

fn walk(v: &Value, path: String, source: &str, parsed: &mut Parsed) {
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{path}[{i}]"), source, parsed);
            }
        }
        Value::Object(node) => {
            if is_claim_review(node) {
                match from_node(node).and_then(validate) {
                    Ok(r) => parsed.records.push(r),
                    Err(reason) => parsed.rejected.push(Rejected { place: format!("{source}: {path}"), reason }),
                }
            } else {
                for (key, value) in node {
                    walk(value, format!("{path}.{key}"), source, parsed);
                }
            }
        }
        _ => {}
    }
}

fn is_claim_review(node: &Map<String, Value>) -> bool {
    let is = |t: &Value| t.as_str().is_some_and(|s| s == "ClaimReview" || s.ends_with("/ClaimReview"));
    match node.get("@type") {
        Some(Value::Array(types)) => types.iter().any(is),
        Some(t) => is(t),
        None => false,
    }
}

/// A text value: a string, or the `name` of an object, or the first of an array of either.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => text(o.get("name")),
        Value::Array(a) => a.iter().find_map(|x| text(Some(x))),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn from_node(node: &Map<String, Value>) -> Result<FactCheck, String> {
    // Blank values count as absent, so that a blank headline falls back to the next candidate.
    let get = |k: &str| text(node.get(k)).filter(|s| !s.trim().is_empty());
    let rating = node.get("reviewRating").and_then(|r| {
        text(r.get("alternateName")).or_else(|| text(r.get("name"))).or_else(|| text(r.get("ratingValue")))
    });
    let date = match get("datePublished") {
        Some(d) => Some(parse_date(&d).map_err(|e| format!("field \"datePublished\": {e}"))?),
        None => None,
    };
    let claim = get("claimReviewed").or_else(|| node.get("itemReviewed").and_then(|i| text(i.get("name"))));
    let title = get("headline").or_else(|| get("name")).or_else(|| claim.clone()).unwrap_or_default();
    // A claim worded as the headline is not stated apart from it (and is what the writer puts in
    // `claimReviewed` for a record without a claim).
    let claim = claim.filter(|c| c.trim() != title.trim());
    Ok(FactCheck {
        id: get("identifier").or_else(|| get("@id")).unwrap_or_default(),
        title,
        claim,
        rating,
        misinformation_type: node.get("reviewRating").and_then(|r| text(r.get("ratingExplanation"))),
        explanation: get("reviewBody").or_else(|| get("description")),
        conclusion: None,
        url: get("url"),
        publisher: get("author").or_else(|| get("publisher")),
        date,
        lang: get("inLanguage"),
        provenance: Some("claimreview".into()),
    })
}

/// Writes the records as one JSON-LD array of ClaimReview objects.
pub fn write_claimreview(mut w: impl Write, records: &[FactCheck]) -> std::io::Result<()> {
    let nodes: Vec<Value> = records.iter().map(to_node).collect();
    serde_json::to_writer_pretty(&mut w, &nodes)?;
    w.write_all(b"\n")
}

fn to_node(r: &FactCheck) -> Value {
    let mut node = json!({
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "identifier": r.id,
        "headline": r.title,
        "claimReviewed": r.claim.as_deref().unwrap_or(&r.title),
    });
    let o = node.as_object_mut().expect("object literal");
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            o.insert(k.to_owned(), v);
        }
    };
    put("url", r.url.clone().map(Value::from));
    put("datePublished", r.date.map(|d| Value::from(d.to_string())));
    put("inLanguage", r.lang.clone().map(Value::from));
    put("reviewBody", r.explanation.clone().map(Value::from));
    put("author", r.publisher.clone().map(|p| json!({"@type": "Organization", "name": p})));
    if r.rating.is_some() || r.misinformation_type.is_some() {
        let mut rating = json!({"@type": "Rating"});
        if let Some(x) = &r.rating {
            rating["alternateName"] = Value::from(x.clone());
        }
        if let Some(x) = &r.misinformation_type {
            rating["ratingExplanation"] = Value::from(x.clone());
        }
        put("reviewRating", Some(rating));
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"{"@context":"https://schema.org","@graph":[
        {"@type":"WebPage","name":"Cek Fakta"},
        {"@type":"ClaimReview","url":"https://cekfakta.example/a","claimReviewed":"Minum air garam menyembuhkan covid",
         "datePublished":"2021-07-01T08:00:00+07:00","author":{"@type":"Organization","name":"Cek Fakta"},
         "reviewRating":{"@type":"Rating","alternateName":"Salah"},"inLanguage":"id"},
        {"@type":["ClaimReview"],"headline":"Tanpa tanggal benar","datePublished":"kemarin"}
    ]}"#;

    #[test]
    fn graph_nodes_are_read_and_bad_ones_named_by_path() {
        let parsed = read_claimreview(PAGE, "page.json");
        assert_eq!(parsed.records.len(), 1);
        let r = &parsed.records[0];
        assert_eq!(r.title, "Minum air garam menyembuhkan covid");
        assert_eq!(r.rating.as_deref(), Some("SALAH"));
        assert_eq!(r.publisher.as_deref(), Some("Cek Fakta"));
        assert_eq!(r.date.unwrap().to_string(), "2021-07-01");
        assert_eq!(parsed.rejected.len(), 1);
        assert_eq!(parsed.rejected[0].place, "page.json: $.@graph[2]");
        assert!(parsed.rejected[0].reason.contains("datePublished"));
    }

    #[test]
    fn arrays_and_single_objects_round_trip() {
        let parsed = read_claimreview(PAGE, "page.json");
        let mut out = Vec::new();
        write_claimreview(&mut out, &parsed.records).unwrap();
        let again = read_claimreview(std::str::from_utf8(&out).unwrap(), "out.json");
        assert_eq!(again.records.len(), 1);
        assert_eq!(again.records[0].url, parsed.records[0].url);
        assert_eq!(again.records[0].rating, parsed.records[0].rating);
        let single = read_claimreview(r#"{"@type":"ClaimReview","claimReviewed":"X"}"#, "one.json");
        assert_eq!(single.records.len(), 1);
        assert_eq!(read_claimreview("[]", "empty.json").rejected[0].reason, "no ClaimReview node found");
    }
}
