//! `rationale export [DIR...] --out FILE`: the explained pairs as training data, one JSON object a
//! line, secrets redacted (formats in `docs/export.md`).

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indicatif::ProgressDrawTarget;

use crate::dataset::agreement::all_agree;
use crate::dataset::history::{replay_pairs, Needs, PairHistory};
use crate::dataset::quality::{of_pair, DuplicateFinder, Flag};
use crate::dataset::rows::{write_row, Format, RowInput, RowTexts};
use crate::dataset::time::Bound;
use crate::dataset::{gather, read_journal, reviews_of, Pair};
use crate::journal::Journal;
use crate::quality::Quality;
use crate::redact::{Redactor, Secret};
use crate::reviews::{Reviews, Verdict};

#[derive(clap::Args)]
#[command(after_help = "\
DIR is a workspace folder (one with .rationale/), or a folder holding many of them at any depth,
such as a team's collected folders; the default is the current folder. Each pair is written
once, in the order of its session and record, so the same journals always give the same bytes.

Every text (the unit before and after, the diff, whole files, the edit history, the rationale)
passes through secret redaction (gitleaks' default rules, passwords in URLs, PEM private key
blocks): each secret becomes <redacted:RULE-ID>, and the count per rule is printed on stderr.

Every row carries `quality`: the signals its record carries, else the text signals computed from
the rationale and the unit (docs/quality.md); `duplicate_of` is found among the pairs exported,
in export order.

A torn final line of a journal is a warning. A damaged journal, or one whose chain breaks (a line
edited, removed, inserted or moved), is an error naming the file and line: nothing is written,
unless --keep-going, which writes the other journals' pairs and exits 1.

Exit status: 0 on success, 1 on any error (the output file is then left as it was).")]
pub struct Args {
    /// Workspace folders, or folders that hold them.
    #[arg(value_name = "DIR", default_value = ".")]
    dirs: Vec<PathBuf>,
    /// Where to write the export; `-` for standard output. A file is written under a temporary
    /// name and renamed, so it is never left half written.
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Add `file_before` and `file_after`, the whole document before and after the change.
    #[arg(long)]
    with_files: bool,
    /// Only pairs that have a review verdict.
    #[arg(long)]
    reviewed_only: bool,
    /// Only pairs whose standing verdict, by any reviewer, is this one.
    #[arg(long, value_name = "VERDICT", value_parser = parse_verdict)]
    verdict: Option<Verdict>,
    /// Only pairs recorded by this author (repeat for several).
    #[arg(long, value_name = "AUTHOR")]
    author: Vec<String>,
    /// Only pairs in this language, as the journal names it: python, javascript (repeat for
    /// several).
    #[arg(long, value_name = "LANGUAGE")]
    language: Vec<String>,
    /// Only pairs explained at or after this date or UTC time (2026-11-26, 2026-11-26T08:30:00Z).
    #[arg(long, value_name = "WHEN")]
    since: Option<Bound>,
    /// Only pairs explained at or before this date (the whole day) or UTC time.
    #[arg(long, value_name = "WHEN")]
    until: Option<Bound>,
    /// Only pairs whose rationale has at least N characters.
    #[arg(long, value_name = "N")]
    min_rationale_chars: Option<usize>,
    /// Leave out pairs with this quality flag (repeat for several). `duplicate` keeps the
    /// earliest of near-duplicate rationales.
    #[arg(long, value_enum, value_name = "FLAG")]
    exclude_flag: Vec<Flag>,
    /// Only pairs of which at least this share (0 to 1) of the inserted characters was typed
    /// (pairs whose typing is not known are left out).
    #[arg(long, value_name = "X", value_parser = parse_share)]
    min_typed_share: Option<f64>,
    /// Only pairs judged by two or more reviewers whose standing verdicts are all the same.
    #[arg(long)]
    agreed_only: bool,
    /// Leave the quality signals out (`quality` is null): for measuring what they cost.
    #[arg(long, hide = true, conflicts_with_all = ["exclude_flag", "min_typed_share"])]
    without_quality: bool,
    /// Write texts as they are, secrets included.
    #[arg(long)]
    no_redact: bool,
    /// Export the pairs of the sound journals when some are damaged (the exit status is still 1).
    #[arg(long)]
    keep_going: bool,
}

fn parse_share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(share) if (0.0..=1.0).contains(&share) => Ok(share),
        _ => Err(format!("`{text}` is not a share from 0 to 1")),
    }
}

fn parse_verdict(word: &str) -> Result<Verdict, String> {
    Verdict::parse(word).ok_or_else(|| format!("`{word}` is not a verdict: accept, reject or flag"))
}

pub fn run(args: Args) -> ExitCode {
    let code = execute(&args, super::progress_target(), &mut io::stdout().lock(), &mut io::stderr().lock());
    ExitCode::from(code)
}

