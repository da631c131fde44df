//! Every password check (the sign-in form, the JSON session login, a password change) goes through the
//! same gate: budgets are reserved before the slow hash, and hashes run on a small bounded pool.
//!
//! Three budgets, each a GCRA bucket (`governor`): a burst, then one more attempt per refill period.
//! - per network (an IPv4 address or an IPv6 /64): stops one address spraying many usernames;
//! - per account and network: stops one address guessing one account's password;
//! - per account, from networks where the account has not signed in: stops a distributed guess.
//!
//! A network where the account signed in successfully is "known" for it: only the account-and-network
//! budget applies there, and each success starts that budget afresh, so someone exhausting the account's
//! budget from elsewhere does not lock its owner out at the office. Every attempt is charged before the
//! hash, so a burst of concurrent guesses gets exactly the burst through, never more.
//!
//! Memory is bounded: usernames longer than the store allows are refused before anything is kept, each
//! budget tracks at most `max_keys` keys (forgetting the ones back at a fresh state first, refusing with
//! 503 if that is not enough), and known networks are a bounded LRU.
//!
//! [`KeyedBudget`] is that bounded budget on its own, for any key: citizen reports use it per network
//! and per contact.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hashlink::LruCache;
use tokio::sync::Semaphore;

use crate::{auth, AppState, Problem};

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// Usernames are at most this long (the store's rule); longer ones are refused before any hashing or
/// bookkeeping.
pub const MAX_USERNAME_BYTES: usize = 64;

/// A burst of attempts, then one more each `refill`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub burst: u32,
    pub refill: Duration,
}

impl Budget {
    fn quota(self) -> Quota {
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(self.refill.max(Duration::from_millis(1))).expect("positive period").allow_burst(burst)
    }
}

/// One [`Budget`] per key, tracking at most `max_keys` keys: when full, keys back at a fresh state are
/// forgotten first; if that frees nothing, new keys are refused with 503 rather than growing memory.
pub struct KeyedBudget<K: Clone + Eq + std::hash::Hash> {
    limiter: DefaultKeyedRateLimiter<K>,
    max_keys: usize,
    /// What is being counted, for refusals: "password attempts", "reports".
    what: &'static str,
}

impl<K: Clone + Eq + std::hash::Hash> KeyedBudget<K> {
    pub fn new(budget: Budget, max_keys: usize, what: &'static str) -> KeyedBudget<K> {
        KeyedBudget { limiter: RateLimiter::keyed(budget.quota()), max_keys, what }
    }

    /// Spends one from `key`'s budget. Refuses with 429 and `Retry-After` when it is spent (the detail
    /// names `scope`, e.g. "from this network"), or 503 when no more keys can be tracked.
    pub fn take(&self, key: &K, scope: &str) -> Result<(), Problem> {
        if self.limiter.len() >= self.max_keys && {
            self.limiter.retain_recent();
            self.limiter.len() >= self.max_keys
        } {
            let what = self.what;
            return Err(Problem::unavailable(format!("too many clients are sending {what}; try again in a minute"))
                .retry_after(60));
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            Problem::too_many(format!("too many {} {scope}; try again in {seconds} s", self.what))
                .retry_after(seconds.max(1))
        })
    }

    /// Keys tracked now.
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }
}

/// The sign-in rules. The defaults are what `tangkal serve` uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInLimits {
    /// All password checks from one network, for any usernames.
    pub per_network: Budget,
    /// Password checks for one account from one network.
    pub per_account_network: Budget,
    /// Password checks for one account from networks where it has not signed in.
    pub per_account: Budget,
    /// Most keys each budget tracks.
    pub max_keys: usize,
    /// Most (account, network) pairs remembered as known.
    pub known_networks: usize,
    /// How long a successful sign-in makes its network known.
    pub known_for: Duration,
    /// Password hashes computed at once (each argon2id hash holds 19 MiB).
    pub hashing_workers: usize,
    /// Password checks waiting for a hashing worker; more get 503 with `Retry-After`.
    pub hashing_queue: usize,
}

