//! Index items of search, written only by the indexer stream consumer: one item per (term,
//! tweet) and one per (prefix, user).

use std::collections::BTreeSet;

use super::terms::{fold, tweet_terms};
use crate::keys;
use crate::model::{Tweet, User};
use crate::store::{Item, Key, string};

pub const TERM_ENTITY: &str = "search_term";
pub const PREFIX_ENTITY: &str = "search_prefix";

/// Longest prefix, in characters, with index items of its own. A longer query reads the items
/// of its first this many characters and checks the rest in memory.
pub const MAX_PREFIX_CHARS: usize = 8;

/// Keys of the term items of a tweet with this content.
pub fn term_keys(tweet_id: &str, content: &str) -> Vec<Key> {
    tweet_terms(content).iter().map(|term| keys::term_entry(term, tweet_id)).collect()
}

/// The term items of a tweet. Each carries the author, so `from:` is checked before the tweet
/// is read.
pub fn term_items(tweet: &Tweet) -> Vec<Item> {
    tweet_terms(&tweet.content)
        .iter()
        .map(|term| {
            let mut item = keys::term_entry(term, &tweet.id).to_item();
            item.insert("entity".into(), string(TERM_ENTITY));
            item.insert("tweet_id".into(), string(&tweet.id));
            item.insert("author_id".into(), string(&tweet.author_id));
            item
        })
        .collect()
}

/// Every prefix of 1 to [`MAX_PREFIX_CHARS`] characters of the folded username and display
/// name.
pub fn user_prefixes(username: &str, display_name: &str) -> BTreeSet<String> {
    let mut prefixes = BTreeSet::new();
    for name in [fold(username), fold(display_name)] {
        let mut prefix = String::new();
        for c in name.chars().take(MAX_PREFIX_CHARS) {
            prefix.push(c);
            prefixes.insert(prefix.clone());
        }
    }
    prefixes
}

/// The prefix items of a user. Each carries the folded names, so a query longer than
/// [`MAX_PREFIX_CHARS`] is checked in memory.
pub fn prefix_items(user: &User) -> Vec<Item> {
    user_prefixes(&user.username, &user.display_name)
        .iter()
        .map(|prefix| {
            let mut item = keys::user_prefix_entry(prefix, &user.user_id).to_item();
            item.insert("entity".into(), string(PREFIX_ENTITY));
            item.insert("user_id".into(), string(&user.user_id));
            item.insert("username_folded".into(), string(fold(&user.username)));
            item.insert("display_name_folded".into(), string(fold(&user.display_name)));
            item
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_of_both_names() {
        let prefixes = user_prefixes("Alice", "Zoë Q");
        for expected in ["a", "al", "alice", "z", "zo", "zoë", "zoë q"] {
            assert!(prefixes.contains(expected), "{expected} missing from {prefixes:?}");
        }
        assert!(!prefixes.contains("Alice"));
    }

    #[test]
    fn prefixes_stop_at_maximum() {
        let prefixes = user_prefixes("abcdefghijkl", "");
        assert_eq!(prefixes.len(), MAX_PREFIX_CHARS);
    }
}
