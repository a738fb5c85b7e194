//! Near-duplicate rationales: `duplicate_of`, a rationale that nearly repeats an earlier one
//! written for another change.
//!
//! A rationale's *shingles* are its runs of [`SHINGLE_WORDS`] consecutive words (the words of
//! [`super::words::words`], so case and punctuation do not count); a rationale with fewer words is
//! one shingle, its whole word sequence. Two rationales are near duplicates when the Jaccard
//! similarity of their shingle sets is at least [`THRESHOLD`].
//!
//! Comparing every pair is quadratic, so [`Duplicates`] finds candidates with MinHash and
//! locality-sensitive hashing (as datatrove and the `gaoya` crate do): each rationale gets
//! [`PERMUTATIONS`] minimum hashes, cut into [`BANDS`] bands; two rationales are candidates when a
//! whole band matches. The exact Jaccard of the candidates' shingle sets decides, so a hash
//! collision never makes a duplicate, and the estimate only decides what is compared. With 16
//! bands of 8 rows, a pair at Jaccard 0.8 is a candidate with probability 0.95, one at 0.5 with
//! probability 0.06. Everything is seeded by constants: the same rationales give the same answer
//! on every machine.

use std::collections::HashMap;

use super::words::{bounded, words};

/// Words in a shingle. Three, as in near-duplicate detection of web text at the scale of a
/// sentence: one or two words match across unrelated rationales ("the cache"), three rarely.
pub const SHINGLE_WORDS: usize = 3;
/// The least Jaccard similarity of two rationales' shingles that makes them near duplicates.
pub const THRESHOLD: f64 = 0.8;
/// Minimum hashes per rationale.
pub const PERMUTATIONS: usize = 128;
/// Bands of the locality-sensitive index; each holds `PERMUTATIONS / BANDS` rows.
pub const BANDS: usize = 16;
const ROWS: usize = PERMUTATIONS / BANDS;

/// A rationale's shingles, hashed, sorted and without repeats.
pub fn shingles(rationale: &str) -> Vec<u64> {
    let words = words(bounded(rationale));
    let mut hashes: Vec<u64> = if words.len() < SHINGLE_WORDS {
        if words.is_empty() {
            return Vec::new();
        }
        vec![hash_words(&words)]
    } else {
        words.windows(SHINGLE_WORDS).map(hash_words).collect()
    };
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// The Jaccard similarity of two sorted, repeat-free shingle sets (0 when both are empty).
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common) as f64
}

/// Rationales seen so far, in order, each under the id of its pair; answers which earlier one a
/// new rationale nearly repeats.
pub struct Duplicates<Id> {
    seen: Vec<(Id, Vec<u64>)>,
    /// For each band, the band's hash to the indexes into `seen` that have it.
    bands: Vec<HashMap<u64, Vec<usize>>>,
}

/// Empty, with its bands ready: a derived default would have none, and would never find a
/// candidate.
impl<Id: Clone + PartialEq> Default for Duplicates<Id> {
    fn default() -> Self {
        Self::new()
    }
}

impl<Id: Clone + PartialEq> Duplicates<Id> {
    pub fn new() -> Self {
        Duplicates { seen: Vec::new(), bands: (0..BANDS).map(|_| HashMap::new()).collect() }
    }

    /// How many rationales have been added.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// The id of the earliest added rationale, under another id, that `rationale` nearly repeats.
    pub fn find(&self, id: &Id, rationale: &str) -> Option<Id> {
        let shingles = shingles(rationale);
        self.find_shingles(id, &shingles, &band_hashes(&shingles))
    }

    /// Adds `rationale` under `id` and answers what [`Duplicates::find`] would have answered
    /// just before.
    pub fn add(&mut self, id: Id, rationale: &str) -> Option<Id> {
        let shingles = shingles(rationale);
        if shingles.is_empty() {
            return None;
        }
        let bands = band_hashes(&shingles);
        let found = self.find_shingles(&id, &shingles, &bands);
        let index = self.seen.len();
        for (band, hash) in self.bands.iter_mut().zip(bands) {
            band.entry(hash).or_default().push(index);
        }
        self.seen.push((id, shingles));
        found
    }

    fn find_shingles(&self, id: &Id, shingles: &[u64], bands: &[u64]) -> Option<Id> {
        if shingles.is_empty() {
            return None;
        }
        let mut candidates: Vec<usize> = bands
            .iter()
            .zip(&self.bands)
            .filter_map(|(hash, band)| band.get(hash))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates.into_iter().find_map(|index| {
            let (other, theirs) = &self.seen[index];
            (other != id && jaccard(shingles, theirs) >= THRESHOLD).then(|| other.clone())
        })
    }
}

