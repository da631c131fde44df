//! Organisations, users, login sessions and API tokens. Secrets are stored only as hashes made by the
//! caller (argon2id for passwords, SHA-256 for random session and token secrets).

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use tangkal_cases::Role;

use crate::audit::{self, Entry};
use crate::{Result, SqliteStore, StoreError};

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

fn role_of(text: String) -> rusqlite::Result<Role> {
    Role::parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("unknown role {text}").into())
    })
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
const USER_COLUMNS: &str = user_columns!();
const USER_FROM: &str = user_from!();
const SELECT_USER: &str = concat!("SELECT ", user_columns!(), " ", user_from!());

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: role_of(r.get(3)?)?,
        platform: r.get(4)?,
        organisation: r.get(5)?,
        time_zone: r.get(6)?,
        disabled: r.get(7)?,
        created_at: time(r.get(8)?),
    })
}

const SELECT_TOKEN: &str = "SELECT t.id, t.user_id, u.username, t.name, t.role, t.created_at, t.revoked_at
    FROM api_tokens t JOIN users u ON u.id = t.user_id";

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        user_id: r.get(1)?,
        username: r.get(2)?,
        name: r.get(3)?,
        role: role_of(r.get(4)?)?,
        created_at: time(r.get(5)?),
        revoked_at: r.get::<_, Option<i64>>(6)?.map(time),
    })
}

/// What [`UserStore::add_user`] accepts as a username, as a regular expression for the API document.
pub const USERNAME_PATTERN: &str = "^[A-Za-z0-9._-]{1,64}$";
pub const MAX_DISPLAY_NAME_CHARS: usize = 200;
pub const MAX_TOKEN_NAME_CHARS: usize = 100;

