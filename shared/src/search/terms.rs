//! The tokeniser shared by indexing and querying, so a query term and an indexed term of the
//! same text are always the same string.
//!
//! Text is normalised to NFC and lower-cased (Unicode `to_lowercase`, then NFC again, because
//! lower-casing can leave a composed character decomposed). Words are the Unicode word
//! boundaries of UAX #29 (`unicode_words`), so punctuation separates words and `don't` stays
//! one word. Hashtags and mentions also become terms of their own, `#tag` and `@name`.

use std::collections::BTreeSet;

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use crate::model::tweet::{extract_hashtags, extract_mentions};

/// Maximum bytes of one term. Longer words are cut at a character boundary, both when indexing
/// and when querying, so they still match; DynamoDB takes partition keys of up to 2,048 bytes.
pub const MAX_TERM_BYTES: usize = 200;

/// Normalises text for matching: NFC, lower case, NFC again.
///
/// NOTE: this is lower-casing, not full Unicode case folding, so `STRASSE` does not match
/// `straße`.
pub fn fold(text: &str) -> String {
    let composed: String = text.nfc().collect();
    composed.to_lowercase().nfc().collect()
}

/// The plain word terms of a text, folded, in order of appearance and with repeats.
pub fn word_terms(text: &str) -> Vec<String> {
    fold(text).unicode_words().map(truncate).collect()
}

/// Every term of a tweet's content: its words, `#tag` for each hashtag and `@name` for each
/// mention, without repeats.
pub fn tweet_terms(content: &str) -> BTreeSet<String> {
    let mut terms: BTreeSet<String> = word_terms(content).into_iter().collect();
    let folded = fold(content);
    terms.extend(extract_hashtags(&folded).into_iter().map(|tag| truncate(&format!("#{tag}"))));
    terms.extend(extract_mentions(&folded).into_iter().map(|name| format!("@{name}")));
    terms
}

fn truncate(term: &str) -> String {
    if term.len() <= MAX_TERM_BYTES {
        return term.to_owned();
    }
    let mut end = MAX_TERM_BYTES;
    while !term.is_char_boundary(end) {
        end -= 1;
    }
    term[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_hashtags_and_mentions() {
        let terms = tweet_terms("Hello, World! #Rust is fun @Alice's don't");
        for expected in ["hello", "world", "rust", "#rust", "is", "fun", "@alice", "don't"] {
            assert!(terms.contains(expected), "{expected} missing from {terms:?}");
        }
        assert!(!terms.contains("hello,"));
    }

    #[test]
    fn case_and_normal_form_fold_together() {
        assert_eq!(word_terms("CAFÉ"), vec!["café"]);
        assert_eq!(word_terms("cafe\u{301}"), vec!["café"]);
        assert_eq!(word_terms("Ünïcode"), word_terms("ünïcode"));
    }

    #[test]
    fn long_words_truncated_at_char_boundary() {
        let word = "é".repeat(150);
        let terms = word_terms(&word);
        assert!(terms[0].len() <= MAX_TERM_BYTES);
        assert_eq!(terms, word_terms(&word));
    }
}
