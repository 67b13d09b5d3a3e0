//! Plain benchmark numbers in a few seconds, for CI logs:
//! `cargo run --release -p spoolscope-bench --bin bench-summary`.
//!
//! Prints one `name: value` line per measurement (runs/s, recipients/s, snapshot µs) and the
//! size of the run (trace events, table deltas, checkpoint interval). Use the criterion
//! benches (`cargo bench -p spoolscope-bench`) for statistically careful numbers.
//!
//! `bench-summary --session-ms FILE` prints only the time, in ms, of the page's worker session
//! loading FILE (`Session::load`: parse, scripts, engine, the page's layout) natively, as the
//! process's first load (a fresh heap, as in the worker the page sends a preset to): the
//! browser benchmark divides the worker's time for the same load by its median over a few
//! processes. `--session-ms FILE warm` times the median of 7 loads after a warm-up instead.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use spoolscope_bench::{
    accept_all_run, parse_compile_run, scenario, scenario_toml, scripted_run, snapshot_steps,
    status_counts, MESSAGES, RECIPIENTS,
};

/// Calls `f` at least `min_iters` times and for at least `budget`; returns the mean time.
fn time<T>(budget: Duration, min_iters: u32, mut f: impl FnMut() -> T) -> Duration {
    black_box(f()); // warm-up
    let start = Instant::now();
    let mut n = 0u32;
    while n < min_iters || start.elapsed() < budget {
        black_box(f());
        n += 1;
    }
    start.elapsed() / n
}

fn per_sec(d: Duration) -> f64 {
    1.0 / d.as_secs_f64()
}

/// Median of `n` timed `Session::load`s of `text` (after one warm-up), or why not.
fn session_load(text: &str, n: usize) -> Result<Duration, String> {
    let mut times = Vec::with_capacity(n);
    for i in 0..=n {
        let mut session = spoolscope_playground::session::Session::new();
        let start = Instant::now();
        let loaded = session.load(1, text);
        let took = start.elapsed();
        if let Err(e) = loaded {
            return Err(format!("{}:{}: {}", e.line, e.col, e.message));
        }
        black_box(&session);
        if i > 0 {
            times.push(took);
        }
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// The time of one `Session::load` of `text`, the first of this process.
fn cold_load(text: &str) -> Result<Duration, String> {
    let mut session = spoolscope_playground::session::Session::new();
    let start = Instant::now();
    let loaded = session.load(1, text);
    let took = start.elapsed();
    black_box(&session);
    loaded
        .map(|_| took)
        .map_err(|e| format!("{}:{}: {}", e.line, e.col, e.message))
}

fn main() -> ExitCode {
    if cfg!(debug_assertions) {
        eprintln!("note: a debug build; use --release for meaningful numbers");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, file, rest @ ..] = args.as_slice() {
        if flag == "--session-ms" {
            let warm = rest.first().is_some_and(|w| w == "warm");
            let text = match std::fs::read_to_string(file) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("{file}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let timed = if warm {
                session_load(&text, 7)
            } else {
                cold_load(&text)
            };
            return match timed {
                Ok(d) => {
                    println!("{:.2}", d.as_secs_f64() * 1e3);
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{file}:{e}");
                    ExitCode::FAILURE
                }
            };
        }
    }
    let text = scenario_toml();
    let sc = scenario();
    let run = match std::panic::catch_unwind(|| scripted_run(&sc)) {
        Ok(r) => r,
        Err(_) => return ExitCode::FAILURE,
    };
    let steps = snapshot_steps(&run);
    let budget = Duration::from_millis(1500);

    let e2e = time(budget, 3, || parse_compile_run(&text));
    let engine = time(budget, 3, || accept_all_run(&sc));
    let parse = time(Duration::from_millis(300), 5, || {
        spoolscope_contract::parse_scenario(&text, spoolscope_contract::Format::Toml)
    });
    let compile = time(Duration::from_millis(300), 5, || {
        spoolscope_script::build_transports(&sc)
    });
    let mid = time(Duration::from_millis(300), 20, || {
        run.timeline.snapshot(steps.middle)
    });
    let end = time(Duration::from_millis(300), 20, || {
        run.timeline.snapshot(steps.end)
    });
    let worst = time(Duration::from_millis(300), 20, || {
        run.timeline.snapshot(steps.longest_replay)
    });
    let accept_all = accept_all_run(&sc);

    println!("scenario: {RECIPIENTS} recipients in {MESSAGES} messages, 3 scripted transports");
    println!(
        "outcome: {}",
        status_counts(&run)
            .iter()
            .map(|(s, n)| format!("{s}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("trace_events: {}", run.trace.events.len());
    println!("reports: {}", run.trace.reports.len());
    println!("warnings: {}", run.trace.warnings.len());
    println!("deltas: {}", run.timeline.delta_count());
    println!(
        "checkpoint_interval: {}",
        run.timeline.checkpoint_interval()
    );
    println!(
        "end_to_end_ms: {:.2} (parse + compile scripts + run)",
        e2e.as_secs_f64() * 1e3
    );
    println!("parse_ms: {:.2}", parse.as_secs_f64() * 1e3);
    println!("compile_scripts_ms: {:.2}", compile.as_secs_f64() * 1e3);
    println!("end_to_end_runs_per_s: {:.2}", per_sec(e2e));
    println!(
        "end_to_end_recipients_per_s: {:.0}",
        per_sec(e2e) * RECIPIENTS as f64
    );
    println!(
        "engine_only_ms: {:.2} (AcceptAll transports; {} trace events)",
        engine.as_secs_f64() * 1e3,
        accept_all.trace.events.len()
    );
    println!("engine_only_runs_per_s: {:.2}", per_sec(engine));
    println!(
        "engine_only_recipients_per_s: {:.0}",
        per_sec(engine) * RECIPIENTS as f64
    );
    println!(
        "snapshot_middle_us: {:.1} (step {})",
        mid.as_secs_f64() * 1e6,
        steps.middle
    );
    println!(
        "snapshot_end_us: {:.1} (step {})",
        end.as_secs_f64() * 1e6,
        steps.end
    );
    println!(
        "snapshot_longest_replay_us: {:.1} (step {}, {} deltas replayed)",
        worst.as_secs_f64() * 1e6,
        steps.longest_replay,
        steps.longest_replay_deltas
    );
    let preset = spoolscope_playground::presets::find("load-10k").map(|p| p.text);
    match preset.map(|t| session_load(t, 5)) {
        Some(Ok(d)) => println!(
            "playground_load_10k_ms: {:.2} (the page's worker session loading the load-10k preset: parse, scripts, engine, layout)",
            d.as_secs_f64() * 1e3
        ),
        Some(Err(e)) => println!("playground_load_10k_ms: failed: {e}"),
        None => println!("playground_load_10k_ms: no load-10k preset"),
    }
    ExitCode::SUCCESS
}
