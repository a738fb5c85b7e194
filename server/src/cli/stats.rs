//! `rationale stats [DIR...] [--json]`: what the journals hold, for the people who curate them.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::ProgressDrawTarget;
use serde::Serialize;

use crate::dataset::agreement::{agreement, Agreement};
use crate::dataset::quality::{of_pair, DuplicateFinder};
use crate::dataset::time::millis;
use crate::dataset::{gather, read_journal, reviews_of, JournalContent};
use crate::journal::Journal;
use crate::quality::Quality;
use crate::reviews::{Review, Reviews, Verdict};

#[derive(clap::Args)]
#[command(after_help = "\
Counts, over every journal under the DIRs (workspace folders, or folders that hold them):
sessions; pairs (explained changes); skips; changes left unexplained (still pending when the
server stopped tracking their document: `unexplained` records); coverage = pairs / (pairs +
skips + unexplained); the rationale's length in characters (median, 10th percentile); the time
from the prompt (the change became ready) to the rationale (median); review verdicts (each
pair's latest: accepted, rejected, flagged, or unreviewed); the quality of the pairs: the share
with any flag and with each (generic, restates_diff, no_why, duplicate: duplicates found among
all the pairs, in export order), the medians of typed_share, compose_ms and edit_seconds (known
only for pairs recorded with them); and the same per author and per language. Reviewer
agreement, over the pairs with standing verdicts from two or more reviewers: the percent of
pairs on which all agree and Krippendorff's alpha (nominal), overall and per two reviewers.
Journal gaps (where the disk could not be written): how many, and the records written late,
lost and refused. With --json, each journal's chain head (`chains`), which a lab keeps at each
hand-in.

--by-author prints one line per author instead, most flagged first.

A damaged journal, or one whose chain breaks, is an error naming its file and line; the others
are still counted, and the exit status is 1.")]
pub struct Args {
    /// Workspace folders, or folders that hold them.
    #[arg(value_name = "DIR", default_value = ".")]
    dirs: Vec<PathBuf>,
    /// Print the figures as one JSON object.
    #[arg(long)]
    json: bool,
    /// One line per author (with --json, a list of authors), most flagged first.
    #[arg(long)]
    by_author: bool,
}

pub fn run(args: Args) -> ExitCode {
    let code = execute(&args, super::progress_target(), &mut io::stdout().lock(), &mut io::stderr().lock());
    ExitCode::from(code)
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Figures {
    pub sessions: usize,
    pub pairs: usize,
    pub skips: usize,
    pub unexplained: usize,
    /// pairs / (pairs + skips + unexplained); `None` without any change.
    pub coverage: Option<f64>,
    pub rationale_chars_median: Option<f64>,
    pub rationale_chars_p10: Option<f64>,
    pub prompt_to_rationale_seconds_median: Option<f64>,
    /// The share of pairs with any quality flag.
    pub flagged: Option<f64>,
    /// The share of pairs with each flag.
    pub flags: FlagShares,
    /// Pairs whose rationale nearly repeats an earlier pair's.
    pub duplicates: usize,
    pub typed_share_median: Option<f64>,
    pub compose_ms_median: Option<f64>,
    pub edit_seconds_median: Option<f64>,
    #[serde(skip)]
    lengths: Vec<f64>,
    #[serde(skip)]
    waits: Vec<f64>,
    /// Pairs with any flag, then with each of [`crate::quality::FLAGS`].
    #[serde(skip)]
    flag_counts: [usize; 5],
    #[serde(skip)]
    typed: Vec<f64>,
    #[serde(skip)]
    compose: Vec<f64>,
    #[serde(skip)]
    editing: Vec<f64>,
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct FlagShares {
    pub generic: Option<f64>,
    pub restates_diff: Option<f64>,
    pub no_why: Option<f64>,
    pub duplicate: Option<f64>,
}

impl Figures {
    fn add(&mut self, content: &JournalContent, keep: impl Fn(&str, &str) -> bool) {
        let author = content.session.author.as_str();
        for pair in content.pairs.iter().filter(|p| keep(author, &p.record.language)) {
            self.pairs += 1;
            self.lengths.push(pair.rationale().chars().count() as f64);
            let prompted = pair.record.prompted_at.as_deref().and_then(millis);
            if let (Some(from), Some(to)) = (prompted, millis(&pair.explained_at)) {
                self.waits.push((to - from).max(0) as f64 / 1000.0);
            }
        }
        self.skips += content.skips.iter().filter(|s| keep(author, &s.language)).count();
        self.unexplained += content.unexplained.iter().filter(|u| keep(author, &u.language)).count();
    }

    fn add_quality(&mut self, quality: &Quality) {
        self.flag_counts[0] += usize::from(!quality.flags.is_empty());
        for (i, flag) in crate::quality::FLAGS.iter().enumerate() {
            self.flag_counts[i + 1] += usize::from(quality.has_flag(flag));
        }
        self.duplicates += usize::from(quality.duplicate_of.is_some());
        self.typed.extend(quality.typed_share);
        self.compose.extend(quality.compose_ms.map(|ms| ms as f64));
        self.editing.extend(quality.edit_seconds);
    }

    fn finish(&mut self) {
        let share = |n: usize| (self.pairs > 0).then(|| n as f64 / self.pairs as f64);
        self.flagged = share(self.flag_counts[0]);
        self.flags = FlagShares {
            generic: share(self.flag_counts[1]),
            restates_diff: share(self.flag_counts[2]),
            no_why: share(self.flag_counts[3]),
            duplicate: share(self.flag_counts[4]),
        };
        self.typed_share_median = median(&mut self.typed);
        self.compose_ms_median = median(&mut self.compose);
        self.edit_seconds_median = median(&mut self.editing);
        let changes = self.pairs + self.skips + self.unexplained;
        self.coverage = (changes > 0).then(|| self.pairs as f64 / changes as f64);
        self.rationale_chars_median = median(&mut self.lengths);
        self.rationale_chars_p10 = percentile(&mut self.lengths, 0.1);
        self.prompt_to_rationale_seconds_median = median(&mut self.waits);
    }
}

fn sorted(values: &mut [f64]) {
    values.sort_by(f64::total_cmp);
}

fn median(values: &mut [f64]) -> Option<f64> {
    sorted(values);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// The nearest-rank percentile.
fn percentile(values: &mut [f64], p: f64) -> Option<f64> {
    sorted(values);
    let rank = ((p * values.len() as f64).ceil() as usize).max(1);
    values.get(rank - 1).copied()
}

#[derive(Debug, Default, Serialize)]
pub struct ReviewCounts {
    pub accepted: usize,
    pub rejected: usize,
    pub flagged: usize,
    pub unreviewed: usize,
}

#[derive(Debug, Default, Serialize)]
pub struct Stats {
    pub workspaces: usize,
    /// Journals without an `end` record: the server still runs, or stopped without one; their
    /// pending changes are not counted as unexplained.
    pub sessions_without_end: usize,
    #[serde(flatten)]
    pub all: Figures,
    pub reviews: ReviewCounts,
    /// Skips whose standing verdict is `reject`: changes a reviewer says needed an explanation.
    pub skips_rejected: usize,
    /// Where journals could not be written for a while (a full disk): their `gap` records.
    pub gaps: GapCounts,
    pub by_author: BTreeMap<String, Figures>,
    pub by_language: BTreeMap<String, Figures>,
    /// Reviewer agreement over the pairs judged by two or more reviewers.
    pub agreement: Agreement,
    /// Each journal's chain head, oldest session first.
    pub chains: Vec<ChainHead>,
    /// Journals that could not be read.
    pub errors: Vec<String>,
    /// Each pair's quality, in the order read, until duplicates are looked for.
    #[serde(skip)]
    scored: Vec<Scored>,
    /// The standing verdicts of each pair judged by two or more reviewers.
    #[serde(skip)]
    judged: Vec<Vec<Review>>,
}

/// The `gap` records of the journals read, summed: how often the journal could not be written,
/// and what that cost.
#[derive(Debug, Default, Serialize)]
pub struct GapCounts {
    pub gaps: usize,
    /// Records made during a gap and written when writing worked again.
    pub late: u64,
    /// Records made during a gap and not kept, and the edits they held: their documents were
    /// re-based with their whole text, so the keystrokes are lost, never the text.
    pub lost: u64,
    pub lost_edits: u64,
    /// Rationales and skips refused while the journal could not be written (their changes stayed
    /// pending).
    pub refused: u64,
}

/// Where a journal's chain stands: what a lab keeps at each hand-in, to tell later that the
/// journal it gets is the one it had, extended.
#[derive(Debug, Serialize)]
pub struct ChainHead {
    pub session: String,
    pub workspace: String,
    pub journal: String,
    /// The first 32 hex digits of the SHA-256 of every complete line of the journal.
    pub head: String,
    /// Records whose `chain` holds; 0 for a journal written before the chain.
    pub chained_records: usize,
}

#[derive(Debug)]
struct Scored {
    session: String,
    seq: u64,
    id: String,
    author: String,
    language: String,
    rationale: String,
    quality: Quality,
}

fn execute(args: &Args, progress: ProgressDrawTarget, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let (workspaces, journals) = match gather(&args.dirs) {
        Ok(found) => found,
        Err(message) => {
            let _ = writeln!(err, "rationale stats: {message}");
            return 1;
        }
    };
    let (reviews, problems) = reviews_of(&workspaces);
    for problem in problems {
        let _ = writeln!(err, "warning: review verdict skipped: {problem}");
    }
    let mut stats = Stats { workspaces: workspaces.len(), ..Stats::default() };
    let bar = super::progress_bar(&journals, "reading", progress);
    for file in &journals {
        let done_before = bar.position();
        let read = Journal::read(file).and_then(|journal| {
            if let Some(torn) = journal.torn() {
                bar.suspend(|| writeln!(err, "warning: {torn}").ok());
            }
            if journal.has_no_records() {
                return Ok(None);
            }
            let mut content = read_journal(&journal, |n| bar.set_position(done_before + n as u64))?;
            let head = content.chain.head(&journal);
            Ok(Some((content, head)))
        });
        bar.set_position(done_before + file.metadata().map_or(0, |m| m.len()));
        match read {
            Ok(Some((content, head))) => {
                stats.chains.push(ChainHead {
                    session: content.session.id.clone(),
                    workspace: content.session.workspace.clone(),
                    journal: file.display().to_string(),
                    head,
                    chained_records: content.chain.chained(),
                });
                count_journal(&mut stats, &content, &reviews);
            }
            Ok(None) => {}
            Err(error) => {
                bar.suspend(|| writeln!(err, "error: {error}").ok());
                stats.errors.push(error.to_string());
            }
        }
    }
    bar.finish_and_clear();
    score(&mut stats);
    stats.all.finish();
    stats.by_author.values_mut().chain(stats.by_language.values_mut()).for_each(Figures::finish);
    stats.agreement = agreement(stats.judged.iter().map(Vec::as_slice));
    stats.chains.sort_by(|a, b| (&a.session, &a.journal).cmp(&(&b.session, &b.journal)));
    let written = match (args.json, args.by_author) {
        (true, false) => serde_json::to_writer_pretty(&mut *out, &stats)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        (true, true) => {
            let authors: Vec<serde_json::Value> = most_flagged_first(&stats)
                .into_iter()
                .map(|(name, figures)| {
                    let mut value = serde_json::to_value(figures).expect("figures serialise");
                    value["author"] = name.as_str().into();
                    value
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &authors)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
        }
        (false, true) => write_by_author(out, &stats),
        (false, false) => write_table(out, &stats),
    };
    if let Err(error) = written {
        let _ = writeln!(err, "rationale stats: {error}");
        return 1;
    }
    u8::from(!stats.errors.is_empty())
}

/// Finds the duplicates among every pair, in export order (session, then record), and adds each
/// pair's quality to the figures.
fn score(stats: &mut Stats) {
    let mut scored = std::mem::take(&mut stats.scored);
    scored.sort_by(|a, b| (&a.session, a.seq).cmp(&(&b.session, b.seq)));
    let mut finder = DuplicateFinder::new();
    for pair in &mut scored {
        finder.mark(&pair.id, &pair.rationale, &mut pair.quality);
        stats.all.add_quality(&pair.quality);
        stats.by_author.entry(pair.author.clone()).or_default().add_quality(&pair.quality);
        stats.by_language.entry(pair.language.clone()).or_default().add_quality(&pair.quality);
    }
}

/// The authors, the largest share of flagged pairs first (then the most pairs, then by name).
fn most_flagged_first(stats: &Stats) -> Vec<(&String, &Figures)> {
    let mut authors: Vec<(&String, &Figures)> = stats.by_author.iter().collect();
    authors.sort_by(|(a, x), (b, y)| {
        let flagged = |f: &Figures| f.flagged.unwrap_or(-1.0);
        flagged(y).total_cmp(&flagged(x)).then(y.pairs.cmp(&x.pairs)).then(a.cmp(b))
    });
    authors
}

fn count_journal(stats: &mut Stats, content: &JournalContent, reviews: &Reviews) {
    for pair in &content.pairs {
        stats.scored.push(Scored {
            session: pair.session.id.clone(),
            seq: pair.seq,
            id: pair.id.clone(),
            author: pair.session.author.clone(),
            language: pair.record.language.clone(),
            rationale: pair.rationale().to_owned(),
            quality: of_pair(pair),
        });
        let verdicts = reviews.of(&pair.id);
        if verdicts.len() >= 2 {
            stats.judged.push(verdicts.to_vec());
        }
    }
    let author = content.session.author.clone();
    stats.all.sessions += 1;
    stats.sessions_without_end += usize::from(!content.ended);
    stats.all.add(content, |_, _| true);
    let by_author = stats.by_author.entry(author.clone()).or_default();
    by_author.sessions += 1;
    by_author.add(content, |_, _| true);
    let languages = (content.pairs.iter().map(|p| &p.record.language))
        .chain(content.skips.iter().map(|s| &s.language))
        .chain(content.unexplained.iter().map(|u| &u.language))
        .cloned();
    let languages: std::collections::BTreeSet<String> = languages.collect();
    for language in languages {
        let figures = stats.by_language.entry(language.clone()).or_default();
        figures.sessions += 1;
        figures.add(content, |_, l| l == language);
    }
    for pair in &content.pairs {
        match reviews.latest(&pair.id).map(|r| r.verdict) {
            Some(Verdict::Accept) => stats.reviews.accepted += 1,
            Some(Verdict::Reject) => stats.reviews.rejected += 1,
            Some(Verdict::Flag) => stats.reviews.flagged += 1,
            None => stats.reviews.unreviewed += 1,
        }
    }
    let rejected = |skip: &&crate::journal::record::Explanation| {
        reviews.latest(&skip.pair).is_some_and(|r| r.verdict == Verdict::Reject)
    };
    stats.skips_rejected += content.skips.iter().filter(rejected).count();
    for gap in &content.gaps {
        let counts = &mut stats.gaps;
        counts.gaps += 1;
        counts.late += gap.late;
        counts.lost += gap.lost;
        counts.lost_edits += gap.lost_edits;
        counts.refused += gap.refused;
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{:.1}%", v * 100.0))
}

/// A share already in percent.
fn in_percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.1}%"))
}

fn alpha(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.3}"))
}

/// A share from 0 to 1 as such (typed_share).
fn share(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.2}"))
}

fn number(value: Option<f64>, unit: &str) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{}{unit}", trim(v)))
}

fn trim(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn write_table(out: &mut dyn Write, stats: &Stats) -> io::Result<()> {
    let all = &stats.all;
    writeln!(
        out,
        "{} in {}{}",
        super::count(all.sessions, "session"),
        super::count(stats.workspaces, "workspace"),
        if stats.sessions_without_end > 0 {
            format!(
                " ({} without an end record: still running, or stopped without one)",
                stats.sessions_without_end
            )
        } else {
            String::new()
        }
    )?;
    writeln!(
        out,
        "pairs {}, skips {}, unexplained {}, coverage {}",
        all.pairs,
        all.skips,
        all.unexplained,
        percent(all.coverage)
    )?;
    writeln!(
        out,
        "rationale length: median {}, p10 {}",
        number(all.rationale_chars_median, " chars"),
        number(all.rationale_chars_p10, " chars")
    )?;
    writeln!(out, "prompt to rationale: median {}", number(all.prompt_to_rationale_seconds_median, " s"))?;
    let f = &all.flags;
    writeln!(
        out,
        "quality: {} flagged (generic {}, restates_diff {}, no_why {}, duplicate {}: {})",
        percent(all.flagged),
        percent(f.generic),
        percent(f.restates_diff),
        percent(f.no_why),
        percent(f.duplicate),
        super::count(all.duplicates, "duplicate"),
    )?;
    writeln!(
        out,
        "typed share: median {}; compose: median {}; editing: median {}",
        share(all.typed_share_median),
        number(all.compose_ms_median.map(|ms| ms / 1000.0), " s"),
        number(all.edit_seconds_median, " s"),
    )?;
    let r = &stats.reviews;
    writeln!(
        out,
        "reviews: {} accepted, {} rejected, {} flagged, {} unreviewed; {} rejected",
        r.accepted,
        r.rejected,
        r.flagged,
        r.unreviewed,
        super::count(stats.skips_rejected, "skip")
    )?;
    let g = &stats.gaps;
    if g.gaps > 0 {
        writeln!(
            out,
            "journal gaps (the disk could not be written): {}; {} written late, {} lost ({} edits); rationales and skips refused: {}",
            g.gaps,
            super::count(g.late as usize, "record"),
            g.lost,
            g.lost_edits,
            g.refused,
        )?;
    }
    let a = &stats.agreement;
    writeln!(
        out,
        "agreement: {} judged by two or more reviewers, {} agree, alpha {}",
        super::count(a.overall.pairs, "pair"),
        in_percent(a.overall.percent),
        alpha(a.overall.alpha)
    )?;
    for between in &a.between {
        writeln!(
            out,
            "  {} and {}: {}, {} agree, alpha {}",
            between.reviewers[0],
            between.reviewers[1],
            super::count(between.figures.pairs, "pair"),
            in_percent(between.figures.percent),
            alpha(between.figures.alpha)
        )?;
    }
    for (title, table) in [("author", &stats.by_author), ("language", &stats.by_language)] {
        writeln!(out)?;
        let mut lines = vec![[
            title.to_owned(),
            "sessions".into(),
            "pairs".into(),
            "skips".into(),
            "unexplained".into(),
            "coverage".into(),
            "median chars".into(),
        ]];
        for (name, f) in table {
            lines.push([
                name.clone(),
                f.sessions.to_string(),
                f.pairs.to_string(),
                f.skips.to_string(),
                f.unexplained.to_string(),
                percent(f.coverage),
                number(f.rationale_chars_median, ""),
            ]);
        }
        let widths: Vec<usize> =
            (0..7).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
        for line in lines {
            let mut text = format!("{:<width$}", line[0], width = widths[0]);
            for c in 1..7 {
                text += &format!("  {:>width$}", line[c], width = widths[c]);
            }
            writeln!(out, "{}", text.trim_end())?;
        }
    }
    if !stats.errors.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{} could not be read (see the errors above).",
            super::count(stats.errors.len(), "journal")
        )?;
    }
    Ok(())
}

