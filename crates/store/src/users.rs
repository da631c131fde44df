//! Organisations, users, login sessions and API tokens. Secrets are stored only as hashes made by the
//! caller (argon2id for passwords, SHA-256 for random session and token secrets).

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use tangkal_cases::Role;

use crate::audit::Entry;
use crate::{Result, StoreError};

/// A user on the way in.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    /// Required for platform liaisons, refused for everyone else.
    pub platform: Option<&'a str>,
    /// Created if it does not exist yet.
    pub organisation: &'a str,
    /// An argon2id PHC string.
    pub password_hash: &'a str,
    /// IANA name, e.g. `Asia/Jakarta`; checked by the caller.
    pub time_zone: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub platform: Option<String>,
    pub organisation: String,
    pub time_zone: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// An API token's record; the secret itself is shown once at creation and never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A login session's record; its secret is the cookie, stored only as a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// Days an expired session's record is kept, to tell its late requests why they are refused.
pub const EXPIRED_SESSIONS_KEPT_DAYS: i64 = 7;

pub trait UserStore {
    fn count_users(&self) -> Result<u64>;
    /// Refuses a taken username and a platform binding that does not fit the role.
    fn add_user(&mut self, user: &NewUser<'_>, actor: &str, now: DateTime<Utc>) -> Result<User>;
    fn user(&self, id: i64) -> Result<Option<User>>;
    fn user_by_name(&self, username: &str) -> Result<Option<User>>;
    /// The stored password hash, for login.
    fn password_hash(&self, user_id: i64) -> Result<Option<String>>;
    fn list_users(&self) -> Result<Vec<User>>;
    /// Replaces the password hash and ends the user's other sessions (all of them when `keep_session`
    /// is None).
    fn set_password(
        &mut self,
        id: i64,
        password_hash: &str,
        keep_session: Option<&[u8]>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Disabling also ends the user's sessions; tokens stop working while the user is disabled.
    fn set_user_disabled(&mut self, id: i64, disabled: bool, actor: &str, now: DateTime<Utc>) -> Result<Option<User>>;

    fn create_session(
        &mut self,
        token_hash: &[u8],
        user_id: i64,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// The user behind a session, expired or not (expired sessions are kept for
    /// [`EXPIRED_SESSIONS_KEPT_DAYS`] so that a late request can be told its session expired).
    fn session_user(&self, token_hash: &[u8]) -> Result<Option<(User, Session)>>;
    fn delete_session(&mut self, token_hash: &[u8]) -> Result<()>;

    /// Refuses a role the owner may not issue (see `Role::may_issue_token_for`).
    fn create_token(
        &mut self,
        user_id: i64,
        name: &str,
        role: Role,
        token_hash: &[u8],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ApiToken>;
    /// The user behind a token, and the token, revoked or not: the caller tells a revoked token or a
    /// disabled owner apart from an unknown secret.
    fn token_user(&self, token_hash: &[u8]) -> Result<Option<(User, ApiToken)>>;
    fn revoke_token(&mut self, id: i64, actor: &str, now: DateTime<Utc>) -> Result<Option<ApiToken>>;
    fn list_tokens(&self) -> Result<Vec<ApiToken>>;
}

pub(crate) fn time(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

macro_rules! user_columns {
    () => {
        "u.id, u.username, u.display_name, u.role, u.platform, o.name, u.time_zone, u.disabled, u.created_at"
    };
}
macro_rules! user_from {
    () => {
        "FROM users u JOIN organisations o ON o.id = u.org_id"
    };
}
pub(crate) const SELECT_USER: &str = concat!("SELECT ", user_columns!(), " ", user_from!());
/// A user with the csrf token and expiry of their session (columns 9 and 10); the caller adds the
/// condition on the session's hash.
pub(crate) const SELECT_SESSION_USER: &str = concat!(
    "SELECT ",
    user_columns!(),
    ", s.csrf_token, s.expires_at ",
    user_from!(),
    " JOIN sessions s ON s.user_id = u.id"
);
/// A user with the id, name, role, creation and revocation of their token (columns 9 to 13); the caller
/// adds the condition on the token's hash.
pub(crate) const SELECT_TOKEN_USER: &str = concat!(
    "SELECT ",
    user_columns!(),
    ", t.id, t.name, t.role, t.created_at, t.revoked_at ",
    user_from!(),
    " JOIN api_tokens t ON t.user_id = u.id"
);

pub(crate) const SELECT_TOKEN: &str = "SELECT t.id, t.user_id, u.username, t.name, t.role, t.created_at, t.revoked_at
    FROM api_tokens t JOIN users u ON u.id = t.user_id";

/// What [`UserStore::add_user`] accepts as a username, as a regular expression for the API document.
pub const USERNAME_PATTERN: &str = "^[A-Za-z0-9._-]{1,64}$";
pub const MAX_DISPLAY_NAME_CHARS: usize = 200;
pub const MAX_TOKEN_NAME_CHARS: usize = 100;

fn valid_username(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Refuses a user that no backend would store; whether the username is free is the backend's to check.
pub(crate) fn check_new_user(user: &NewUser<'_>) -> Result<()> {
    if !valid_username(user.username) {
        return Err(StoreError::invalid(
            "username",
            format!("{:?}: use 1 to 64 letters, digits, '.', '_' or '-'", user.username),
        ));
    }
    if user.role.needs_platform() != user.platform.is_some() {
        return Err(StoreError::invalid(
            "platform",
            if user.role.needs_platform() {
                "is required: a platform liaison is bound to one platform".into()
            } else {
                format!("must be absent: only a platform liaison is bound to a platform, not a {}", user.role)
            },
        ));
    }
    if user.organisation.trim().is_empty() {
        return Err(StoreError::invalid("organisation", "must not be empty"));
    }
    if user.display_name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(StoreError::invalid("display_name", format!("is longer than {MAX_DISPLAY_NAME_CHARS} characters")));
    }
    Ok(())
}

pub(crate) fn username_taken(username: &str) -> StoreError {
    StoreError::Conflict(format!("username {username:?} is taken"))
}

/// A liaison's platform as stored: trimmed and lower-case.
pub(crate) fn stored_platform(user: &NewUser<'_>) -> Option<String> {
    user.platform.map(|p| p.trim().to_lowercase())
}

/// The trail's event of a new password; the hash itself stays out of the trail.
pub(crate) fn password_changed(actor: &str, id: i64) -> Entry<'_> {
    Entry { actor, entity: "user", entity_id: id.to_string(), action: "user.password", before: None, after: None }
}

pub(crate) fn disabled_action(disabled: bool) -> &'static str {
    if disabled {
        "user.disable"
    } else {
        "user.enable"
    }
}

pub(crate) fn check_token_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().count() > MAX_TOKEN_NAME_CHARS {
        return Err(StoreError::invalid("name", format!("must be 1 to {MAX_TOKEN_NAME_CHARS} characters")));
    }
    Ok(())
}

/// Refuses a token that would act with more than its owner's role.
pub(crate) fn check_token_role(owner: &User, role: Role) -> Result<()> {
    if !owner.role.may_issue_token_for(role) {
        let allowed = owner.role.token_scopes().iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
        return Err(StoreError::Conflict(format!(
            "role: a token may narrow its owner's role, never widen it; {} is {}, so their tokens may act as \
             {allowed}, not {role}",
            owner.username, owner.role
        )));
    }
    Ok(())
}

/// Where [`UserStore::create_session`] sweeps: sessions that expired at or before this are deleted.
pub(crate) fn sessions_kept_since(now: DateTime<Utc>) -> i64 {
    (now - chrono::Duration::days(EXPIRED_SESSIONS_KEPT_DAYS)).timestamp()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::testing::{on_both_backends, Backend};
    use crate::{AuditFilter, Store};

    on_both_backends!(
        users_are_added_once_by_name_and_checked,
        sessions_are_shared_by_every_connection_and_swept_after_a_week,
        a_new_password_ends_the_other_sessions,
        disabling_ends_sessions_and_tokens_follow_their_owner,
        tokens_narrow_their_owner_and_are_revoked_once,
        of_connections_adding_one_name_at_once_exactly_one_wins,
    );

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 4, 3, 0, 0).unwrap()
    }

