//! Organisations, users, login sessions and API tokens on PostgreSQL. Sessions and tokens live only in
//! the database, so every server sharing it accepts and ends the same ones.

use ::postgres::types::ToSql;
use ::postgres::Row;
use chrono::{DateTime, Utc};
use tangkal_cases::Role;

use super::audit::append;
use crate::audit::Entry;
use crate::users::{
    check_new_user, check_token_name, check_token_role, disabled_action, password_changed, sessions_kept_since,
    stored_platform, time, username_taken, SELECT_SESSION_USER, SELECT_TOKEN, SELECT_TOKEN_USER, SELECT_USER,
};
use crate::{ApiToken, NewUser, Result, Session, StoreError, User, UserStore};

use super::connection::{GenericClient, Transaction};
use super::PostgresStore;

/// A stored enum's text parsed back, or [`StoreError::Corrupt`] when this build does not know it.
pub(super) fn stored_enum<T>(text: String, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("unknown value {text}")))
}

fn user_row(r: &Row) -> Result<User> {
    Ok(User {
        id: r.get(0),
        username: r.get(1),
        display_name: r.get(2),
        role: stored_enum(r.get(3), Role::parse)?,
        platform: r.get(4),
        organisation: r.get(5),
        time_zone: r.get(6),
        disabled: r.get(7),
        created_at: time(r.get(8)),
    })
}

fn token_row(r: &Row) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0),
        user_id: r.get(1),
        username: r.get(2),
        name: r.get(3),
        role: stored_enum(r.get(4), Role::parse)?,
        created_at: time(r.get(5)),
        revoked_at: r.get::<_, Option<i64>>(6).map(time),
    })
}

/// `lock` is empty or a locking clause (`FOR UPDATE OF u`).
fn user_where_id(client: &mut impl GenericClient, id: i64, lock: &str) -> Result<Option<User>> {
    client.query_opt(&format!("{SELECT_USER} WHERE u.id = $1 {lock}"), &[&id])?.as_ref().map(user_row).transpose()
}

/// The token, locked until the transaction ends.
fn lock_token(tx: &mut Transaction<'_>, id: i64) -> Result<Option<ApiToken>> {
    tx.query_opt(&format!("{SELECT_TOKEN} WHERE t.id = $1 FOR UPDATE OF t"), &[&id])?
        .as_ref()
        .map(token_row)
        .transpose()
}

impl UserStore for PostgresStore {
    fn count_users(&self) -> Result<u64> {
        Ok(self.client().query_one("SELECT COUNT(*) FROM users", &[])?.get::<_, i64>(0) as u64)
    }

    fn add_user(&mut self, user: &NewUser<'_>, actor: &str, now: DateTime<Utc>) -> Result<User> {
        check_new_user(user)?;
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let taken: bool =
            tx.query_one("SELECT EXISTS (SELECT 1 FROM users WHERE username = $1)", &[&user.username])?.get(0);
        if taken {
            return Err(username_taken(user.username));
        }
        let org_id: i64 = tx
            .query_one(
                "INSERT INTO organisations (name, created_at) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
                &[&user.organisation.trim(), &now.timestamp()],
            )?
            .get(0);
        // Another server may take the name between the check above and here: the unique key decides, and
        // the loser is told as if it had checked after the winner.
        let inserted = tx.query_opt(
            "INSERT INTO users (org_id, username, display_name, role, platform, password_hash, time_zone, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (username) DO NOTHING RETURNING id",
            &[
                &org_id as &(dyn ToSql + Sync),
                &user.username,
                &user.display_name,
                &user.role.as_str(),
                &stored_platform(user),
                &user.password_hash,
                &user.time_zone,
                &now.timestamp(),
            ],
        )?;
        let Some(inserted) = inserted else {
            return Err(username_taken(user.username));
        };
        let id: i64 = inserted.get(0);
        let created = user_row(&tx.query_one(&format!("{SELECT_USER} WHERE u.id = $1"), &[&id])?)?;
        append(&mut tx, &self.audit, Entry::created(actor, "user", id, "user.add", &created)?, now)?;
        tx.commit()?;
        Ok(created)
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        user_where_id(&mut *self.client(), id, "")
    }

    fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let row = self.client().query_opt(&format!("{SELECT_USER} WHERE u.username = $1"), &[&username])?;
        row.as_ref().map(user_row).transpose()
    }

    fn password_hash(&self, user_id: i64) -> Result<Option<String>> {
        let row = self.client().query_opt("SELECT password_hash FROM users WHERE id = $1", &[&user_id])?;
        Ok(row.map(|r| r.get(0)))
    }

    fn list_users(&self) -> Result<Vec<User>> {
        self.client().query(&format!("{SELECT_USER} ORDER BY u.id"), &[])?.iter().map(user_row).collect()
    }

    fn set_password(
        &mut self,
        id: i64,
        password_hash: &str,
        keep_session: Option<&[u8]>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        if tx.execute("UPDATE users SET password_hash = $2 WHERE id = $1", &[&id, &password_hash])? == 0 {
            return Ok(false);
        }
        tx.execute(
            "DELETE FROM sessions WHERE user_id = $1 AND ($2::BYTEA IS NULL OR token_hash <> $2)",
            &[&id, &keep_session],
        )?;
        append(&mut tx, &self.audit, password_changed(actor, id), now)?;
        tx.commit()?;
        Ok(true)
    }

    fn set_user_disabled(&mut self, id: i64, disabled: bool, actor: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // Locked: of two servers changing the user at once, the second records the first's outcome as before.
        let Some(before) = user_where_id(&mut tx, id, "FOR UPDATE OF u")? else {
            return Ok(None);
        };
        tx.execute("UPDATE users SET disabled = $2 WHERE id = $1", &[&id, &disabled])?;
        if disabled {
            tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&id])?;
        }
        let after = user_row(&tx.query_one(&format!("{SELECT_USER} WHERE u.id = $1"), &[&id])?)?;
        let entry = Entry::changed(actor, "user", id, disabled_action(disabled), &before, &after)?;
        append(&mut tx, &self.audit, entry, now)?;
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
        let mut client = self.client();
        // Long-expired sessions are swept here rather than by a timer.
        client.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&sessions_kept_since(now)])?;
        client.execute(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[&token_hash, &user_id, &csrf_token, &now.timestamp(), &expires_at.timestamp()],
        )?;
        Ok(())
    }

    fn session_user(&self, token_hash: &[u8]) -> Result<Option<(User, Session)>> {
        let row = self.client().query_opt(&format!("{SELECT_SESSION_USER} WHERE s.token_hash = $1"), &[&token_hash])?;
        row.map(|r| Ok((user_row(&r)?, Session { csrf_token: r.get(9), expires_at: time(r.get(10)) }))).transpose()
    }

    fn delete_session(&mut self, token_hash: &[u8]) -> Result<()> {
        self.client().execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])?;
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
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let owner = user_where_id(&mut tx, user_id, "")?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id} does not exist")))?;
        check_token_role(&owner, role)?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO api_tokens (user_id, name, role, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)
                 RETURNING id",
                &[&user_id, &name.trim(), &role.as_str(), &token_hash, &now.timestamp()],
            )?
            .get(0);
        let token = token_row(&tx.query_one(&format!("{SELECT_TOKEN} WHERE t.id = $1"), &[&id])?)?;
        append(&mut tx, &self.audit, Entry::created(actor, "token", id, "token.create", &token)?, now)?;
        tx.commit()?;
        Ok(token)
    }

    fn token_user(&self, token_hash: &[u8]) -> Result<Option<(User, ApiToken)>> {
        let row = self.client().query_opt(&format!("{SELECT_TOKEN_USER} WHERE t.token_hash = $1"), &[&token_hash])?;
        row.map(|r| {
            let user = user_row(&r)?;
            let token = ApiToken {
                id: r.get(9),
                user_id: user.id,
                username: user.username.clone(),
                name: r.get(10),
                role: stored_enum(r.get(11), Role::parse)?,
                created_at: time(r.get(12)),
                revoked_at: r.get::<_, Option<i64>>(13).map(time),
            };
            Ok((user, token))
        })
        .transpose()
    }

    fn revoke_token(&mut self, id: i64, actor: &str, now: DateTime<Utc>) -> Result<Option<ApiToken>> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // Locked: a second revocation at once waits, then finds the token revoked and records nothing.
        let Some(before) = lock_token(&mut tx, id)? else {
            return Ok(None);
        };
        if before.revoked_at.is_some() {
            return Ok(Some(before));
        }
        tx.execute("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1", &[&id, &now.timestamp()])?;
        let after = token_row(&tx.query_one(&format!("{SELECT_TOKEN} WHERE t.id = $1"), &[&id])?)?;
        let entry = Entry::changed(actor, "token", id, "token.revoke", &before, &after)?;
        append(&mut tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(Some(after))
    }

    fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        self.client().query(&format!("{SELECT_TOKEN} ORDER BY t.id"), &[])?.iter().map(token_row).collect()
    }
}
