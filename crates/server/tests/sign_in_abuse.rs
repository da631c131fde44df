//! What a hostile client does to sign-in, against the real server: a burst of concurrent guesses, a
//! password spray from one address, a distributed guess at one account, the password-change oracle,
//! and floods of usernames meant to grow the server's memory.
//!
//! Clients bind distinct loopback addresses (127.0.0.0/8) to stand for distinct networks.

mod harness;

use std::net::{IpAddr, Ipv4Addr};

use harness::{read, spawn, spawn_with, TestApp, PASSWORD};
use reqwest::{Client, Method, StatusCode};
use serde_json::json;
use tangkal_cases::Role;
use tangkal_server::throttle::{Budget, MAX_USERNAME_BYTES};

fn from(last_octet: u8) -> Client {
    Client::builder().local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet))).build().unwrap()
}

async fn sign_in(app: &TestApp, client: &Client, username: &str, password: &str) -> reqwest::Response {
    client
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_concurrent_burst_of_guesses_gets_the_burst_through_and_no_more() {
    let app = spawn().await;
    let analyst = app.user(Role::Analyst).name.clone();
    let attacker = from(1);
    let guesses: Vec<_> = (0..100)
        .map(|n| {
            let request = attacker
                .post(format!("{}/api/v1/session", app.base))
                .json(&json!({"username": analyst, "password": format!("tebakan nomor {n}")}));
            tokio::spawn(async move { request.send().await.unwrap() })
        })
        .collect();
    let mut responses = Vec::new();
    for guess in guesses {
        responses.push(guess.await.unwrap());
    }
    let count = |status: StatusCode| responses.iter().filter(|r| r.status() == status).count();
    let burst = app.state.config.sign_in.per_account_network.burst as usize;
    assert_eq!(count(StatusCode::UNAUTHORIZED), burst, "only the burst reaches the password check");
    assert_eq!(count(StatusCode::TOO_MANY_REQUESTS), 100 - burst);
    for refused in responses.iter().filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS) {
        assert!(retry_after(refused) >= 1);
    }

    // The right password from the same network is refused too: the guesser cannot tell it was right.
    let right = sign_in(&app, &attacker, &analyst, PASSWORD).await;
    assert_eq!(right.status(), 429);
    let (_, body) = read(right).await;
    assert_eq!(body["type"], "/problems/rate-limited");
    // Someone else, elsewhere, is not locked out by it.
    assert_eq!(sign_in(&app, &from(2), &analyst, PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_password_spray_from_one_network_is_stopped() {
    let app = spawn().await;
    let sprayer = from(3);
    let mut statuses = Vec::new();
    for n in 0..25 {
        statuses.push(sign_in(&app, &sprayer, &format!("pengguna{n}"), "Password123!").await.status().as_u16());
    }
    let budget = app.state.config.sign_in.per_network.burst as usize;
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), budget, "{statuses:?}");
    assert!(statuses[budget..].iter().all(|s| *s == 429), "{statuses:?}");
    // Names differing only in case share one account budget; other networks keep their own.
    assert_eq!(sign_in(&app, &from(4), "Analyst-User", "salah salah salah").await.status(), 401);
}

#[tokio::test]
async fn the_owner_still_signs_in_from_a_known_network_while_the_account_is_attacked() {
    let app = spawn().await;
    let analyst = app.user(Role::Analyst).name.clone();
    let office = from(5);
    assert_eq!(sign_in(&app, &office, &analyst, PASSWORD).await.status(), 200);
    // Guesses from five other networks, each within its own budget, spend the account's budget.
    let per_account = app.state.config.sign_in.per_account.burst;
    let per_pair = app.state.config.sign_in.per_account_network.burst;
    for network in 0..per_account.div_ceil(per_pair) as u8 {
        let guesser = from(10 + network);
        for n in 0..per_pair {
            let _ = sign_in(&app, &guesser, &analyst.to_uppercase(), &format!("tebakan {n}")).await;
        }
    }
    let newcomer = sign_in(&app, &from(30), &analyst, PASSWORD).await;
    assert_eq!(newcomer.status(), 429, "an unknown network waits while the account is under attack");
    assert!(read(newcomer).await.1["detail"].as_str().unwrap().contains("for this account"));
    assert_eq!(sign_in(&app, &office, &analyst, PASSWORD).await.status(), 200, "the owner's office is known");
}

#[tokio::test]
async fn the_password_change_is_no_unthrottled_oracle() {
    let app = spawn().await;
    let analyst = app.user(Role::Analyst).clone();
    let change = |current: String| {
        let request = app
            .request(Method::POST, "/api/v1/me/password", Some(&analyst))
            .json(&json!({"current": current, "new": "sandi baru yang panjang"}));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let burst = app.state.config.sign_in.per_account_network.burst;
    for n in 0..burst {
        assert_eq!(change(format!("tebakan {n}")).await, 403);
    }
    assert_eq!(change(format!("tebakan {burst}")).await, 429);
    assert_eq!(change(PASSWORD.to_string()).await, 429, "the right one too, until the budget refills");
    // The sign-in form and the JSON login share that budget: it is one account from one network.
    let (status, _) = read(sign_in(&app, &app.client, &analyst.name, PASSWORD).await).await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn floods_of_usernames_do_not_grow_the_server() {
    let max_keys = 16;
    let app = spawn_with(|config| {
        config.sign_in.max_keys = max_keys;
        config.sign_in.per_network = Budget { burst: 2, refill: std::time::Duration::from_secs(600) };
    })
    .await;
    // Names longer than any account's are refused before anything is kept, whatever their size.
    for size in [MAX_USERNAME_BYTES + 1, 4096, 1 << 20] {
        let (status, body) = read(sign_in(&app, &app.client, &"x".repeat(size), "apa saja").await).await;
        assert_eq!(status, 422, "{size}: {body}");
        assert!(body["detail"].as_str().unwrap().starts_with("username"), "{body}");
    }
    assert_eq!(app.state.sign_in_tracked_keys(), 0);
    // Many networks with many names: each budget stops at its key limit and refuses the rest with 503.
    let mut unavailable = 0;
    for network in 40..100u8 {
        let client = from(network);
        for n in 0..3 {
            let response = sign_in(&app, &client, &format!("nama-{network}-{n}"), "apa saja").await;
            if response.status() == 503 {
                assert!(retry_after(&response) >= 1);
                unavailable += 1;
            }
        }
    }
    assert!(unavailable > 0);
    let tracked = app.state.sign_in_tracked_keys();
    assert!(tracked <= 3 * max_keys, "{tracked} keys for budgets of {max_keys}");
}
