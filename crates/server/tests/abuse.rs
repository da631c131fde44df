//! A hostile client against the real server: label floods on `/metrics`, stalled and slow clients,
//! refused uploads that must leave nothing behind.

#[allow(dead_code)] // shared with the other test files, which use the rest of it
mod harness;

use harness::spawn;
use reqwest::Method;
use tangkal_cases::Role;

/// Invented methods and paths must not become new metric series: the body stays the same size
/// however many of them arrive.
#[tokio::test]
async fn a_label_flood_does_not_grow_the_metrics() {
    let app = spawn().await;
    let scrape = || async {
        let r = app.request(Method::GET, "/metrics", Some(app.user(Role::Admin))).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    };
    // Warm every label the flood can reach, so the baseline already holds them.
    let invented = |i: usize| Method::from_bytes(format!("X{i}{}", "A".repeat(8 * 1024)).as_bytes()).unwrap();
    app.request(invented(0), "/api/v1/cases", None).send().await.unwrap();
    app.request(Method::GET, "/no/such/path/0", None).send().await.unwrap();
    scrape().await; // the scrape's own series appears from the second one on
    let before = scrape().await;
    for i in 1..=50 {
        let r = app.request(invented(i), "/api/v1/cases", None).send().await.unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
        app.request(Method::GET, &format!("/no/such/path/{i}-{}", "b".repeat(2000)), None).send().await.unwrap();
    }
    let after = scrape().await;
    assert!(!after.contains("AAAA") && !after.contains("bbbb"), "raw methods or paths leaked into labels");
    assert!(after.contains(r#"method="other""#), "{after}");
    assert!(after.contains(r#"route="unmatched""#), "{after}");
    let series = |body: &str| body.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(series(&after), series(&before), "new series appeared:\n{after}");
    assert!(after.len() < 64 * 1024, "metrics body is {} bytes", after.len());
}
