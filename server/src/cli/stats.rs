//! `rationale stats [DIR...] [--json]`: what the journals hold, for the people who curate them.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::ProgressDrawTarget;
use serde::Serialize;

use crate::dataset::time::millis;
use crate::dataset::{gather, read_journal, reviews_of, JournalContent};
use crate::journal::Journal;
use crate::reviews::{Reviews, Verdict};

#[derive(clap::Args)]
#[command(after_help = "\
Counts, over every journal under the DIRs (workspace folders, or folders that hold them):
sessions; pairs (explained changes); skips; changes left unexplained (still pending when the
server stopped tracking their document: `unexplained` records); coverage = pairs / (pairs +
skips + unexplained); the rationale's length in characters (median, 10th percentile); the time
from the prompt (the change became ready) to the rationale (median); review verdicts (each
pair's latest: accepted, rejected, flagged, or unreviewed); and the same per author and per
language.

A damaged journal is an error naming its file and line; the others are still counted, and the
exit status is 1.")]
pub struct Args {
    /// Workspace folders, or folders that hold them.
    #[arg(value_name = "DIR", default_value = ".")]
    dirs: Vec<PathBuf>,
    /// Print the figures as one JSON object.
    #[arg(long)]
    json: bool,
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
    #[serde(skip)]
    lengths: Vec<f64>,
    #[serde(skip)]
    waits: Vec<f64>,
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

    fn finish(&mut self) {
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
    pub by_author: BTreeMap<String, Figures>,
    pub by_language: BTreeMap<String, Figures>,
    /// Journals that could not be read.
    pub errors: Vec<String>,
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
            read_journal(&journal, |n| bar.set_position(done_before + n as u64)).map(Some)
        });
        bar.set_position(done_before + file.metadata().map_or(0, |m| m.len()));
        match read {
            Ok(Some(content)) => count_journal(&mut stats, &content, &reviews),
            Ok(None) => {}
            Err(error) => {
                bar.suspend(|| writeln!(err, "error: {error}").ok());
                stats.errors.push(error.to_string());
            }
        }
    }
    bar.finish_and_clear();
    stats.all.finish();
    stats.by_author.values_mut().chain(stats.by_language.values_mut()).for_each(Figures::finish);
    let written = if args.json {
        serde_json::to_writer_pretty(&mut *out, &stats).map_err(io::Error::from).and_then(|()| writeln!(out))
    } else {
        write_table(out, &stats)
    };
    if let Err(error) = written {
        let _ = writeln!(err, "rationale stats: {error}");
        return 1;
    }
    u8::from(!stats.errors.is_empty())
}

fn count_journal(stats: &mut Stats, content: &JournalContent, reviews: &Reviews) {
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
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{:.1}%", v * 100.0))
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