fn valid_username(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl UserStore for SqliteStore {
    fn count_users(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))? as u64)
    }

    fn add_user(&mut self, user: &NewUser<'_>, actor: &str, now: DateTime<Utc>) -> Result<User> {
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
            return Err(StoreError::invalid(
                "display_name",
                format!("is longer than {MAX_DISPLAY_NAME_CHARS} characters"),
            ));
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let taken: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)", params![user.username], |r| {
                r.get(0)
            })?;
        if taken {
            return Err(StoreError::Conflict(format!("username {:?} is taken", user.username)));
        }
        let org_id: i64 = tx.query_row(
            "INSERT INTO organisations (name, created_at) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
            params![user.organisation.trim(), now.timestamp()],
            |r| r.get(0),
        )?;
        let platform = user.platform.map(|p| p.trim().to_lowercase());
        tx.execute(
            "INSERT INTO users (org_id, username, display_name, role, platform, password_hash, time_zone, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                org_id,
                user.username,
                user.display_name,
                user.role.as_str(),
                platform,
                user.password_hash,
                user.time_zone,
                now.timestamp()
            ],
        )?;
        let id = tx.last_insert_rowid();
        let created = tx.query_row(&format!("{SELECT_USER} WHERE u.id = ?1"), params![id], user_row)?;
        audit::append(&tx, &self.audit, Entry::created(actor, "user", id, "user.add", &created)?, now)?;
        tx.commit()?;
        Ok(created)
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        Ok(self
            .conn
            .prepare_cached(&format!("{SELECT_USER} WHERE u.id = ?1"))?
            .query_row(params![id], user_row)
            .optional()?)
    }

    fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("{SELECT_USER} WHERE u.username = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row(params![username], user_row).optional()?)
    }

    fn password_hash(&self, user_id: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT password_hash FROM users WHERE id = ?1", params![user_id], |r| r.get(0))
            .optional()?)
    }

    fn list_users(&self) -> Result<Vec<User>> {
        let mut stmt = self.conn.prepare(&format!("{SELECT_USER} ORDER BY u.id"))?;
        let rows = stmt.query_map([], user_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn set_password(
        &mut self,
        id: i64,
        password_hash: &str,
        keep_session: Option<&[u8]>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if tx.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", params![id, password_hash])? == 0 {
            return Ok(false);
        }
        tx.execute(
            "DELETE FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR token_hash <> ?2)",
            params![id, keep_session],
        )?;
        // The hash itself stays out of the trail.
        let entry = Entry {
            actor,
            entity: "user",
            entity_id: id.to_string(),
            action: "user.password",
            before: None,
            after: None,
        };
        audit::append(&tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(true)
    }

    fn set_user_disabled(&mut self, id: i64, disabled: bool, actor: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let select = format!("{SELECT_USER} WHERE u.id = ?1");
        let Some(before) = tx.query_row(&select, params![id], user_row).optional()? else {
            return Ok(None);
        };
        tx.execute("UPDATE users SET disabled = ?2 WHERE id = ?1", params![id, disabled])?;
        if disabled {
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", params![id])?;
        }
        let after = tx.query_row(&select, params![id], user_row)?;
        let entry =
            Entry::changed(actor, "user", id, if disabled { "user.disable" } else { "user.enable" }, &before, &after)?;
        audit::append(&tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(Some(after))
    }

    fn create_session(
        &mut self,
        token_hash: &[u8],
        user_id: i64,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        // Long-expired sessions are swept here rather than by a timer.
        let kept_since = now - chrono::Duration::days(EXPIRED_SESSIONS_KEPT_DAYS);
        self.conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", params![kept_since.timestamp()])?;
        self.conn.execute(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash, user_id, csrf_token, now.timestamp(), expires_at.timestamp()],
        )?;
        Ok(())
    }

    fn session_user(&self, token_hash: &[u8]) -> Result<Option<(User, Session)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, s.expires_at {USER_FROM} JOIN sessions s ON s.user_id = u.id
             WHERE s.token_hash = ?1"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![token_hash], |r| {
                Ok((user_row(r)?, Session { csrf_token: r.get(9)?, expires_at: time(r.get(10)?) }))
            })
            .optional()?)
    }

    fn delete_session(&mut self, token_hash: &[u8]) -> Result<()> {
        self.conn.execute("DELETE FROM sessions WHERE token_hash = ?1", params![token_hash])?;
        Ok(())
    }

    fn create_token(
        &mut self,
        user_id: i64,
        name: &str,
        role: Role,
        token_hash: &[u8],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ApiToken> {
        if name.trim().is_empty() || name.chars().count() > MAX_TOKEN_NAME_CHARS {
            return Err(StoreError::invalid("name", format!("must be 1 to {MAX_TOKEN_NAME_CHARS} characters")));
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let owner = tx
            .query_row(&format!("{SELECT_USER} WHERE u.id = ?1"), params![user_id], user_row)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id} does not exist")))?;
        if !owner.role.may_issue_token_for(role) {
            let allowed = owner.role.token_scopes().iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
            return Err(StoreError::Conflict(format!(
                "role: a token may narrow its owner's role, never widen it; {} is {}, so their tokens may act as \
                 {allowed}, not {role}",
                owner.username, owner.role
            )));
        }
        tx.execute(
            "INSERT INTO api_tokens (user_id, name, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user_id, name.trim(), role.as_str(), token_hash, now.timestamp()],
        )?;
        let id = tx.last_insert_rowid();
        let token = tx.query_row(&format!("{SELECT_TOKEN} WHERE t.id = ?1"), params![id], token_row)?;
        audit::append(&tx, &self.audit, Entry::created(actor, "token", id, "token.create", &token)?, now)?;
        tx.commit()?;
        Ok(token)
    }

    fn token_user(&self, token_hash: &[u8]) -> Result<Option<(User, ApiToken)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.id, t.name, t.role, t.created_at, t.revoked_at {USER_FROM}
             JOIN api_tokens t ON t.user_id = u.id WHERE t.token_hash = ?1"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![token_hash], |r| {
                let user = user_row(r)?;
                let token = ApiToken {
                    id: r.get(9)?,
                    user_id: user.id,
                    username: user.username.clone(),
                    name: r.get(10)?,
                    role: role_of(r.get(11)?)?,
                    created_at: time(r.get(12)?),
                    revoked_at: r.get::<_, Option<i64>>(13)?.map(time),
                };
                Ok((user, token))
            })
            .optional()?)
    }

    fn revoke_token(&mut self, id: i64, actor: &str, now: DateTime<Utc>) -> Result<Option<ApiToken>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let select = format!("{SELECT_TOKEN} WHERE t.id = ?1");
        let Some(before) = tx.query_row(&select, params![id], token_row).optional()? else {
            return Ok(None);
        };
        if before.revoked_at.is_some() {
            return Ok(Some(before));
        }
        tx.execute("UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1", params![id, now.timestamp()])?;
        let after = tx.query_row(&select, params![id], token_row)?;
        let entry = Entry::changed(actor, "token", id, "token.revoke", &before, &after)?;
        audit::append(&tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(Some(after))
    }

    fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        let mut stmt = self.conn.prepare(&format!("{SELECT_TOKEN} ORDER BY t.id"))?;
        let rows = stmt.query_map([], token_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
