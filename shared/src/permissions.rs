//! Roles and every role check. Handlers and domain functions ask here, so the rule of each
//! moderation action lives in one place; `docs/moderation.md` lists them per endpoint.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, DomainResult};

/// Role of an account. Stored on the user item (absent means `user`) and copied into each
/// session at login.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    User,
    Moderator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Moderator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    /// Parses a role name as the API and the CLI spell it (`user`, `moderator`, `admin`).
    pub fn parse(name: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == name)
            .ok_or_else(|| format!("Unknown role {name:?}; use user, moderator or admin."))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Performer of a moderation action: an authenticated account with its role, or an operator
/// at the `chirp-admin` command line, who has every right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    Account { user_id: String, role: Role },
    Operator,
}

impl Actor {
    /// Name written into audit items.
    pub fn audit_name(&self) -> String {
        match self {
            Actor::Account { user_id, .. } => user_id.clone(),
            Actor::Operator => "operator".into(),
        }
    }

    fn role(&self) -> Role {
        match self {
            Actor::Account { role, .. } => *role,
            Actor::Operator => Role::Admin,
        }
    }

    fn is(&self, user_id: &str) -> bool {
        matches!(self, Actor::Account { user_id: own, .. } if own == user_id)
    }
}

fn denied(detail: &str) -> DomainError {
    DomainError::Forbidden(detail.into())
}

/// Any moderation endpoint: moderators and admins.
pub fn require_moderator(actor: &Actor) -> DomainResult<()> {
    if actor.role() >= Role::Moderator { Ok(()) } else { Err(denied("This action needs the moderator role.")) }
}

/// Role changes and the audit list: admins only.
pub fn require_admin(actor: &Actor) -> DomainResult<()> {
    if actor.role() >= Role::Admin { Ok(()) } else { Err(denied("This action needs the admin role.")) }
}

/// Deleting a tweet: its author, or a moderator or admin.
pub fn require_can_delete_tweet(actor: &Actor, author_id: &str) -> DomainResult<()> {
    if actor.is(author_id) {
        return Ok(());
    }
    require_moderator(actor)
}

/// Suspending or reinstating `target`: a moderator may act on a `user`, an admin also on a
/// moderator. No one acts on an admin or on their own account, so the last admin cannot be
/// locked out.
pub fn require_can_suspend(actor: &Actor, target_id: &str, target_role: Role) -> DomainResult<()> {
    require_moderator(actor)?;
    if actor.is(target_id) {
        return Err(denied("You cannot suspend or reinstate your own account."));
    }
    match target_role {
        Role::User => Ok(()),
        Role::Moderator => require_admin(actor),
        Role::Admin => Err(denied("An admin cannot be suspended; demote the account first.")),
    }
}

/// Changing `target`'s role: admins, never on their own account.
pub fn require_can_set_role(actor: &Actor, target_id: &str) -> DomainResult<()> {
    require_admin(actor)?;
    if actor.is(target_id) {
        return Err(denied("You cannot change your own role."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(user_id: &str, role: Role) -> Actor {
        Actor::Account { user_id: user_id.into(), role }
    }

    #[test]
    fn moderator_suspends_users_only() {
        let moderator = account("mod", Role::Moderator);
        assert!(require_can_suspend(&moderator, "bob", Role::User).is_ok());
        assert!(require_can_suspend(&moderator, "other", Role::Moderator).is_err());
        assert!(require_can_suspend(&moderator, "root", Role::Admin).is_err());
        assert!(require_can_suspend(&moderator, "mod", Role::Moderator).is_err());
    }

    #[test]
    fn admin_suspends_moderators() {
        let admin = account("root", Role::Admin);
        assert!(require_can_suspend(&admin, "mod", Role::Moderator).is_ok());
        assert!(require_can_set_role(&admin, "mod").is_ok());
        assert!(require_can_set_role(&admin, "root").is_err());
    }

    #[test]
    fn user_deletes_own_tweets_only() {
        let user = account("bob", Role::User);
        assert!(require_can_delete_tweet(&user, "bob").is_ok());
        assert!(require_can_delete_tweet(&user, "alice").is_err());
        assert!(require_moderator(&user).is_err());
        assert!(require_can_delete_tweet(&Actor::Operator, "alice").is_ok());
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("root").is_err());
    }
}
