//! Reviewer agreement over the pairs that two or more reviewers judged: the share of them on
//! which every reviewer gave the same verdict, and Krippendorff's alpha for nominal data, overall
//! and for each two reviewers (`rationale stats`); and which pairs all their reviewers agree on
//! (`export --agreed-only`).
//!
//! Alpha (Krippendorff, "Computing Krippendorff's Alpha-Reliability", 2011) counts, within each
//! pair, every ordered two of its verdicts by different reviewers, weighted by 1 / (m - 1) for a
//! pair with m verdicts: the coincidences o(c, k). With n(c) = Σk o(c, k) and n = Σc n(c),
//! alpha = 1 - (n - 1) · Σ(c≠k) o(c, k) / Σ(c≠k) n(c) n(k): 1 when reviewers always agree, 0 when
//! they agree as often as chance would have them, below 0 when less. It is undefined (`None`)
//! when every verdict is the same one, since chance then agrees perfectly too.

use std::collections::{BTreeMap, BTreeSet};

use crate::reviews::Review;

/// Whether a pair's standing verdicts come from two or more reviewers who all gave the same one.
pub fn all_agree(verdicts: &[Review]) -> bool {
    verdicts.len() >= 2 && verdicts.iter().all(|review| review.verdict == verdicts[0].verdict)
}

/// Krippendorff's alpha for nominal values; `units` holds each unit's values, one per coder
/// (units with fewer than two values pair nothing and are passed over).
pub fn alpha_nominal<T: Ord>(units: &[Vec<T>]) -> Option<f64> {
    let mut coincidences: BTreeMap<(&T, &T), f64> = BTreeMap::new();
    for values in units.iter().filter(|values| values.len() >= 2) {
        let weight = 1.0 / (values.len() - 1) as f64;
        for (i, c) in values.iter().enumerate() {
            for (j, k) in values.iter().enumerate() {
                if i != j {
                    *coincidences.entry((c, k)).or_default() += weight;
                }
            }
        }
    }
    let mut totals: BTreeMap<&T, f64> = BTreeMap::new();
    for (&(c, _), &o) in &coincidences {
        *totals.entry(c).or_default() += o;
    }
    let n: f64 = totals.values().sum();
    let disagreeing: f64 = coincidences.iter().filter(|((c, k), _)| c != k).map(|(_, o)| o).sum();
    let expected = n * n - totals.values().map(|t| t * t).sum::<f64>();
    (expected > 0.0).then(|| 1.0 - (n - 1.0) * disagreeing / expected)
}

/// Agreement over a set of pairs.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Figures {
    /// Pairs with verdicts from two or more reviewers (of these reviewers, for two of them).
    pub pairs: usize,
    /// The share of those pairs on which every reviewer gave the same verdict.
    pub percent: Option<f64>,
    /// Krippendorff's alpha, nominal.
    pub alpha: Option<f64>,
}

impl Figures {
    fn of(units: &[Vec<&str>]) -> Self {
        let units: Vec<&Vec<&str>> = units.iter().filter(|u| u.len() >= 2).collect();
        let agreeing = units.iter().filter(|u| u.iter().all(|v| *v == u[0])).count();
        let owned: Vec<Vec<&str>> = units.iter().map(|u| (*u).clone()).collect();
        Figures {
            pairs: units.len(),
            percent: (!units.is_empty()).then(|| agreeing as f64 / units.len() as f64 * 100.0),
            alpha: alpha_nominal(&owned),
        }
    }
}

/// The agreement of two reviewers, over the pairs both judged.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Between {
    pub reviewers: [String; 2],
    #[serde(flatten)]
    pub figures: Figures,
}

/// Agreement overall and between each two reviewers who judged a pair in common.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Agreement {
    #[serde(flatten)]
    pub overall: Figures,
    pub between: Vec<Between>,
}

/// The agreement of the standing verdicts of each pair (one list per pair).
pub fn agreement<'a>(pairs: impl IntoIterator<Item = &'a [Review]>) -> Agreement {
    let mut units: Vec<Vec<&str>> = Vec::new();
    let mut between: BTreeMap<(&str, &str), Vec<Vec<&str>>> = BTreeMap::new();
    for verdicts in pairs {
        if verdicts.len() < 2 {
            continue;
        }
        units.push(verdicts.iter().map(|r| r.verdict.as_str()).collect());
        let reviewers: BTreeSet<&str> = verdicts.iter().map(|r| r.reviewer.as_str()).collect();
        for &a in &reviewers {
            for &b in reviewers.range::<&str, _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded)) {
                let of =
                    |name: &str| verdicts.iter().find(|r| r.reviewer == name).map(|r| r.verdict.as_str());
                if let (Some(x), Some(y)) = (of(a), of(b)) {
                    between.entry((a, b)).or_default().push(vec![x, y]);
                }
            }
        }
    }
    Agreement {
        overall: Figures::of(&units),
        between: between
            .into_iter()
            .map(|((a, b), units)| Between {
                reviewers: [a.to_owned(), b.to_owned()],
                figures: Figures::of(&units),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: four
    /// observers, twelve units, values 1 to 5 with missing data; nominal alpha is 0.743. Unit 12
    /// has a single value and pairs nothing.
    #[test]
    fn alpha_matches_krippendorffs_worked_example_with_missing_data() {
        let observers: [[u8; 12]; 4] = [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3],
            [0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0],
        ];
        let units: Vec<Vec<u8>> =
            (0..12).map(|u| observers.iter().map(|o| o[u]).filter(|&v| v != 0).collect()).collect();
        let alpha = alpha_nominal(&units).unwrap();
        assert!((alpha - 0.743).abs() < 0.0005, "{alpha}");
    }

    /// The same paper's example A: two observers, binary values, ten units: alpha 0.095.
    #[test]
    fn alpha_matches_the_two_observer_binary_example() {
        let a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0];
        let b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0];
        let units: Vec<Vec<u8>> = (0..10).map(|u| vec![a[u], b[u]]).collect();
        let alpha = alpha_nominal(&units).unwrap();
        assert!((alpha - 0.095).abs() < 0.0005, "{alpha}");
    }

    #[test]
    fn perfect_agreement_on_one_value_leaves_alpha_undefined() {
        assert_eq!(alpha_nominal(&[vec!["accept", "accept"], vec!["accept", "accept"]]), None);
        assert_eq!(alpha_nominal::<u8>(&[vec![1]]), None);
        assert_eq!(alpha_nominal(&[vec![1, 1], vec![2, 2]]), Some(1.0));
    }
}