impl Default for SignInLimits {
    fn default() -> SignInLimits {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
        SignInLimits {
            per_network: Budget { burst: 20, refill: Duration::from_secs(30) },
            per_account_network: Budget { burst: 5, refill: Duration::from_secs(180) },
            per_account: Budget { burst: 20, refill: Duration::from_secs(300) },
            max_keys: 50_000,
            known_networks: 10_000,
            known_for: Duration::from_secs(30 * 24 * 3600),
            hashing_workers: cores,
            hashing_queue: 4 * cores,
        }
    }
}

/// An IPv4 address, or the /64 an IPv6 address belongs to: one subscriber usually holds a whole /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Network(IpAddr);

impl Network {
    pub fn of(ip: IpAddr) -> Network {
        match ip {
            IpAddr::V4(_) => Network(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Network(IpAddr::V4(v4)),
                None => Network(IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into())),
            },
        }
    }
}

/// A username as the budgets see it: trimmed and lower-cased, so `Admin` and ` admin` share one budget.
type Account = Box<str>;

/// One known (account, network) pair: since when, and how many successes have restarted its budget.
#[derive(Debug, Clone, Copy)]
struct Known {
    at: Instant,
    generation: u32,
}

/// A reserved password check. Pass it back to [`PasswordGate::succeeded`] when the password was right.
#[derive(Debug)]
pub struct Attempt {
    account: Account,
    network: Network,
}

pub struct PasswordGate {
    limits: SignInLimits,
    per_network: KeyedBudget<Network>,
    per_account_network: KeyedBudget<(Account, Network, u32)>,
    per_account: KeyedBudget<Account>,
    known: Mutex<LruCache<(Account, Network), Known>>,
    hashing: HashingPool,
}

const ATTEMPTS: &str = "password attempts";

impl PasswordGate {
    pub fn new(limits: SignInLimits) -> PasswordGate {
        PasswordGate {
            per_network: KeyedBudget::new(limits.per_network, limits.max_keys, ATTEMPTS),
            per_account_network: KeyedBudget::new(limits.per_account_network, limits.max_keys, ATTEMPTS),
            per_account: KeyedBudget::new(limits.per_account, limits.max_keys, ATTEMPTS),
            known: Mutex::new(LruCache::new(limits.known_networks.max(1))),
            hashing: HashingPool::new(limits.hashing_workers, limits.hashing_queue),
            limits,
        }
    }

    /// Reserves one password check for `username` from `client` in every budget that applies, before
    /// anything slow happens; refuses with 429 (and `Retry-After`) when one is spent.
    pub fn admit(&self, username: &str, client: IpAddr) -> Result<Attempt, Problem> {
        if username.len() > MAX_USERNAME_BYTES {
            return Err(Problem::invalid(format!("username: at most {MAX_USERNAME_BYTES} bytes")));
        }
        let account: Account = username.trim().to_lowercase().into();
        let network = Network::of(client);
        let known = self.known_generation(&account, network);
        if known.is_none() {
            self.per_network.take(&network, "from this network")?;
        }
        let pair = (account.clone(), network, known.unwrap_or(0));
        self.per_account_network.take(&pair, "for this account from this network")?;
        if known.is_none() {
            self.per_account.take(&account, "for this account")?;
        }
        Ok(Attempt { account, network })
    }

    /// Records a right password: the network becomes known for the account, and the account's budget
    /// there starts afresh.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        let key = (attempt.account, attempt.network);
        let generation = known.get(&key).map_or(1, |k| k.generation.wrapping_add(1));
        known.insert(key, Known { at: Instant::now(), generation });
    }

    /// Checks `password` against `stored` on the hashing pool; with no stored hash (no such user) a
    /// dummy hash is checked, so the time taken does not tell which usernames exist.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, Problem> {
        self.hashing
            .run(move || match stored {
                Some(hash) => auth::verify_password(&password, &hash),
                None => {
                    auth::verify_password(&password, auth::dummy_hash());
                    false
                }
            })
            .await
    }

    /// Hashes a new password on the hashing pool; a refused password is a 422 naming `field`.
    pub async fn hash(&self, field: &str, password: String) -> Result<String, Problem> {
        self.hashing
            .run(move || auth::hash_password(&password))
            .await?
            .map_err(|e| Problem::invalid(format!("{field}: {e}")))
    }

    /// Keys tracked by the budgets and known networks together, for monitoring and tests.
    pub fn tracked_keys(&self) -> usize {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner()).len();
        self.per_network.len() + self.per_account_network.len() + self.per_account.len() + known
    }

    fn known_generation(&self, account: &Account, network: Network) -> Option<u32> {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        let key = (account.clone(), network);
        match known.get(&key) {
            Some(k) if k.at.elapsed() < self.limits.known_for => Some(k.generation),
            Some(_) => {
                known.remove(&key);
                None
            }
            None => None,
        }
    }
}

