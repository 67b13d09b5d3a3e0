//! `spoolscope`: runs a scenario and prints its trace (contract §4), or checks it.
//!
//! ```text
//! spoolscope run FILE [--format text|json|mermaid|svg|dsn]
//! spoolscope check FILE
//! ```
//!
//! Exit status: 0 when the run completes (or the check passes); 2 for bad input, with one
//! line `FILE:LINE:COL: message` on stderr (contract §5): a scenario or script error, a
//! script fault during the run, a file that cannot be read or is not UTF-8, bad arguments;
//! 1 when the output cannot be written. The binary is glue: parsing, running and rendering
//! live in the contract, engine and script crates and in this crate's library.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use spoolscope_cli::{embeds, links};
use spoolscope_contract::link;
use spoolscope_contract::scenario::MAX_SCENARIO_BYTES;
use spoolscope_contract::{parse_scenario, Format, Pos, Scenario};
use spoolscope_render::{dsn, mermaid, svg, text};

/// Simulates the MAPI spooler's outbound submission to transport providers.
#[derive(Parser)]
#[command(name = "spoolscope", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print its trace.
    Run {
        /// Scenario file (`.toml`, or `.json` / text starting with `{`).
        file: PathBuf,
        /// How to print the trace.
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Parse a scenario and compile its transport scripts without running it.
    Check {
        /// Scenario file (`.toml`, or `.json` / text starting with `{`).
        file: PathBuf,
    },
    /// Print a link (links §1) that opens the scenario in the playground, with the hash and
    /// recorded trace of its run.
    Link {
        /// Scenario file (`.toml`, or `.json` / text starting with `{`).
        file: PathBuf,
        /// The page's address, e.g. `https://example.org/spoolscope/` (empty: the fragment alone).
        #[arg(long, default_value = "")]
        base: String,
        /// A link for an embed (`?embed=1`).
        #[arg(long)]
        embed: bool,
        /// View options in link syntax, e.g. `step=12&sel=7&range=10-20&autoplay=1&panels=diagram,recipients`.
        #[arg(long, default_value = "")]
        view: String,
    },
    /// Check or re-record every link in files or directories (links §6).
    Links {
        #[command(subcommand)]
        action: LinksAction,
    },
}

#[derive(Subcommand)]
enum LinksAction {
    /// Decode and replay every link; fail on any whose trace hash differs (exit 1).
    Check {
        /// Files or directories (searched recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Rewrite every link's trace hash and recorded trace for this engine.
    Record {
        /// Files or directories (searched recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// An indented call log, then recipient, message and report tables.
    Text,
    /// The trace as contract JSON (byte-identical for the same scenario and engine).
    Json,
    /// A Mermaid sequenceDiagram.
    Mermaid,
    /// The sequence diagram as a standalone SVG file.
    Svg,
    /// Each report as an RFC 3464 delivery status notification (multipart/report).
    Dsn,
}

/// Why the tool stopped before finishing.
enum Failure {
    /// Bad input (contract §5): the complete line for stderr; exit status 2.
    Input(String),
    /// Writing to stdout failed; exit status 1 (0 for a closed pipe, as `head` expects).
    Output(io::Error),
    /// `links check` found links that do not replay as recorded; exit status 1.
    Check,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and --version are printed to stdout and succeed; usage errors exit 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(line)) => {
            let _ = writeln!(io::stderr(), "{line}");
            ExitCode::from(2)
        }
        Err(Failure::Check) => ExitCode::from(1),
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(e)) => {
            let _ = writeln!(io::stderr(), "spoolscope: cannot write the output: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Run { file, format } => {
            let input = Input::load(file)?;
            let scenario = input.scenario()?;
            let transports = spoolscope_script::build_transports(&scenario)
                .map_err(|e| input.error(e.pos, &e.message))?;
            let run = spoolscope_engine::run(&scenario, transports);
            if let Some(fault) = &run.fault {
                return Err(input.error(fault.pos.unwrap_or(Pos::START), &fault.message));
            }
            let out = match format {
                OutputFormat::Text => text::render(&run.trace),
                OutputFormat::Json => run.trace.to_json(),
                OutputFormat::Mermaid => mermaid::render(&run.trace),
                OutputFormat::Svg => svg::render(&run.trace),
                OutputFormat::Dsn => dsn::render(&run.trace),
            };
            write_stdout(&out)
        }
        Command::Check { file } => {
            let input = Input::load(file)?;
            let scenario = input.scenario()?;
            spoolscope_script::build_transports(&scenario)
                .map_err(|e| input.error(e.pos, &e.message))?;
            write_stdout(&format!("{}: ok ({})\n", input.name, summary(&scenario)))
        }
        Command::Link {
            file,
            base,
            embed,
            view,
        } => {
            let input = Input::load(file)?;
            input.scenario()?;
            let view = parse_view(view)?;
            let fragment =
                links::make(&input.text, &view).map_err(|e| input.error(e.pos, &e.message))?;
            let query = if *embed { "?embed=1" } else { "" };
            write_stdout(&format!("{base}{query}#{fragment}\n"))
        }
        Command::Links { action } => {
            let (paths, record) = match action {
                LinksAction::Check { paths } => (paths, false),
                LinksAction::Record { paths } => (paths, true),
            };
            links_in(paths, record)
        }
    }
}

