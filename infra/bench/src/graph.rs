//! The follow graph as the benchmark needs it: who follows whom, to pick accounts by their
//! number of followers and followees.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Password the loader gives every account.
pub const PASSWORD: &str = "chirp-password";

pub struct Graph {
    /// Followees of each account.
    pub following: BTreeMap<String, BTreeSet<String>>,
    /// Followers of each account.
    pub followers: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let mut following: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut followers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for line in text.lines() {
            let mut fields = line.split_whitespace();
            let (Some(a), Some(b)) = (fields.next(), fields.next()) else { continue };
            if a == b {
                continue;
            }
            let (a, b) = (format!("user{a}"), format!("user{b}"));
            following.entry(a.clone()).or_default().insert(b.clone());
            followers.entry(b).or_default().insert(a);
        }
        Ok(Self { following, followers })
    }

    pub fn accounts(&self) -> Vec<String> {
        let all: BTreeSet<&String> = self.following.keys().chain(self.followers.keys()).collect();
        all.into_iter().cloned().collect()
    }

    /// The account whose followee count is closest to `target`.
    pub fn following_about(&self, target: usize) -> Option<(String, usize)> {
        self.following
            .iter()
            .min_by_key(|(_, set)| set.len().abs_diff(target))
            .map(|(user, set)| (user.clone(), set.len()))
    }

    /// The account with the most followers, and one with exactly one follower.
    pub fn follower_extremes(&self) -> Option<((String, usize), (String, usize))> {
        let most = self.followers.iter().max_by_key(|(_, set)| set.len())?;
        let few = self.followers.iter().find(|(_, set)| set.len() == 1).or_else(|| self.followers.iter().min_by_key(|(_, set)| set.len()))?;
        Some(((few.0.clone(), few.1.len()), (most.0.clone(), most.1.len())))
    }
}
