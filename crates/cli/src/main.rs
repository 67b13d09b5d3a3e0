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
use spoolscope_render::{dsn, mermaid, svg, text};
use spoolscope_contract::scenario::MAX_SCENARIO_BYTES;
use spoolscope_contract::{parse_scenario, Format, Pos, Scenario};

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
