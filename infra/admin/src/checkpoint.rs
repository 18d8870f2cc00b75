//! Resumable walks over every user: a checkpoint item records the last user finished, so a
//! run stopped by Ctrl-C or a crash continues after it, and a finished run removes it.

use std::future::Future;
use std::sync::Arc;

use chirp_shared::error::DomainResult;
use chirp_shared::keys;
use chirp_shared::store::{Item, ItemExt, Store, string};
use indicatif::{ProgressBar, ProgressStyle};

use crate::users::all_user_ids;

/// Runs `step` on every user in user id order, starting after the checkpoint of `command` if
/// there is one, with a progress bar on stderr. Saves the checkpoint after each user.
pub async fn for_each_user<F, Fut>(store: &Arc<dyn Store>, command: &str, mut step: F) -> DomainResult<()>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = DomainResult<()>>,
{
    let key = keys::checkpoint(command);
    let resume_after = store.get(&key).await?.and_then(|item| item.string("last_user_id").map(str::to_owned));
    let ids = all_user_ids(store).await?;
    let done = resume_after.as_ref().map_or(0, |last| ids.partition_point(|id| id <= last));
    if let Some(last) = &resume_after {
        eprintln!("{command}: resuming after user {last:?} ({done} of {} users done)", ids.len());
    }

    let progress = ProgressBar::new(ids.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} users, {eta} left")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    progress.set_message(command.to_owned());
    progress.set_position(done as u64);
    for user_id in ids.into_iter().skip(done) {
        step(user_id.clone()).await?;
        let mut item: Item = key.to_item();
        item.insert("entity".into(), string("checkpoint"));
        item.insert("last_user_id".into(), string(&user_id));
        store.put(item, None).await?;
        progress.inc(1);
    }
    progress.finish();
    store.delete(&key, None).await?;
    Ok(())
}