/// View options in link syntax (`step=12&sel=7`), read by the link parser itself.
fn parse_view(view: &str) -> Result<link::View, Failure> {
    embeds::view_of(view).map_err(|e| Failure::Input(format!("spoolscope: --view: {e}")))
}

/// `spoolscope links check|record PATH…`.
fn links_in(paths: &[PathBuf], record: bool) -> Result<(), Failure> {
    let mut files = Vec::new();
    for p in paths {
        if !p.exists() {
            return Err(Failure::Input(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
        collect_files(p, &mut files);
    }
    let mut report = String::new();
    let (mut ok, mut bad) = (0usize, 0usize);
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue; // not text
        };
        let has_embeds = !embeds::markers(&text).is_empty();
        let found = links::find(&text);
        if found.is_empty() && !has_embeds {
            continue;
        }
        if record {
            // The book's embeds are made again from their scenario files first (links §6).
            let text_now = match embeds::refresh(path, &text) {
                Ok(t) => t,
                Err((line, e)) => {
                    bad += 1;
                    report.push_str(&format!("{}:{line}: {e}\n", path.display()));
                    continue;
                }
            };
            let found = links::find(&text_now);
            match links::rerecord_text(&text_now) {
                Ok(again) => {
                    if again != text {
                        std::fs::write(path, again).map_err(Failure::Output)?;
                        report.push_str(&format!(
                            "{}: re-recorded {} link(s)\n",
                            path.display(),
                            found.len()
                        ));
                    }
                    ok += found.len();
                }
                Err((line, e)) => {
                    bad += 1;
                    report.push_str(&format!("{}:{line}: {e}\n", path.display()));
                }
            }
            continue;
        }
        for (line, why) in embeds::stale(path, &text) {
            bad += 1;
            report.push_str(&format!("{}:{line}: {why}\n", path.display()));
        }
        for f in found {
            let at = format!("{}:{}", path.display(), f.line);
            match links::check(&f.fragment) {
                Ok(links::Checked::Same { hash }) => {
                    ok += 1;
                    report.push_str(&format!("{at}: ok {hash}\n"));
                }
                Ok(links::Checked::Unrecorded) => {
                    ok += 1;
                    report.push_str(&format!("{at}: ok (records no trace)\n"));
                }
                Ok(links::Checked::Differs {
                    recorded,
                    now,
                    first,
                }) => {
                    bad += 1;
                    report.push_str(&format!(
                        "{at}: the trace differs: recorded {recorded}, now {now}\n"
                    ));
                    if let Some(d) = first {
                        let place = d
                            .step
                            .map_or("the final tables".to_string(), |s| format!("step {s}"));
                        report.push_str(&format!(
                            "    first difference at {place}\n    old: {}\n    new: {}\n",
                            d.old, d.new
                        ));
                    }
                }
                Err(e) => {
                    bad += 1;
                    report.push_str(&format!("{at}: {e}\n"));
                }
            }
        }
    }
    let verb = if record { "recorded" } else { "checked" };
    report.push_str(&format!("links: {ok} {verb}, {bad} failed\n"));
    write_stdout(&report)?;
    if bad > 0 {
        if record {
            return Err(Failure::Input(
                "spoolscope: some links could not be re-recorded".into(),
            ));
        }
        return Err(Failure::Check);
    }
    Ok(())
}

/// Files under `path` (itself when a file), sorted, skipping build and VCS folders.
fn collect_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    children.sort();
    for c in children {
        let skip = c
            .file_name()
            .is_some_and(|n| n == "target" || n == "node_modules" || n == ".git");
        if !skip {
            collect_files(&c, out);
        }
    }
}