/// Runs password hashes on tokio's blocking threads, at most `workers` at once and `queue` waiting;
/// beyond that a check is refused at once with 503 rather than piling up 19 MiB hashes.
struct HashingPool {
    workers: Arc<Semaphore>,
    admission: Semaphore,
}

impl HashingPool {
    fn new(workers: usize, queue: usize) -> HashingPool {
        let workers = workers.max(1);
        HashingPool { workers: Arc::new(Semaphore::new(workers)), admission: Semaphore::new(workers + queue) }
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, Problem> {
        let busy = || Problem::unavailable("too many password checks at once; try again shortly").retry_after(1);
        let _admitted = self.admission.try_acquire().map_err(|_| busy())?;
        let worker = self.workers.clone().acquire_owned().await.map_err(|_| busy())?;
        // The permit moves into the task, so a client that hangs up does not free it before the hash ends.
        tokio::task::spawn_blocking(move || {
            let _worker = worker;
            f()
        })
        .await
        .map_err(Problem::internal)
    }
}

/// The client a password check is charged to: the socket peer, or, when the peer is one of the
/// configured trusted proxies, the last address that proxy appended to `X-Forwarded-For`. Without
/// connection information (a router driven in-process) every request is charged to one unknown client.
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| addr.ip());
        Ok(ClientAddr(client_of(peer, &parts.headers, &state.config.trusted_proxies)))
    }
}