impl Args {
    fn keeps(&self, pair: &Pair, reviews: &Reviews) -> bool {
        let record = &pair.record;
        (self.author.is_empty() || self.author.contains(&pair.session.author))
            && (self.language.is_empty() || self.language.contains(&record.language))
            && self.since.as_ref().is_none_or(|since| since.admits_since(&pair.explained_at))
            && self.until.as_ref().is_none_or(|until| until.admits_until(&pair.explained_at))
            && self.min_rationale_chars.is_none_or(|n| pair.rationale().chars().count() >= n)
            && (!self.reviewed_only || !reviews.of(&pair.id).is_empty())
            && self.verdict.is_none_or(|v| reviews.of(&pair.id).iter().any(|r| r.verdict == v))
            && (!self.agreed_only || all_agree(reviews.of(&pair.id)))
    }

    /// The filters on a pair's own quality (`duplicate` is decided among all pairs, later).
    fn keeps_quality(&self, quality: &Quality) -> bool {
        let flagged =
            self.exclude_flag.iter().any(|flag| *flag != Flag::Duplicate && quality.has_flag(flag.as_str()));
        !flagged
            && self
                .min_typed_share
                .is_none_or(|least| quality.typed_share.is_some_and(|share| share >= least))
    }

    fn needs(&self) -> Needs {
        Needs {
            files: self.with_files || self.format == Format::Commitpack,
            steps: self.format == Format::Edits,
        }
    }
}

fn execute(args: &Args, progress: ProgressDrawTarget, stdout: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let (workspaces, journals) = match gather(&args.dirs) {
        Ok(found) => found,
        Err(message) => {
            let _ = writeln!(err, "rationale export: {message}");
            return 1;
        }
    };
    let (reviews, problems) = reviews_of(&workspaces);
    for problem in problems {
        let _ = writeln!(err, "warning: review verdict skipped: {problem}");
    }
    let mut redactor = if args.no_redact {
        None
    } else {
        match Redactor::new() {
            Ok(redactor) => Some(redactor),
            Err(message) => {
                let _ = writeln!(err, "rationale export: the redaction rules do not load: {message}");
                return 1;
            }
        }
    };

    let bar = super::progress_bar(&journals, "exporting", progress);
    let mut kept: Vec<Kept> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut failed = 0;
    for file in &journals {
        let done_before = bar.position();
        let result = export_journal(file, args, &reviews, &mut seen, &mut kept, |read| {
            bar.set_position(done_before + read as u64)
        });
        bar.set_position(done_before + file.metadata().map_or(0, |m| m.len()));
        match result {
            Ok(warnings) => bar.suspend(|| {
                for warning in warnings {
                    let _ = writeln!(err, "warning: {warning}");
                }
            }),
            Err(message) => {
                failed += 1;
                bar.suspend(|| {
                    let _ = writeln!(err, "error: {message}");
                });
                if !args.keep_going {
                    bar.finish_and_clear();
                    let _ = writeln!(
                        err,
                        "rationale export: nothing written (use --keep-going to export the other journals)"
                    );
                    return 1;
                }
            }
        }
    }
    bar.finish_and_clear();
    kept.sort_by(|a, b| (&a.pair.session.id, a.pair.seq).cmp(&(&b.pair.session.id, b.pair.seq)));
    let mut finder = DuplicateFinder::new();
    for kept in &mut kept {
        if let Some(quality) = &mut kept.quality {
            finder.mark(&kept.pair.id, kept.pair.rationale(), quality);
        }
    }
    if args.exclude_flag.contains(&Flag::Duplicate) {
        kept.retain(|kept| kept.quality.as_ref().is_none_or(|quality| quality.duplicate_of.is_none()));
    }
    let input = |kept| kept_input(kept, &reviews, args.with_files);
    let mut texts: Vec<(RowTexts, Vec<Secret>)> =
        kept.iter().map(|kept| RowTexts::of(&input(kept), redactor.as_mut())).collect();
    if let Some(redactor) = redactor.as_mut() {
        redact_sessionwide(&kept, &mut texts, redactor);
    }
    let rows: Vec<Vec<u8>> = kept
        .iter()
        .zip(&texts)
        .map(|(kept, (texts, _))| {
            let mut row = Vec::new();
            write_row(&mut row, args.format, &input(kept), texts);
            row
        })
        .collect();

    let written = if args.out == Path::new("-") {
        rows.iter().try_for_each(|row| stdout.write_all(row)).and_then(|()| stdout.flush())
    } else {
        write_atomically(&args.out, &rows)
    };
    if let Err(error) = written {
        let _ = writeln!(err, "rationale export: cannot write {}: {error}", args.out.display());
        return 1;
    }
    let target = if args.out == Path::new("-") {
        "standard output".to_owned()
    } else {
        args.out.display().to_string()
    };
    let _ = writeln!(
        err,
        "Exported {} from {} in {} to {target}.",
        super::count(rows.len(), "pair"),
        super::count(journals.len() - failed, "journal"),
        super::count(workspaces.len(), "workspace"),
    );
    match &redactor {
        None => {
            let _ = writeln!(err, "Redaction was off (--no-redact): the export may hold secrets.");
        }
        Some(redactor) => {
            let counts = redactor.counts();
            let total: u64 = counts.values().sum();
            let _ = writeln!(err, "Redacted {}.", super::count(total as usize, "secret"));
            for (rule, n) in counts {
                let _ = writeln!(err, "  {rule}: {n}");
            }
        }
    }
    if failed > 0 {
        let _ = writeln!(
            err,
            "{} could not be read: their pairs are not in the export.",
            super::count(failed, "journal")
        );
    }
    u8::from(failed > 0)
}

