//! Criterion benchmarks (`cargo bench -p spoolscope-bench`): the 10,000-recipient scenario of
//! `spoolscope_bench` end to end with Rhai scripts, timeline snapshots of that run, and the
//! engine alone with `AcceptAll` transports. Throughput is in recipients (elements/s); runs/s
//! is 1 / time. Every timed routine includes dropping what it built (a `Run` holds the trace,
//! the table deltas and the timeline's checkpoints, which take a noticeable time to free).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use spoolscope_bench::{
    accept_all_run, parse_compile_run, scenario, scenario_toml, scripted_run, snapshot_steps,
    RECIPIENTS,
};

fn end_to_end(c: &mut Criterion) {
    let text = scenario_toml();
    let sc = scenario();
    let mut g = c.benchmark_group("end_to_end_10k");
    g.throughput(Throughput::Elements(RECIPIENTS as u64));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(10));
    // Parse the TOML, compile the three scripts, run (what `spoolscope run` does).
    g.bench_function("parse_compile_run", |b| {
        b.iter(|| black_box(parse_compile_run(black_box(&text))))
    });
    // The run alone: scripts compiled outside the timed part (they are per run, since the
    // transports share a run-wide operation budget). Dropping the run is timed, as in the
    // other benchmarks.
    g.bench_function("run_scripted", |b| {
        b.iter_batched(
            || spoolscope_script::build_transports(&sc).expect("scripts compile"),
            |xps| {
                black_box(spoolscope_engine::run(&sc, xps));
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("parse", |b| {
        b.iter(|| {
            black_box(spoolscope_contract::parse_scenario(
                black_box(&text),
                spoolscope_contract::Format::Toml,
            ))
        })
    });
    g.bench_function("compile_scripts", |b| {
        b.iter(|| black_box(spoolscope_script::build_transports(black_box(&sc))))
    });
    g.finish();
}

fn engine_only(c: &mut Criterion) {
    let sc = scenario();
    let mut g = c.benchmark_group("engine_only_10k");
    g.throughput(Throughput::Elements(RECIPIENTS as u64));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("accept_all", |b| {
        b.iter(|| black_box(accept_all_run(black_box(&sc))))
    });
    g.finish();
}

fn snapshots(c: &mut Criterion) {
    let r = scripted_run(&scenario());
    let steps = snapshot_steps(&r);
    let mut g = c.benchmark_group("snapshot_10k");
    for (name, step) in [
        ("middle", steps.middle),
        ("end", steps.end),
        ("longest_replay", steps.longest_replay),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| black_box(r.timeline.snapshot(black_box(step))))
        });
    }
    g.finish();
}

criterion_group!(benches, end_to_end, engine_only, snapshots);
criterion_main!(benches);
