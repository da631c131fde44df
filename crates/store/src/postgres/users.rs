//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::audit::{self, Entry};
use crate::{Result, SqliteStore, StoreError};
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use tangkal_cases::Role;

use super::PostgresStore;
use crate::*;

impl UserStore for PostgresStore {
    fn count_users(&self) -> Result<u64> {
        unimplemented!("UserStore::count_users on PostgreSQL")
    }
    fn add_user(&mut self, user: &NewUser<'_>, actor: &str, now: DateTime<Utc>) -> Result<User> {
        unimplemented!("UserStore::add_user on PostgreSQL")
    }
    fn user(&self, id: i64) -> Result<Option<User>> {
        unimplemented!("UserStore::user on PostgreSQL")
    }
    fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        unimplemented!("UserStore::user_by_name on PostgreSQL")
    }
    fn password_hash(&self, user_id: i64) -> Result<Option<String>> {
        unimplemented!("UserStore::password_hash on PostgreSQL")
    }
    fn list_users(&self) -> Result<Vec<User>> {
        unimplemented!("UserStore::list_users on PostgreSQL")
    }
    fn set_password(
        &mut self,
        id: i64,
        password_hash: &str,
        keep_session: Option<&[u8]>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        unimplemented!("UserStore::set_password on PostgreSQL")
    }
    fn set_user_disabled(&mut self, id: i64, disabled: bool, actor: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        unimplemented!("UserStore::set_user_disabled on PostgreSQL")
    }
    fn create_session(
        &mut self,
        token_hash: &[u8],
        user_id: i64,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        unimplemented!("UserStore::create_session on PostgreSQL")
    }
    fn session_user(&self, token_hash: &[u8]) -> Result<Option<(User, Session)>> {
        unimplemented!("UserStore::session_user on PostgreSQL")
    }
    fn delete_session(&mut self, token_hash: &[u8]) -> Result<()> {
        unimplemented!("UserStore::delete_session on PostgreSQL")
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
        unimplemented!("UserStore::create_token on PostgreSQL")
    }
    fn token_user(&self, token_hash: &[u8]) -> Result<Option<(User, ApiToken)>> {
        unimplemented!("UserStore::token_user on PostgreSQL")
    }
    fn revoke_token(&mut self, id: i64, actor: &str, now: DateTime<Utc>) -> Result<Option<ApiToken>> {
        unimplemented!("UserStore::revoke_token on PostgreSQL")
    }
    fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        unimplemented!("UserStore::list_tokens on PostgreSQL")
    }
}