/// A pair the filters kept, with what its row needs.
struct Kept {
    pair: Pair,
    history: Option<PairHistory>,
    quality: Option<Quality>,
}

/// Reads one journal and appends the pairs it keeps; its warnings, or the error that stops it.
fn export_journal(
    file: &Path,
    args: &Args,
    reviews: &Reviews,
    seen: &mut HashSet<String>,
    kept: &mut Vec<Kept>,
    progress: impl FnMut(usize),
) -> Result<Vec<String>, String> {
    let journal = Journal::read(file).map_err(|e| e.to_string())?;
    let mut warnings = Vec::new();
    if let Some(torn) = journal.torn() {
        warnings.push(torn.to_string());
    }
    if journal.has_no_records() {
        warnings.push(format!("{}: no complete record (the session never started)", file.display()));
        return Ok(warnings);
    }
    let content = read_journal(&journal, progress).map_err(|e| e.to_string())?;
    let mut pairs = Vec::new();
    let mut qualities = Vec::new();
    for pair in content.pairs {
        if !args.keeps(&pair, reviews) || seen.contains(&pair.id) {
            continue;
        }
        let quality = (!args.without_quality).then(|| of_pair(&pair));
        if quality.as_ref().is_some_and(|quality| !args.keeps_quality(quality)) {
            continue;
        }
        pairs.push(pair);
        qualities.push(quality);
    }
    let needs = args.needs();
    let histories = replay_pairs(&journal, &pairs, needs, |_| {}).map_err(|e| e.to_string())?;
    for ((pair, history), quality) in pairs.into_iter().zip(histories).zip(qualities) {
        seen.insert(pair.id.clone());
        let history = (needs.files || needs.steps).then_some(history);
        kept.push(Kept { pair, history, quality });
    }
    Ok(warnings)
}

fn kept_input<'a>(kept: &'a Kept, reviews: &'a Reviews, with_files: bool) -> RowInput<'a> {
    RowInput {
        pair: &kept.pair,
        history: kept.history.as_ref(),
        review: reviews.latest(&kept.pair.id),
        comments: reviews.comments(&kept.pair.id),
        quality: kept.quality.as_ref(),
        with_files,
    }
}

/// A secret found in any row of a session is redacted in every row of that session: the key a rule
/// found in the code (`token = "..."`) may stand alone in a rationale of another row, where no
/// rule recognises it. Only the rows that did not find all of their session's secrets themselves
/// are redacted again.
fn redact_sessionwide(kept: &[Kept], texts: &mut [(RowTexts, Vec<Secret>)], redactor: &mut Redactor) {
    let mut by_session: HashMap<&str, Vec<Secret>> = HashMap::new();
    for (kept, (_, found)) in kept.iter().zip(texts.iter()) {
        let secrets = by_session.entry(kept.pair.session.id.as_str()).or_default();
        for secret in found {
            if !secrets.contains(secret) {
                secrets.push(secret.clone());
            }
        }
    }
    for (kept, (row, found)) in kept.iter().zip(texts.iter_mut()) {
        let secrets = &by_session[kept.pair.session.id.as_str()];
        if secrets.iter().any(|secret| !found.contains(secret)) {
            row.redact_also(secrets, redactor);
        }
    }
}

/// Writes the rows to a temporary file beside `out`, syncs it and renames it over `out`.
fn write_atomically(out: &Path, rows: &[Vec<u8>]) -> io::Result<()> {
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = out.file_name().ok_or_else(|| io::Error::other("the output names no file"))?;
    let temporary = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut file = io::BufWriter::new(std::fs::File::create(&temporary)?);
        for row in rows {
            file.write_all(row)?;
        }
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&temporary, out)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