/// The MinHash signature of a shingle set, hashed band by band.
fn band_hashes(shingles: &[u64]) -> Vec<u64> {
    let mut minimums = [u64::MAX; PERMUTATIONS];
    for &shingle in shingles {
        for (k, minimum) in minimums.iter_mut().enumerate() {
            let h = mix(shingle ^ SEEDS[k % SEEDS.len()].wrapping_mul(k as u64 + 1));
            if h < *minimum {
                *minimum = h;
            }
        }
    }
    minimums
        .chunks(ROWS)
        .map(|rows| rows.iter().fold(0xcbf2_9ce4_8422_2325, |acc, &m| mix(acc ^ m)))
        .collect()
}

fn hash_words<S: AsRef<str>>(words: &[S]) -> u64 {
    // FNV-1a over the words with a separator: fixed on every machine, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for word in words {
        for byte in word.as_ref().bytes().chain([0xff]) {
            hash ^= byte as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    mix(hash)
}

/// SplitMix64's finaliser: spreads every input bit over the output.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

const SEEDS: [u64; 4] =
    [0x9e37_79b9_7f4a_7c15, 0xd1b5_4a32_d192_ed03, 0xabc9_8388_fb8f_ac03, 0x8cb9_2ba7_2f3d_8dd7];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reworded_copy_is_a_duplicate_and_a_different_reason_is_not() {
        let mut seen = Duplicates::new();
        let first = "The cache kept stale entries after a reload, so readers saw old prices \
                     until the process restarted; clearing it on reload fixes that.";
        assert_eq!(seen.add(1, first), None);
        // Same sentence, other case and punctuation, one word changed at the end.
        let copy = "the cache kept stale entries after a reload so readers saw old prices \
                    until the process restarted: clearing it on reload fixes this.";
        assert_eq!(seen.add(2, copy), Some(1));
        let other = "Parsing failed on empty headers because the length check ran first; \
                     the check now comes after the split.";
        assert_eq!(seen.add(3, other), None);
        // Half of the first one, half new: well under 0.8.
        let half = "The cache kept stale entries after a reload, which is expected: the \
                    reload now warns when the config file is missing.";
        assert_eq!(seen.add(4, half), None);
    }

    #[test]
    fn the_same_pair_is_not_its_own_duplicate_and_short_texts_match_only_whole() {
        let mut seen = Duplicates::new();
        assert_eq!(seen.add("a", "fix typo"), None);
        assert_eq!(seen.find(&"a", "fix typo"), None);
        assert_eq!(seen.find(&"b", "Fix typo."), Some("a"));
        assert_eq!(seen.find(&"b", "fix typos"), None);
        assert_eq!(seen.add("c", "   "), None);
        assert_eq!(seen.len(), 1, "a rationale without words is not kept");
    }

    #[test]
    fn the_default_finds_duplicates_as_new_does() {
        let mut seen = Duplicates::default();
        seen.add(1, "the cache kept stale entries after a reload");
        assert_eq!(seen.find(&2, "The cache kept stale entries after a reload."), Some(1));
    }

    #[test]
    fn jaccard_counts_common_shingles_over_all() {
        assert_eq!(jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
        assert_eq!(jaccard(&[], &[]), 0.0);
        assert_eq!(jaccard(&[1], &[1]), 1.0);
    }

    #[test]
    fn every_near_duplicate_above_the_threshold_is_found_among_many() {
        // 2,000 rationales from one template (any two share 16 of their 21 shingles: Jaccard
        // 0.62, not duplicates), then a copy of each with its last word changed (20 of 22: 0.91).
        let base = |i: usize| {
            format!(
                "request {i} failed because the retry loop in worker {i} gave up after the \
                 first timeout and never logged the reason it stopped"
            )
        };
        let mut seen = Duplicates::new();
        for i in 0..2_000 {
            assert_eq!(seen.add(i, &base(i)), None, "{i} is not a duplicate");
        }
        for i in 0..2_000 {
            let copy = base(i).replace("stopped", "halted");
            assert!(jaccard(&shingles(&copy), &shingles(&base(i))) >= THRESHOLD);
            assert_eq!(seen.find(&(10_000 + i), &copy), Some(i));
        }
    }
}