/// `--by-author`: one line per author, most flagged first.
fn write_by_author(out: &mut dyn Write, stats: &Stats) -> io::Result<()> {
    let mut lines = vec![[
        "author",
        "pairs",
        "flagged",
        "generic",
        "restates_diff",
        "no_why",
        "duplicate",
        "typed",
        "compose",
        "editing",
    ]
    .map(str::to_owned)];
    for (name, f) in most_flagged_first(stats) {
        lines.push([
            name.clone(),
            f.pairs.to_string(),
            percent(f.flagged),
            percent(f.flags.generic),
            percent(f.flags.restates_diff),
            percent(f.flags.no_why),
            percent(f.flags.duplicate),
            share(f.typed_share_median),
            number(f.compose_ms_median.map(|ms| ms / 1000.0), " s"),
            number(f.edit_seconds_median, " s"),
        ]);
    }
    let widths: Vec<usize> =
        (0..10).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
    for line in lines {
        let mut text = format!("{:<width$}", line[0], width = widths[0]);
        for c in 1..10 {
            text += &format!("  {:>width$}", line[c], width = widths[c]);
        }
        writeln!(out, "{}", text.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        let mut values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&mut values, 0.1), Some(2.0));
        assert_eq!(percentile(&mut [7.0], 0.1), Some(7.0));
    }
}