    fn new_user(username: &str, role: Role) -> NewUser<'_> {
        NewUser {
            username,
            display_name: "Ana",
            role,
            platform: None,
            organisation: " Tangkal ",
            password_hash: "$argon2id$first",
            time_zone: "Asia/Jakarta",
        }
    }

    fn actions(store: &dyn Store) -> Vec<String> {
        store.audit_events(&AuditFilter::default(), 100, 0).unwrap().into_iter().map(|e| e.action).collect()
    }

    fn users_are_added_once_by_name_and_checked(backend: &Backend) {
        let mut store = backend.open();
        let ana = store.add_user(&new_user("ana", Role::Analyst), "admin", t0()).unwrap();
        assert_eq!(
            (ana.username.as_str(), ana.organisation.as_str(), ana.disabled, ana.created_at),
            ("ana", "Tangkal", false, t0())
        );
        let liaison = NewUser { platform: Some(" TikTok "), ..new_user("lia", Role::PlatformLiaison) };
        let lia = store.add_user(&liaison, "admin", t0()).unwrap();
        assert_eq!(lia.platform.as_deref(), Some("tiktok"));

        let taken = store.add_user(&new_user("ana", Role::Reviewer), "admin", t0()).unwrap_err();
        assert!(matches!(&taken, StoreError::Conflict(m) if m == "username \"ana\" is taken"), "{taken:?}");
        for (user, field) in [
            (new_user("a b", Role::Analyst), "username"),
            (NewUser { platform: Some("x"), ..new_user("bob", Role::Analyst) }, "platform"),
            (new_user("bob", Role::PlatformLiaison), "platform"),
            (NewUser { organisation: " ", ..new_user("bob", Role::Analyst) }, "organisation"),
        ] {
            let refused = store.add_user(&user, "admin", t0()).unwrap_err();
            assert!(matches!(refused, StoreError::Invalid { field: f, .. } if f == field), "{refused:?}");
        }

        let other = backend.open();
        assert_eq!(other.count_users().unwrap(), 2);
        assert_eq!(other.user(ana.id).unwrap(), Some(ana.clone()));
        assert_eq!(other.user_by_name("lia").unwrap(), Some(lia.clone()));
        assert_eq!(other.user_by_name("bob").unwrap(), None);
        assert_eq!(other.list_users().unwrap(), vec![ana.clone(), lia]);
        assert_eq!(other.password_hash(ana.id).unwrap().as_deref(), Some("$argon2id$first"));
        assert_eq!(other.password_hash(999).unwrap(), None);
        assert_eq!(actions(other.as_ref()), ["user.add", "user.add"]);
    }

    fn sessions_are_shared_by_every_connection_and_swept_after_a_week(backend: &Backend) {
        let (mut one, mut two) = (backend.open(), backend.open());
        let ana = one.add_user(&new_user("ana", Role::Analyst), "admin", t0()).unwrap();
        one.create_session(b"old", ana.id, "csrf-old", t0(), t0() + Duration::hours(8)).unwrap();
        let (user, session) = two.session_user(b"old").unwrap().unwrap();
        assert_eq!(
            (user, session),
            (ana.clone(), Session { csrf_token: "csrf-old".into(), expires_at: t0() + Duration::hours(8) })
        );
        assert_eq!(two.session_user(b"unknown").unwrap(), None);

        // Expired, the session is still found (to say so) until a week after its expiry.
        let later = t0() + Duration::hours(8) + Duration::days(EXPIRED_SESSIONS_KEPT_DAYS);
        two.create_session(b"new", ana.id, "csrf-new", later - Duration::seconds(1), later).unwrap();
        assert!(one.session_user(b"old").unwrap().is_some());
        two.create_session(b"newer", ana.id, "csrf-newer", later, later + Duration::hours(8)).unwrap();
        assert_eq!(one.session_user(b"old").unwrap(), None);

        // Signing out on one server ends the session on every other.
        one.delete_session(b"newer").unwrap();
        assert_eq!(two.session_user(b"newer").unwrap(), None);
        assert!(two.session_user(b"new").unwrap().is_some());
        let again = one.create_session(b"new", ana.id, "csrf", later, later).unwrap_err();
        assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");
        // Sessions are not audited.
        assert_eq!(actions(one.as_ref()), ["user.add"]);
    }

    fn a_new_password_ends_the_other_sessions(backend: &Backend) {
        let mut store = backend.open();
        let ana = store.add_user(&new_user("ana", Role::Analyst), "admin", t0()).unwrap();
        for hash in [b"a", b"b", b"c"] {
            store.create_session(hash, ana.id, "csrf", t0(), t0() + Duration::hours(8)).unwrap();
        }
        assert!(store.set_password(ana.id, "$argon2id$second", Some(b"b"), "ana", t0()).unwrap());
        let alive = |store: &dyn Store| {
            [b"a", b"b", b"c"].into_iter().filter(|h| store.session_user(*h).unwrap().is_some()).count()
        };
        assert_eq!(alive(store.as_ref()), 1);
        assert!(store.session_user(b"b").unwrap().is_some());
        assert_eq!(store.password_hash(ana.id).unwrap().as_deref(), Some("$argon2id$second"));
        assert!(store.set_password(ana.id, "$argon2id$third", None, "admin", t0()).unwrap());
        assert_eq!(alive(store.as_ref()), 0);
        assert!(!store.set_password(999, "x", None, "admin", t0()).unwrap());
        let events = store.audit_events(&AuditFilter::default(), 100, 0).unwrap();
        let last = events.last().unwrap();
        assert_eq!(
            (last.action.as_str(), last.actor.as_str(), &last.before, &last.after),
            ("user.password", "admin", &None, &None)
        );
        assert_eq!(events.len(), 3);
    }

    fn disabling_ends_sessions_and_tokens_follow_their_owner(backend: &Backend) {
        let mut store = backend.open();
        let ana = store.add_user(&new_user("ana", Role::Analyst), "admin", t0()).unwrap();
        store.create_session(b"s", ana.id, "csrf", t0(), t0() + Duration::hours(8)).unwrap();
        store.create_token(ana.id, "feed", Role::Analyst, b"t", "ana", t0()).unwrap();

        let disabled = store.set_user_disabled(ana.id, true, "admin", t0()).unwrap().unwrap();
        assert!(disabled.disabled);
        let other = backend.open();
        assert_eq!(other.session_user(b"s").unwrap(), None);
        // The token is still found, with its owner disabled: the caller refuses it and says why.
        let (owner, token) = other.token_user(b"t").unwrap().unwrap();
        assert!(owner.disabled && token.revoked_at.is_none());
        assert!(other.user(ana.id).unwrap().unwrap().disabled);

        let enabled = store.set_user_disabled(ana.id, false, "admin", t0()).unwrap().unwrap();
        assert!(!enabled.disabled && !other.token_user(b"t").unwrap().unwrap().0.disabled);
        assert_eq!(store.set_user_disabled(999, true, "admin", t0()).unwrap(), None);
        let events = store.audit_events(&AuditFilter { entity: Some("user".into()), ..Default::default() }, 100, 0);
        let events = events.unwrap();
        assert_eq!(
            events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["user.add", "user.disable", "user.enable"]
        );
        assert!(events[1].before.as_deref().unwrap().contains(r#""disabled":false"#));
        assert!(events[1].after.as_deref().unwrap().contains(r#""disabled":true"#));
    }

    fn tokens_narrow_their_owner_and_are_revoked_once(backend: &Backend) {
        let mut store = backend.open();
        let ana = store.add_user(&new_user("ana", Role::Analyst), "admin", t0()).unwrap();
        let token = store.create_token(ana.id, " feed ", Role::Analyst, b"t1", "ana", t0()).unwrap();
        assert_eq!(
            (token.user_id, token.username.as_str(), token.name.as_str(), token.role, token.created_at),
            (ana.id, "ana", "feed", Role::Analyst, t0())
        );
        let wider = store.create_token(ana.id, "wide", Role::Admin, b"t2", "ana", t0()).unwrap_err();
        assert!(matches!(&wider, StoreError::Conflict(m) if m.starts_with("role: a token may narrow")), "{wider:?}");
        let unnamed = store.create_token(ana.id, " ", Role::Analyst, b"t2", "ana", t0()).unwrap_err();
        assert!(matches!(unnamed, StoreError::Invalid { field: "name", .. }), "{unnamed:?}");
        let nobody = store.create_token(999, "x", Role::Analyst, b"t2", "ana", t0()).unwrap_err();
        assert!(matches!(nobody, StoreError::NotFound(_)), "{nobody:?}");
        let reused = store.create_token(ana.id, "again", Role::Analyst, b"t1", "ana", t0()).unwrap_err();
        assert!(matches!(reused, StoreError::Conflict(_)), "{reused:?}");

        let mut other = backend.open();
        assert_eq!(other.token_user(b"t1").unwrap(), Some((ana.clone(), token.clone())));
        assert_eq!(other.token_user(b"t2").unwrap(), None);
        let later = t0() + Duration::minutes(5);
        let revoked = other.revoke_token(token.id, "admin", later).unwrap().unwrap();
        assert_eq!(revoked.revoked_at, Some(later));
        // Revoking again changes and records nothing.
        assert_eq!(store.revoke_token(token.id, "admin", later + Duration::minutes(1)).unwrap(), Some(revoked.clone()));
        assert_eq!(store.revoke_token(999, "admin", later).unwrap(), None);
        assert_eq!(store.token_user(b"t1").unwrap().unwrap().1, revoked);
        assert_eq!(store.list_tokens().unwrap(), vec![revoked]);
        assert_eq!(actions(store.as_ref()), ["user.add", "token.create", "token.revoke"]);
    }

    /// A name another server takes after this one checked it and before it inserts: the unique key
    /// decides, and this one is told the name is taken, as if it had checked after the other.
    #[test]
    fn postgres_a_name_taken_between_check_and_insert_is_taken() {
        use crate::{AuditFiles, PostgresStore, ScratchSchema};
        let (scratch, dir) = (ScratchSchema::create().unwrap(), tempfile::tempdir().unwrap());
        let app = format!("{}_adder", scratch.name());
        let url = format!("{}&application_name={app}", scratch.url());
        let mut first = PostgresStore::connect(&url, AuditFiles::in_data_dir(dir.path())).unwrap();
        first.add_user(&new_user("bob", Role::Analyst), "admin", t0()).unwrap();
        let mut other = ::postgres::Client::connect(&scratch.url(), ::postgres::NoTls).unwrap();
        let mut taking = other.transaction().unwrap();
        taking
            .execute(
                "INSERT INTO users (org_id, username, display_name, role, password_hash, time_zone, created_at)
                 SELECT org_id, 'ana', 'Ana', 'analyst', 'x', 'UTC', 0 FROM users WHERE username = 'bob'",
                &[],
            )
            .unwrap();
        std::thread::scope(|scope| {
            let adding = scope.spawn(|| first.add_user(&new_user("ana", Role::Analyst), "admin", t0()));
            // The adder has checked (the other's row is not committed yet) and now waits on the unique key.
            let mut watcher = ::postgres::Client::connect(&scratch.url(), ::postgres::NoTls).unwrap();
            let waits =
                "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'";
            while watcher.query_one(waits, &[&app]).unwrap().get::<_, i64>(0) == 0 {
                assert!(!adding.is_finished(), "{:?}", adding.join());
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            taking.commit().unwrap();
            let taken = adding.join().unwrap().unwrap_err();
            assert!(matches!(&taken, StoreError::Conflict(m) if m == "username \"ana\" is taken"), "{taken:?}");
        });
        assert_eq!(first.count_users().unwrap(), 2);
        assert_eq!(actions(&first), ["user.add"]);
    }

    /// Servers sharing a database: the same username added on several at once is taken by exactly one,
    /// and the others are told it is taken.
    fn of_connections_adding_one_name_at_once_exactly_one_wins(backend: &Backend) {
        const CONNECTIONS: usize = 4;
        let start = std::sync::Barrier::new(CONNECTIONS);
        let outcomes: Vec<Result<User>> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..CONNECTIONS)
                .map(|_| {
                    let start = &start;
                    scope.spawn(move || {
                        let mut store = backend.open();
                        start.wait();
                        store.add_user(&new_user("ana", Role::Analyst), "admin", t0())
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
        for outcome in outcomes.iter().filter(|o| o.is_err()) {
            assert!(matches!(outcome, Err(StoreError::Conflict(m)) if m == "username \"ana\" is taken"), "{outcome:?}");
        }
        let store = backend.open();
        assert_eq!(store.count_users().unwrap(), 1);
        assert_eq!(actions(store.as_ref()), ["user.add"]);
        assert_eq!(store.verify_audit().unwrap().problems, vec![]);
    }
}
