//! Prefix items of users: written at registration, changed when the display name changes.

use std::collections::BTreeSet;
use std::sync::Arc;

use chirp_shared::error::DomainResult;
use chirp_shared::keys;
use chirp_shared::model::User;
use chirp_shared::search::index::{prefix_items, user_prefixes};
use chirp_shared::store::{BatchWrite, Store};

/// Brings a user's prefix items from the old image to the new one; either may be absent.
pub async fn reindex(store: &Arc<dyn Store>, old: Option<&User>, new: Option<&User>) -> DomainResult<()> {
    let names = |user: &User| (user.username.clone(), user.display_name.clone());
    if let (Some(old), Some(new)) = (old, new) {
        // Counter and bio changes leave the names, and so the prefixes, as they were.
        if names(old) == names(new) {
            return Ok(());
        }
    }
    let new_prefixes: BTreeSet<String> =
        new.map(|user| user_prefixes(&user.username, &user.display_name)).unwrap_or_default();
    let mut writes: Vec<BatchWrite> = Vec::new();
    if let Some(old) = old {
        writes.extend(
            user_prefixes(&old.username, &old.display_name)
                .difference(&new_prefixes)
                .map(|prefix| BatchWrite::Delete(keys::user_prefix_entry(prefix, &old.user_id))),
        );
    }
    // Every new prefix is put again, because the folded names each item carries may change.
    writes.extend(new.map(prefix_items).unwrap_or_default().into_iter().map(BatchWrite::Put));
    if writes.is_empty() {
        return Ok(());
    }
    store.batch_write(writes).await?;
    Ok(())
}
