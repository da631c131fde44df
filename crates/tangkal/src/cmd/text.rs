//! `tangkal text`: the Indonesian analysis every detector uses, from the command line.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use tangkal_text::normalizer::Change;
use tangkal_text::{language, Analyzer, Dictionary, Lexicon, Normalizer, Stemmer, TokenKind};

use crate::config::Config;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Stem one word or text per line; prints `input<TAB>stems` (stems joined by spaces, as Sastrawi's stem(text))
    Stem {
        /// Input file; `-` or nothing reads standard input
        file: Option<PathBuf>,
        #[command(flatten)]
        dict: DictArgs,
    },
    /// Show every analysis step for one text: tokens, normalised forms, stems, language, fingerprint
    Analyze {
        /// The text; without it, standard input is read whole
        text: Option<String>,
        #[command(flatten)]
        dict: DictArgs,
        /// Extra informal-lexicon entries (`informal<TAB>standard` lines) on top of the shipped ones
        #[arg(long)]
        lexicon: Option<PathBuf>,
        /// One JSON object instead of the table
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
pub struct DictArgs {
    /// Root-word dictionary (one word a line) instead of the compiled-in Sastrawi kata-dasar
    #[arg(long)]
    dict: Option<PathBuf>,
}

impl DictArgs {
    fn stemmer(&self) -> Result<Stemmer> {
        Ok(match &self.dict {
            None => Stemmer::sastrawi(),
            Some(path) => {
                let text = read_text(path)?;
                let dict = Dictionary::from_text(&text.replace("\r\n", "\n"));
                anyhow::ensure!(!dict.is_empty(), "{}: the dictionary has no words", path.display());
                Stemmer::new(dict)
            }
        })
    }
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

pub fn run(_config: &Config, command: Command) -> Result<ExitCode> {
    match command {
        Command::Stem { file, dict } => stem(file.as_deref(), &dict.stemmer()?),
        Command::Analyze { text, dict, lexicon, json } => {
            let mut lex = Lexicon::builtin();
            if let Some(path) = &lexicon {
                lex.extend(Lexicon::parse(&read_text(path)?, &path.display().to_string())?);
            }
            let analyzer = Analyzer::with(Normalizer::with(lex, dict.stemmer()?));
            let text = match text {
                Some(t) => t,
                None => std::io::read_to_string(std::io::stdin()).context("cannot read standard input")?,
            };
            analyze(&analyzer, &text, json)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Lines that are not UTF-8 are reported on standard error with their number and skipped; the
/// others are all stemmed. Exit code 3 if any line was skipped.
fn stem(file: Option<&Path>, stemmer: &Stemmer) -> Result<ExitCode> {
    let (name, input): (String, Box<dyn BufRead>) = match file {
        None => ("<stdin>".into(), Box::new(std::io::stdin().lock())),
        Some(p) if p == Path::new("-") => ("<stdin>".into(), Box::new(std::io::stdin().lock())),
        Some(p) => {
            let f = std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
            (p.display().to_string(), Box::new(std::io::BufReader::new(f)))
        }
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut skipped = 0usize;
    for (i, line) in input.split(b'\n').enumerate() {
        let line = line.with_context(|| format!("{name}:{}: read failed", i + 1))?;
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        match std::str::from_utf8(line) {
            Ok(text) => writeln!(out, "{text}\t{}", stemmer.stem(text))?,
            Err(e) => {
                skipped += 1;
                eprintln!("{name}:{}: skipped: not UTF-8 ({e})", i + 1);
            }
        }
    }
    out.flush()?;
    Ok(if skipped > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

fn kind_name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Word => "word",
        TokenKind::Number => "number",
        TokenKind::Url => "url",
        TokenKind::Mention => "mention",
        TokenKind::Hashtag => "hashtag",
        TokenKind::Emoji => "emoji",
    }
}

fn change_name(change: Change) -> &'static str {
    match change {
        Change::Lexicon => "lexicon",
        Change::Reduplication => "reduplication",
        Change::Leetspeak => "leetspeak",
        Change::Squeezed => "squeezed",
    }
}

fn analyze(analyzer: &Analyzer, text: &str, json: bool) -> Result<()> {
    let a = analyzer.analyze(text);
    let guess = language::detect(text);
    let scores = language::scores(text);
    let fingerprint = analyzer.fingerprint(text);
    let tokens: Vec<serde_json::Value> = a
        .tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let (normal, changes) = match t.kind {
                TokenKind::Word | TokenKind::Number => analyzer.normalizer().explain(&t.text),
                _ => (String::new(), Vec::new()),
            };
            let terms: Vec<&str> =
                a.term_tokens.iter().zip(&a.terms).filter(|(&ti, _)| ti == i).map(|(_, s)| s.as_str()).collect();
            let stems: Vec<&str> =
                a.term_tokens.iter().zip(&a.stems).filter(|(&ti, _)| ti == i).map(|(_, s)| s.as_str()).collect();
            serde_json::json!({
                "kind": kind_name(t.kind),
                "start": t.start,
                "end": t.end,
                "original": &text[t.start..t.end],
                "folded": t.text,
                "normalized": if terms.is_empty() { serde_json::Value::Null } else { normal.into() },
                "changes": changes.into_iter().map(change_name).collect::<Vec<_>>(),
                "terms": terms,
                "stems": stems,
            })
        })
        .collect();
    let lang_scores: serde_json::Map<String, serde_json::Value> = language::Language::ALL
        .iter()
        .zip(scores)
        .map(|(l, s)| (l.code().to_owned(), serde_json::json!((s * 100.0).round() / 100.0)))
        .collect();
    let mut out = std::io::stdout().lock();
    if json {
        let value = serde_json::json!({
            "text": text,
            "language": guess.map(|g| serde_json::json!({"code": g.language.code(), "confidence": g.confidence})),
            "language_scores": lang_scores,
            "tokens": tokens,
            "terms": a.terms,
            "stems": a.stems,
            "canonical": a.canonical,
            "fingerprint": format!("{fingerprint:016x}"),
        });
        writeln!(out, "{value}")?;
        return Ok(());
    }
    match guess {
        Some(g) => writeln!(
            out,
            "language     {} ({:.2})  scores {}",
            g.language.code(),
            g.confidence,
            serde_json::Value::Object(lang_scores)
        )?,
        None => writeln!(out, "language     unknown (no words)")?,
    }
    writeln!(
        out,
        "{:<4} {:<8} {:<11} {:<20} {:<20} {:<24} stems",
        "#", "kind", "bytes", "original", "folded", "normalized"
    )?;
    for (i, t) in tokens.iter().enumerate() {
        let normalized = match t["normalized"].as_str() {
            None => "-".to_owned(),
            Some(n) => {
                let changes: Vec<&str> =
                    t["changes"].as_array().into_iter().flatten().filter_map(|c| c.as_str()).collect();
                if changes.is_empty() {
                    n.to_owned()
                } else {
                    format!("{n} ({})", changes.join("+"))
                }
            }
        };
        let stems: Vec<&str> = t["stems"].as_array().into_iter().flatten().filter_map(|s| s.as_str()).collect();
        writeln!(
            out,
            "{:<4} {:<8} {:<11} {:<20} {:<20} {:<24} {}",
            i,
            t["kind"].as_str().unwrap_or(""),
            format!("{}..{}", t["start"], t["end"]),
            t["original"].as_str().unwrap_or("").replace(['\n', '\t'], " "),
            t["folded"].as_str().unwrap_or(""),
            normalized,
            if stems.is_empty() { "-".to_owned() } else { stems.join(" ") },
        )?;
    }
    writeln!(out, "terms        {}", a.terms.join(" "))?;
    writeln!(out, "stems        {}", a.stems.join(" "))?;
    writeln!(out, "content      {}", a.content_stems().join(" "))?;
    writeln!(out, "canonical    {}", a.canonical)?;
    writeln!(out, "fingerprint  {fingerprint:016x}")?;
    Ok(())
}
