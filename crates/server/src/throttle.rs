//! Request budgets. [`KeyedBudget`] is the building block: a burst, then one more request per refill
//! period, per key (a network, an account, ...), for a bounded number of keys. Every public route charges
//! the client's network (an IPv4 address or an IPv6 /64; see [`PublicLimits`]), and every password check
//! (the sign-in form, the JSON session login, a password change) goes through the [`PasswordGate`]:
//! budgets are reserved before the slow hash, and hashes run on a small bounded pool.
//!
//! The password gate has three budgets:
//! - per network: stops one address spraying many usernames;
//! - per account and network: stops one address guessing one account's password;
//! - per account, from networks where the account has not signed in: stops a distributed guess.
//!
//! A network where the account signed in successfully is "known" for it: only the account-and-network
//! budget applies there, and each success starts that budget afresh, so someone exhausting the account's
//! budget from elsewhere does not lock its owner out at the office. Every attempt is charged before the
//! hash, so a burst of concurrent guesses gets exactly the burst through, never more.
//!
//! Servers sharing one store also share the password budgets: each attempt is charged in this process
//! (cheap, and bounding what reaches the store) and then in the store ([`Attempt::shared`],
//! `tangkal_store::BudgetStore`), so that a guesser spreading attempts over several servers gets no more
//! than from one. Known networks stay per process: on another server the stricter budgets apply.
//!
//! Memory is bounded: usernames longer than the store allows are refused before anything is kept, each
//! budget tracks at most its `max_keys` keys (forgetting the ones back at a fresh state first, at most
//! once a second, and refusing new keys with 503 if that is not enough), and known networks are a
//! bounded LRU.

use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use governor::clock::{Clock, DefaultClock};
use governor::nanos::Nanos;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::state::StateStore;
use governor::{Quota, RateLimiter};
use hashlink::LruCache;
use sha2::{Digest, Sha256};
use tangkal_store::BudgetCharge;
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
        Quota::with_period(self.refill.max(Duration::from_nanos(1))).expect("positive period").allow_burst(burst)
    }

    /// `burst` at once, then `per_second` a second.
    pub fn per_second(burst: u32, per_second: u32) -> Budget {
        Budget { burst, refill: Duration::from_secs(1) / per_second.max(1) }
    }
}

/// A refused charge, for the `Retry-After` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter {
    pub seconds: u64,
    /// The key's own budget was not spent: too many other keys are tracked to take one more.
    pub crowded: bool,
}

/// How long a refusal for a full tracker asks clients to wait.
const CROWDED_RETRY_SECS: u64 = 60;

impl RetryAfter {
    /// 429 naming `what` was too many (`"requests from this network"`), or 503 when the tracker was full.
    pub fn problem(self, what: &str) -> Problem {
        let seconds = self.seconds;
        if self.crowded {
            Problem::unavailable(format!("too many clients at once; try again in {seconds} s")).retry_after(seconds)
        } else {
            Problem::too_many(format!("too many {what}; try again in {seconds} s")).retry_after(seconds)
        }
    }
}

/// One [`Budget`] per key, for at most `max_keys` keys at once. Tracked keys are always served; when a
/// new key finds the tracker full, the keys back at a full budget are forgotten (at most once a second:
/// that walks every key), and a new key that still finds no room is refused as crowded, so memory stays
/// bounded whatever clients send.
pub struct KeyedBudget<K: Hash + Eq + Clone> {
    keys: Arc<DashMapStateStore<K>>,
    limiter: RateLimiter<K, SharedKeys<K>, DefaultClock>,
    max_keys: usize,
    last_sweep: Mutex<Option<Instant>>,
}

/// governor's own store of per-key state, shared with the [`KeyedBudget`] so that it can tell a tracked
/// key from a new one.
struct SharedKeys<K: Hash + Eq + Clone>(Arc<DashMapStateStore<K>>);

impl<K: Hash + Eq + Clone> StateStore for SharedKeys<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        self.0.measure_and_replace(key, f)
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for SharedKeys<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        self.0.retain_recent(drop_below)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Hash + Eq + Clone> KeyedBudget<K> {
    pub fn new(budget: Budget, max_keys: usize) -> KeyedBudget<K> {
        let keys = Arc::new(DashMapStateStore::default());
        KeyedBudget {
            limiter: RateLimiter::new(budget.quota(), SharedKeys(keys.clone()), DefaultClock::default()),
            keys,
            max_keys: max_keys.max(1),
            last_sweep: Mutex::new(None),
        }
    }

    /// Charges one request to `key`.
    pub fn check(&self, key: &K) -> Result<(), RetryAfter> {
        if !self.keys.contains_key(key) && self.keys.len() >= self.max_keys && !self.make_room() {
            return Err(RetryAfter { seconds: CROWDED_RETRY_SECS, crowded: true });
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            RetryAfter { seconds: seconds.max(1), crowded: false }
        })
    }

    /// Forgets the keys back at a full budget, unless that was done less than a second ago; true when
    /// there is room for one more key.
    fn make_room(&self) -> bool {
        let mut last = self.last_sweep.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
            self.limiter.retain_recent();
            *last = Some(Instant::now());
        }
        self.keys.len() < self.max_keys
    }

    /// Keys tracked now.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The budget of every public route, charged to the client's network: generous, since one address may
/// stand for many readers (carrier-grade NAT, offices), yet it stops one client from monopolising the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicLimits {
    pub per_network: Budget,
    /// Most networks tracked at once.
    pub max_networks: usize,
}

impl PublicLimits {
    pub const DEFAULT_BURST: u32 = 300;
    pub const DEFAULT_PER_SECOND: u32 = 20;
}