/// `3 transports, 2 messages, 5 recipients, 1 event`.
fn summary(s: &Scenario) -> String {
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    [
        count(s.transports.len(), "transport"),
        count(s.messages.len(), "message"),
        count(s.recipient_count(), "recipient"),
        count(s.events.len(), "event"),
    ]
    .join(", ")
}

/// A scenario file's text and the name it is reported under.
struct Input {
    /// The path as given on the command line.
    name: String,
    path: PathBuf,
    text: String,
}

impl Input {
    /// Reads `path` as UTF-8 text of at most [`MAX_SCENARIO_BYTES`] (a larger file, or a
    /// device that never ends, is refused without reading it all).
    fn load(path: &Path) -> Result<Input, Failure> {
        let name = path.display().to_string();
        let cannot = |e: io::Error| Failure::Input(format!("{name}: cannot read: {e}"));
        let mut bytes = Vec::new();
        File::open(path)
            .and_then(|f| {
                f.take(MAX_SCENARIO_BYTES as u64 + 1)
                    .read_to_end(&mut bytes)
            })
            .map_err(cannot)?;
        if bytes.len() > MAX_SCENARIO_BYTES {
            return Err(Failure::Input(format!(
                "{name}:1:1: the scenario is larger than the limit of {MAX_SCENARIO_BYTES} bytes"
            )));
        }
        let mut text = String::from_utf8(bytes).map_err(|e| {
            let bytes = e.as_bytes();
            let valid = e.utf8_error().valid_up_to();
            let pos = std::str::from_utf8(&bytes[..valid])
                .map(|p| Pos::of_offset(p, p.len()))
                .unwrap_or(Pos::START);
            let bad = bytes.get(valid).copied().unwrap_or(0);
            Failure::Input(format!(
                "{name}:{pos}: the file is not UTF-8 text (byte 0x{bad:02X})"
            ))
        })?;
        // A byte-order mark is invisible in editors, so positions are counted without it.
        if text.starts_with('\u{FEFF}') {
            text.drain(..'\u{FEFF}'.len_utf8());
        }
        Ok(Input {
            name,
            path: path.to_path_buf(),
            text,
        })
    }

    fn scenario(&self) -> Result<Scenario, Failure> {
        let format = Format::detect(self.path.to_str(), &self.text);
        parse_scenario(&self.text, format).map_err(|e| self.error(e.pos, &e.message))
    }

    /// `FILE:LINE:COL: message`, on one line.
    fn error(&self, pos: Pos, message: &str) -> Failure {
        let message: Vec<&str> = message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        Failure::Input(format!("{}:{pos}: {}", self.name, message.join(" ")))
    }
}

fn write_stdout(s: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Failure::Output)
}
