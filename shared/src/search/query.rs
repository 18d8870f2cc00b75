//! Parsing the `q` parameter of tweet search: words, `#tag`, `@name` and `from:name`.

use std::collections::BTreeSet;

use super::terms::{fold, word_terms};
use crate::error::{DomainError, DomainResult};
use crate::model::user::user_id_of;

/// Maximum terms of one query; each adds an in-memory check per candidate, not a read.
pub const MAX_QUERY_TERMS: usize = 20;

/// A parsed search query: terms every tweet must contain, and an optional author.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub terms: BTreeSet<String>,
    /// User id (lower-cased username) of `from:name`.
    pub author_id: Option<String>,
}

/// Parses a query. Each white-space separated token is `#tag` (a hashtag), `@name` (a mention),
/// `from:name` (the author) or text whose words all become terms. A query with neither terms
/// nor an author gets a validation error on `q`.
pub fn parse_query(q: &str) -> DomainResult<SearchQuery> {
    let mut query = SearchQuery::default();
    for token in q.split_whitespace() {
        if let Some(name) = token.strip_prefix("from:") {
            let author = user_id_of(name.trim_start_matches('@'));
            if author.is_empty() {
                return Err(DomainError::field("q", "Put a username after from:, as in from:alice."));
            }
            if query.author_id.as_ref().is_some_and(|existing| *existing != author) {
                return Err(DomainError::field("q", "Use from: at most once."));
            }
            query.author_id = Some(author);
        } else if let Some(tag) = tagged(token, '#') {
            query.terms.insert(format!("#{tag}"));
        } else if let Some(name) = tagged(token, '@') {
            query.terms.insert(format!("@{name}"));
        } else {
            query.terms.extend(word_terms(token));
        }
    }
    if query.terms.is_empty() && query.author_id.is_none() {
        return Err(DomainError::field("q", "Enter at least one word, #tag, @name or from:name."));
    }
    if query.terms.len() > MAX_QUERY_TERMS {
        return Err(DomainError::field("q", format!("Use at most {MAX_QUERY_TERMS} words.")));
    }
    Ok(query)
}

/// The folded name after a leading `sigil`, with trailing punctuation dropped, as the tweet
/// extractors would read it; `None` when the token is not a tag.
fn tagged(token: &str, sigil: char) -> Option<String> {
    let folded = fold(token);
    let extracted = match sigil {
        '#' => crate::model::tweet::extract_hashtags(&folded),
        _ => crate::model::tweet::extract_mentions(&folded),
    };
    if !folded.starts_with(sigil) {
        return None;
    }
    extracted.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &str) -> Vec<String> {
        parse_query(q).unwrap().terms.into_iter().collect()
    }

    #[test]
    fn words_tags_and_author() {
        let query = parse_query("Rust #Lang @Bob from:Alice").unwrap();
        assert_eq!(query.author_id.as_deref(), Some("alice"));
        assert_eq!(query.terms.into_iter().collect::<Vec<_>>(), vec!["#lang", "@bob", "rust"]);
    }

    #[test]
    fn punctuation_splits_words() {
        assert_eq!(terms("hello,world!"), vec!["hello", "world"]);
        assert_eq!(terms("CAFÉ"), vec!["café"]);
    }

    #[test]
    fn empty_queries_rejected() {
        for q in ["", "   ", "!!!", "from:"] {
            assert!(parse_query(q).is_err(), "{q:?} was accepted");
        }
    }

    #[test]
    fn two_authors_rejected() {
        assert!(parse_query("from:a from:b").is_err());
        assert!(parse_query("from:a from:A").is_ok());
    }
}