fn client_of(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| hop.trim().parse::<IpAddr>())
        .collect::<Vec<_>>();
    // Walk back from the nearest hop, past our own proxies, to the first address nobody we trust wrote.
    for hop in forwarded.into_iter().rev() {
        match hop {
            Ok(ip) if trusted_proxies.contains(&ip) => continue,
            Ok(ip) => return ip,
            Err(_) => break,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::http::StatusCode;

    use super::*;

    fn status_of<T>(result: &Result<T, Problem>) -> Option<StatusCode> {
        result.as_ref().err().map(Problem::status)
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn small() -> SignInLimits {
        SignInLimits {
            per_network: Budget { burst: 6, refill: Duration::from_secs(3600) },
            per_account_network: Budget { burst: 3, refill: Duration::from_secs(3600) },
            per_account: Budget { burst: 4, refill: Duration::from_secs(3600) },
            max_keys: 8,
            ..SignInLimits::default()
        }
    }

    #[test]
    fn an_account_gets_its_burst_from_one_network_whatever_the_case_of_its_name() {
        let gate = PasswordGate::new(small());
        for name in ["ana", "Ana", " ANA "] {
            assert!(gate.admit(name, ip("10.0.0.1")).is_ok(), "{name}");
        }
        let refused = gate.admit("aNa", ip("10.0.0.1"));
        assert_eq!(status_of(&refused), Some(StatusCode::TOO_MANY_REQUESTS));
        let problem = refused.unwrap_err();
        assert!(problem.retry_after.is_some_and(|s| s > 0));
        assert!(problem.detail.unwrap().contains("this account from this network"));
    }

    #[test]
    fn one_network_spraying_usernames_is_stopped() {
        let gate = PasswordGate::new(small());
        for n in 0..6 {
            assert!(gate.admit(&format!("user{n}"), ip("10.0.0.1")).is_ok());
        }
        let refused = gate.admit("user6", ip("10.0.0.1")).unwrap_err();
        assert!(refused.detail.unwrap().contains("from this network"));
        assert!(gate.admit("user6", ip("10.0.0.2")).is_ok(), "another network has its own budget");
    }

    #[test]
    fn the_owner_signs_in_from_a_known_network_while_others_exhaust_the_account() {
        let gate = PasswordGate::new(small());
        let attempt = gate.admit("ana", ip("10.0.0.1")).unwrap();
        gate.succeeded(attempt);
        // Guesses from four other networks spend the account's budget of four.
        for n in 2..=5 {
            let _ = gate.admit("ana", ip(&format!("10.0.0.{n}")));
        }
        let stranger = gate.admit("ana", ip("10.0.0.9")).unwrap_err();
        assert!(stranger.detail.unwrap().contains("for this account"));
        for _ in 0..3 {
            assert!(gate.admit("ana", ip("10.0.0.1")).is_ok(), "the known network keeps its own budget");
        }
        assert!(gate.admit("ana", ip("10.0.0.1")).is_err(), "which is still a budget");
    }

    #[test]
    fn a_success_restarts_the_budget_of_its_network() {
        let gate = PasswordGate::new(small());
        for _ in 0..2 {
            gate.admit("ana", ip("10.0.0.1")).unwrap();
        }
        gate.succeeded(gate.admit("ana", ip("10.0.0.1")).unwrap());
        for _ in 0..3 {
            assert!(gate.admit("ana", ip("10.0.0.1")).is_ok());
        }
        assert!(gate.admit("ana", ip("10.0.0.1")).is_err());
    }

    #[test]
    fn over_long_usernames_are_refused_before_anything_is_kept() {
        let gate = PasswordGate::new(small());
        let long = "a".repeat(MAX_USERNAME_BYTES + 1);
        assert_eq!(status_of(&gate.admit(&long, ip("10.0.0.1"))), Some(StatusCode::UNPROCESSABLE_ENTITY));
        assert_eq!(gate.tracked_keys(), 0);
    }

    #[test]
    fn budgets_track_a_bounded_number_of_keys() {
        let gate = PasswordGate::new(small());
        let mut refused_full = 0;
        for n in 0..100u32 {
            let client = IpAddr::V4(n.into());
            if let Err(p) = gate.admit(&format!("u{n}"), client) {
                assert_eq!(p.status(), StatusCode::SERVICE_UNAVAILABLE);
                refused_full += 1;
            }
        }
        assert!(refused_full > 0);
        assert!(gate.tracked_keys() <= 3 * 8, "{}", gate.tracked_keys());
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let a: Ipv6Addr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: Ipv6Addr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Network::of(a.into()), Network::of(b.into()));
        assert_ne!(Network::of(a.into()), Network::of(c.into()));
        assert_eq!(Network::of(ip("::ffff:10.0.0.1")), Network::of(ip("10.0.0.1")));
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(X_FORWARDED_FOR, "203.0.113.9, 198.51.100.7, 10.0.0.2".parse().unwrap());
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        assert_eq!(client_of(ip("192.0.2.1"), &headers, &proxies), ip("192.0.2.1"), "an untrusted peer");
        assert_eq!(client_of(ip("10.0.0.1"), &headers, &proxies), ip("198.51.100.7"), "a spoofed first hop");
        assert_eq!(client_of(ip("10.0.0.1"), &HeaderMap::new(), &proxies), ip("10.0.0.1"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn hashing_runs_at_most_the_pool_size_at_once_and_refuses_the_overflow() {
        let pool = Arc::new(HashingPool::new(2, 3));
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (pool, running, peak) = (pool.clone(), running.clone(), peak.clone());
                tokio::spawn(async move {
                    pool.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(100));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        let mut refused = 0;
        for task in tasks {
            if let Err(p) = task.await.unwrap() {
                assert_eq!((p.status(), p.retry_after), (StatusCode::SERVICE_UNAVAILABLE, Some(1)));
                refused += 1;
            }
        }
        assert!(peak.load(Ordering::SeqCst) <= 2);
        assert!(refused >= 20 - 5, "at most 2 running and 3 waiting were admitted, {refused} refused");
    }
}