impl Default for PublicLimits {
    fn default() -> PublicLimits {
        PublicLimits {
            per_network: Budget::per_second(PublicLimits::DEFAULT_BURST, PublicLimits::DEFAULT_PER_SECOND),
            max_networks: 100_000,
        }
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

/// A reserved password check. Charge [`Attempt::shared`] to the store before checking the password, and
/// pass it back to [`PasswordGate::succeeded`] when the password was right.
#[derive(Debug)]
pub struct Attempt {
    account: Account,
    network: Network,
    /// The budgets that every server sharing the store draws from (see [`tangkal_store::BudgetStore`]);
    /// the first, the account's from this network, starts afresh when the password is right.
    pub shared: Vec<BudgetCharge>,
}

impl Attempt {
    /// The shared budget that a right password restores.
    pub fn restored_on_success(&self) -> [u8; 16] {
        self.shared[0].key
    }
}

impl Budget {
    /// This budget for `whose` (its scope and key), as the store keeps it: under a hash, so that the
    /// store holds no username someone typed (perhaps their password) or address.
    fn shared(self, scope: &str, whose: &str) -> BudgetCharge {
        let digest = Sha256::new().chain_update(scope).chain_update([0]).chain_update(whose).finalize();
        let mut key = [0; 16];
        key.copy_from_slice(&digest[..16]);
        BudgetCharge { key, burst: self.burst, refill: self.refill }
    }
}

/// The refusal for a budget shared with other servers that is spent.
pub fn shared_refusal(wait: Duration) -> Problem {
    let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    RetryAfter { seconds, crowded: false }.problem("password attempts for this account or from this network")
}

pub struct PasswordGate {
    limits: SignInLimits,
    per_network: KeyedBudget<Network>,
    per_account_network: KeyedBudget<(Account, Network, u32)>,
    per_account: KeyedBudget<Account>,
    known: Mutex<LruCache<(Account, Network), Known>>,
    hashing: HashingPool,
}

impl PasswordGate {
    pub fn new(limits: SignInLimits) -> PasswordGate {
        PasswordGate {
            per_network: KeyedBudget::new(limits.per_network, limits.max_keys),
            per_account_network: KeyedBudget::new(limits.per_account_network, limits.max_keys),
            per_account: KeyedBudget::new(limits.per_account, limits.max_keys),
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
        fn refused(scope: &'static str) -> impl Fn(RetryAfter) -> Problem {
            move |r| r.problem(&format!("password attempts {scope}"))
        }
        if known.is_none() {
            self.per_network.check(&network).map_err(refused("from this network"))?;
        }
        let pair = (account.clone(), network, known.unwrap_or(0));
        self.per_account_network.check(&pair).map_err(refused("for this account from this network"))?;
        let mut shared =
            vec![self.limits.per_account_network.shared("account-network", &format!("{account}@{}", network.0))];
        if known.is_none() {
            self.per_account.check(&account).map_err(refused("for this account"))?;
            shared.push(self.limits.per_network.shared("network", &network.0.to_string()));
            shared.push(self.limits.per_account.shared("account", &account));
        }
        Ok(Attempt { account, network, shared })
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

/// The client a budget is charged to: the socket peer, or, when the peer is one of the
/// configured trusted proxies, the last address that proxy appended to `X-Forwarded-For`. Without
/// connection information (a router driven in-process) every request is charged to one unknown client.
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_ip(&parts.extensions, &parts.headers, &state.config.trusted_proxies)))
    }
}

/// The client of a request, as [`ClientAddr`] tells it.
pub fn client_ip(extensions: &Extensions, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| addr.ip());
    client_of(peer, headers, trusted_proxies)
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
    fn a_keyed_budget_refuses_each_key_past_its_burst_and_new_keys_past_its_size() {
        let budget = KeyedBudget::new(Budget { burst: 2, refill: Duration::from_secs(3600) }, 3);
        assert_eq!((budget.check(&1), budget.check(&1)), (Ok(()), Ok(())));
        let spent = budget.check(&1).unwrap_err();
        assert!(!spent.crowded && (3000..=3600).contains(&spent.seconds), "{spent:?}");
        let problem = spent.problem("requests from this network");
        assert_eq!((problem.status(), problem.retry_after), (StatusCode::TOO_MANY_REQUESTS, Some(spent.seconds)));
        assert!(problem.detail.unwrap().starts_with("too many requests from this network"));
        assert!(budget.check(&2).is_ok() && budget.check(&3).is_ok(), "other keys have their own budget");
        let crowded = budget.check(&4).unwrap_err();
        assert!(crowded.crowded);
        assert_eq!(crowded.problem("x").status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(budget.len(), 3);
        assert!(budget.check(&2).is_ok(), "tracked keys go on");
    }

    #[test]
    fn a_full_keyed_budget_forgets_keys_back_at_a_full_budget() {
        let budget = KeyedBudget::new(Budget { burst: 1, refill: Duration::from_millis(1) }, 2);
        assert!(budget.check(&1).is_ok() && budget.check(&2).is_ok());
        std::thread::sleep(Duration::from_millis(20));
        assert!(budget.check(&3).is_ok(), "the idle keys made room");
        assert!(budget.len() <= 2);
    }

    #[test]
    fn public_budgets_are_per_second_rates() {
        assert_eq!(Budget::per_second(300, 20), Budget { burst: 300, refill: Duration::from_millis(50) });
        assert_eq!(Budget::per_second(1, 0).refill, Duration::from_secs(1), "at least one a second");
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
