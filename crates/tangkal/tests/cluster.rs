//! `tangkal narratives cluster`, the store-less pass used for evaluation, groups a stream as ingest does.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::TestStore;
use serde_json::Value;

/// Item id → the first item id of its group: two labellings give the same partition exactly when these
/// maps are equal.
fn partition(labels: impl IntoIterator<Item = (String, i64)>) -> HashMap<String, String> {
    let mut first_of_label: HashMap<i64, String> = HashMap::new();
    let mut labels: Vec<(String, i64)> = labels.into_iter().collect();
    labels.sort();
    labels
        .into_iter()
        .map(|(item, label)| (item.clone(), first_of_label.entry(label).or_insert(item).clone()))
        .collect()
}

#[test]
fn clustering_a_stream_gives_the_narratives_ingest_stores() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample/items.jsonl");
    let store = TestStore::new();
    let predictions = store.data_dir().join("predictions.jsonl");
    store.run(&[
        "narratives",
        "cluster",
        "--input",
        sample.to_str().unwrap(),
        "--output",
        predictions.to_str().unwrap(),
    ]);
    let predicted: Vec<Value> =
        std::fs::read_to_string(&predictions).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(predicted.len(), 375, "one line per item");
    let clustered =
        partition(predicted.iter().map(|p| (p["id"].as_str().unwrap().to_owned(), p["cluster"].as_i64().unwrap())));

    store.run(&["ingest", sample.to_str().unwrap()]);
    let stored = store.run(&["items", "list", "--json", "--limit", "1000"]);
    let stored = partition(stored.lines().map(|line| {
        let item: Value = serde_json::from_str(line).unwrap();
        (item["external_id"].as_str().unwrap().to_owned(), item["narrative_id"].as_i64().unwrap())
    }));
    assert_eq!(clustered, stored);
    let groups = clustered.values().collect::<std::collections::HashSet<_>>().len();
    assert!((10..375).contains(&groups), "{groups} groups of 375 items");
    assert!(predicted.iter().any(|p| p["coordinated"] == true), "the sample holds coordinated bursts");
}
