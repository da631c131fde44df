//! The accounts a demo or a drill makes for each desk role, so that the people trying it can sign in
//! as any of them; their passwords are new on every start and printed, never stored in the clear.

use chrono::Utc;
use tangkal_cases::{Actor, Role, UserRef};
use tangkal_store::{NewUser, Store};

/// One account per desk role, `{by}-admin`, `{by}-analyst` and so on, enabled with a new password; the
/// liaison works with `liaison_platform`. Returns role, user name and password.
pub(crate) fn sign_ins(
    store: &mut dyn Store,
    by: &str,
    liaison_platform: &str,
) -> anyhow::Result<Vec<(Role, String, String)>> {
    let accounts = [
        ("admin", Role::Admin, None),
        ("analyst", Role::Analyst, None),
        ("reviewer", Role::Reviewer, None),
        ("communicator", Role::Communicator, None),
        ("liaison", Role::PlatformLiaison, Some(liaison_platform)),
    ];
    let mut logins = Vec::new();
    for (name, role, platform) in accounts {
        let actor = account(store, &format!("{by}-{name}"), role, platform, by)?;
        let password = tangkal_server::auth::new_secret();
        let hash = tangkal_server::auth::hash_password(&password)?;
        let now = Utc::now();
        store.set_password(actor.user.id, &hash, None, by, now)?;
        store.set_user_disabled(actor.user.id, false, by, now)?;
        logins.push((role, actor.user.name, password));
    }
    Ok(logins)
}

/// The account `username`, created disabled with a password nobody knows when it does not exist yet
/// (`by` names who made it in the audit trail); [`sign_ins`] enables it with a password it prints.
pub(crate) fn account(
    store: &mut dyn Store,
    username: &str,
    role: Role,
    platform: Option<&str>,
    by: &str,
) -> anyhow::Result<Actor> {
    let user = match store.user_by_name(username)? {
        Some(user) => user,
        None => {
            let now = Utc::now();
            let hash = tangkal_server::auth::hash_password(&tangkal_server::auth::new_secret())?;
            let user = store.add_user(
                &NewUser {
                    username,
                    display_name: username,
                    role,
                    platform,
                    organisation: tangkal_server::api::accounts::DEFAULT_ORGANISATION,
                    password_hash: &hash,
                    time_zone: tangkal_server::views::DEFAULT_TIME_ZONE.name(),
                },
                by,
                now,
            )?;
            store.set_user_disabled(user.id, true, by, now)?.unwrap_or(user)
        }
    };
    Ok(Actor::new(UserRef { id: user.id, name: user.username }, user.role, user.platform))
}

/// Prints where to sign in and each account's password.
pub(crate) fn print_sign_ins(local: &str, logins: &[(Role, String, String)]) {
    println!("\nSign in at {local}/login (passwords are new on every start):");
    for (role, username, password) in logins {
        println!("   {:<18} {:<20} {password}", role.as_str(), username);
    }
}
