//! Organisations, users, sessions and API tokens on SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use tangkal_cases::Role;

use crate::audit::Entry;
use crate::users::{
    check_new_user, check_token_name, check_token_role, disabled_action, password_changed, sessions_kept_since,
    stored_platform, time, username_taken, SELECT_SESSION_USER, SELECT_TOKEN, SELECT_TOKEN_USER, SELECT_USER,
};
use crate::{ApiToken, NewUser, Result, Session, SqliteStore, StoreError, User, UserStore};

fn role_of(text: String) -> rusqlite::Result<Role> {
    Role::parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("unknown role {text}").into())
    })
}

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

impl UserStore for SqliteStore {
    fn count_users(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))? as u64)
    }

    fn add_user(&mut self, user: &NewUser<'_>, actor: &str, now: DateTime<Utc>) -> Result<User> {
        check_new_user(user)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let taken: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)", params![user.username], |r| {
                r.get(0)
            })?;
        if taken {
            return Err(username_taken(user.username));
        }
        let org_id: i64 = tx.query_row(
            "INSERT INTO organisations (name, created_at) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
            params![user.organisation.trim(), now.timestamp()],
            |r| r.get(0),
        )?;
        let platform = stored_platform(user);
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
        super::audit::append(&tx, &self.audit, Entry::created(actor, "user", id, "user.add", &created)?, now)?;
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
        super::audit::append(&tx, &self.audit, password_changed(actor, id), now)?;
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
        let entry = Entry::changed(actor, "user", id, disabled_action(disabled), &before, &after)?;
        super::audit::append(&tx, &self.audit, entry, now)?;
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
        self.conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", params![sessions_kept_since(now)])?;
        self.conn.execute(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash, user_id, csrf_token, now.timestamp(), expires_at.timestamp()],
        )?;
        Ok(())
    }

    fn session_user(&self, token_hash: &[u8]) -> Result<Option<(User, Session)>> {
        let sql = format!("{SELECT_SESSION_USER} WHERE s.token_hash = ?1");
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
        check_token_name(name)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let owner = tx
            .query_row(&format!("{SELECT_USER} WHERE u.id = ?1"), params![user_id], user_row)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id} does not exist")))?;
        check_token_role(&owner, role)?;
        tx.execute(
            "INSERT INTO api_tokens (user_id, name, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user_id, name.trim(), role.as_str(), token_hash, now.timestamp()],
        )?;
        let id = tx.last_insert_rowid();
        let token = tx.query_row(&format!("{SELECT_TOKEN} WHERE t.id = ?1"), params![id], token_row)?;
        super::audit::append(&tx, &self.audit, Entry::created(actor, "token", id, "token.create", &token)?, now)?;
        tx.commit()?;
        Ok(token)
    }

    fn token_user(&self, token_hash: &[u8]) -> Result<Option<(User, ApiToken)>> {
        let sql = format!("{SELECT_TOKEN_USER} WHERE t.token_hash = ?1");
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
        super::audit::append(&tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(Some(after))
    }

    fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        let mut stmt = self.conn.prepare(&format!("{SELECT_TOKEN} ORDER BY t.id"))?;
        let rows = stmt.query_map([], token_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
