//! The scenario corpus: one `#[test]` per scenario file, so a failure names its file.
//!
//! `corpus!` lists every case as `name => "path/to/scenario.toml"` (relative to the
//! workspace root). The case's expectations are `tests/scenarios/NAME.expect.toml` and its
//! snapshot is `tests/scenarios/NAME.trace.json` (`UPDATE_EXPECT=1` rewrites snapshots).
//! `every_scenario_file_is_listed` fails when a `.toml` under `tests/scenarios/` or
//! `examples/` is missing from the list.

macro_rules! corpus {
    ($($name:ident => $path:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                spoolscope_tests::check_case(stringify!($name), $path);
            }
        )*

        const CASES: &[(&str, &str)] = &[$((stringify!($name), $path)),*];
    };
}

corpus! {
    // model §3.7: SubmitMessage return values.
    submit_ok => "tests/scenarios/submit_ok.toml",
    submit_busy => "tests/scenarios/submit_busy.toml",
    submit_not_me => "tests/scenarios/submit_not_me.toml",
    submit_wait => "tests/scenarios/submit_wait.toml",
    submit_wait_no_time => "tests/scenarios/submit_wait_no_time.toml",
    warn_success_with_reports => "tests/scenarios/warn_success_with_reports.toml",
    submit_wait_fractional => "tests/scenarios/submit_wait_fractional.toml",
    submit_network_error => "tests/scenarios/submit_network_error.toml",
    submit_cancel_deferred => "tests/scenarios/submit_cancel_deferred.toml",
    submit_call_failed => "tests/scenarios/submit_call_failed.toml",
    reference_unset => "tests/scenarios/reference_unset.toml",
    // model §3.8: EndMessage flags.
    end_flags_zero => "tests/scenarios/end_flags_zero.toml",
    end_resend_now => "tests/scenarios/end_resend_now.toml",
    end_resend_now_limit => "tests/scenarios/end_resend_now_limit.toml",
    end_resend_later => "tests/scenarios/end_resend_later.toml",
    // model §9.2: two-pass deferral and flush.
    deferral_two_pass => "tests/scenarios/deferral_two_pass.toml",
    session_logoff => "tests/scenarios/session_logoff.toml",
    deferral_flush => "tests/scenarios/deferral_flush.toml",
    flush_retry_timer => "tests/scenarios/flush_retry_timer.toml",
    // model §9.4: cancellation paths.
    cancel_in_submit => "tests/scenarios/cancel_in_submit.toml",
    cancel_in_end => "tests/scenarios/cancel_in_end.toml",
    cancel_deferred => "tests/scenarios/cancel_deferred.toml",
    abort_submit => "tests/scenarios/abort_submit.toml",
    abort_deferred => "tests/scenarios/abort_deferred.toml",
    outbound_off_on => "tests/scenarios/outbound_off_on.toml",
    // model §7.4: routing.
    routing_uid_first => "tests/scenarios/routing_uid_first.toml",
    routing_order => "tests/scenarios/routing_order.toml",
    routing_prefer_last => "tests/scenarios/routing_prefer_last.toml",
    routing_transport_order => "tests/scenarios/routing_transport_order.toml",
    routing_decline => "tests/scenarios/routing_decline.toml",
    routing_no_transport => "tests/scenarios/routing_no_transport.toml",
    routing_postponed => "tests/scenarios/routing_postponed.toml",
    // model §8, §9.3: several messages.
    ordering => "tests/scenarios/ordering.toml",
    ordering_retry_blocks => "tests/scenarios/ordering_retry_blocks.toml",
    retry_timer_overdue => "tests/scenarios/retry_timer_overdue.toml",
    // model §6: reports.
    reports_dr_ndr => "tests/scenarios/reports_dr_ndr.toml",
    reports_suppressed => "tests/scenarios/reports_suppressed.toml",
    // Contract §4 warnings: each code the engine emits.
    warn_status_recips => "tests/scenarios/warn_status_recips.toml",
    warn_recipients => "tests/scenarios/warn_recipients.toml",
    warn_end_flags => "tests/scenarios/warn_end_flags.toml",
    warn_results => "tests/scenarios/warn_results.toml",
    warn_cancel => "tests/scenarios/warn_cancel.toml",
    warn_deferral => "tests/scenarios/warn_deferral.toml",
    warn_bad_values => "tests/scenarios/warn_bad_values.toml",
    // Review findings (tests/scenarios/review_*.toml): each states what the model requires;
    // they fail until the engine is fixed (snapshots to be regenerated after the fix).
    review_resend_untaken => "tests/scenarios/review_resend_untaken.toml",
    review_end_message_ndr_untaken => "tests/scenarios/review_end_message_ndr_untaken.toml",
    review_flush_withdraws_callback => "tests/scenarios/review_flush_withdraws_callback.toml",
    review_busy_on_deferred_pass => "tests/scenarios/review_busy_on_deferred_pass.toml",
    review_until_inside_elapse => "tests/scenarios/review_until_inside_elapse.toml",
    review_return_parm_ignored => "tests/scenarios/review_return_parm_ignored.toml",
    // The examples (examples/*.toml), checked in place.
    example_seed => "examples/seed.toml",
    example_deferral => "examples/deferral.toml",
    example_routing => "examples/routing.toml",
    example_retries => "examples/retries.toml",
    example_cancel => "examples/cancel.toml",
    example_load_10k => "examples/load-10k.toml",
    // A playground preset whose story the page's explanation tells (web/presets/).
    preset_persona_unclaimed => "web/presets/persona-unclaimed.toml",
}

#[test]
fn every_scenario_file_is_listed() {
    spoolscope_tests::check_listing(CASES);
}

/// Every warning the engine can emit is met by a scenario of the corpus, where
/// `check_case` checks that it points at its cause (`warning_causes`).
#[test]
fn every_warning_code_has_a_scenario() {
    let codes = spoolscope_tests::engine_warning_codes();
    assert!(
        codes.len() >= 19,
        "found only {codes:?} in crates/engine/src"
    );
    let mut met = std::collections::BTreeSet::new();
    for (_, path) in CASES {
        let trace = spoolscope_tests::run_scenario(&spoolscope_tests::workspace_dir().join(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        met.extend(trace.warnings.iter().map(|w| w.code.clone()));
    }
    // The script host refuses a negative or non-finite retry_after() itself (a script fault at
    // its line), so only a Rust transport meets the engine's bad_retry_time:
    // `a_negative_retry_time_warns_inside_its_call` below.
    met.insert("bad_retry_time".to_string());
    let missing: Vec<_> = codes.iter().filter(|c| !met.contains(*c)).collect();
    assert!(
        missing.is_empty(),
        "no scenario meets the warnings {missing:?}"
    );
}

/// Every name any trace of the corpus (and every preset) holds — method, flag, status bit,
/// HRESULT, property, report kind and class, timer — has an explanation for the details
/// panel (`spoolscope_render::explain`), and every `model §N` a note, warning or return text
/// cites is a heading of the model, so its link lands.
#[test]
fn every_name_a_trace_holds_is_explained() {
    use spoolscope_render::explain;
    let model = std::fs::read_to_string(
        spoolscope_tests::workspace_dir().join("docs/spec/mapi-transport-model.md"),
    )
    .expect("the model");
    let mut traces: Vec<(String, spoolscope_contract::trace::Trace)> = Vec::new();
    for (_, path) in CASES {
        let trace = spoolscope_tests::run_scenario(&spoolscope_tests::workspace_dir().join(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        traces.push((path.to_string(), trace));
    }
    for preset in spoolscope_playground::presets::PRESETS
        .iter()
        .filter(|p| p.slug != "load-10k")
    {
        let mut session = spoolscope_playground::session::Session::new();
        let _ = session.load(1, preset.text);
        let trace = session
            .trace()
            .cloned()
            .unwrap_or_else(|| panic!("preset {}", preset.slug));
        traces.push((format!("preset {}", preset.slug), trace));
    }
    let mut missing = std::collections::BTreeSet::new();
    let mut seen = std::collections::BTreeSet::new();
    for (path, t) in &traces {
        for ev in &t.events {
            for name in explain::names_in(ev) {
                if explain::lookup(&name).is_none() {
                    missing.insert(format!("{name} (seq {} of {path})", ev.seq));
                }
                seen.insert(name);
            }
            let texts = ev.text.iter().chain(
                t.warnings
                    .iter()
                    .filter(|w| w.seq == ev.seq)
                    .map(|w| &w.text),
            );
            for text in texts {
                for section in explain::sections_cited(text) {
                    if !explain::is_model_heading(&model, &section) {
                        missing.insert(format!("model §{section} (seq {} of {path})", ev.seq));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "unexplained: {missing:#?}");
    // The corpus meets every method the engine calls, so the check above covers them all.
    let methods = spoolscope_tests::engine_method_names();
    assert!(
        methods.len() >= 14,
        "found only {methods:?} in crates/engine/src"
    );
    for method in methods {
        assert!(
            seen.iter().any(|n| n.ends_with(&format!("::{method}"))),
            "no trace of the corpus calls {method}, which crates/engine/src names"
        );
    }
}

use spoolscope_contract::consts::hr;
use spoolscope_contract::trace::EventKind;
use spoolscope_engine::transport::{AcceptAll, HookFault, MsgView, Support, Transport};

/// A transport that asks for a retry in -5 s and returns MAPI_E_WAIT, then sends.
struct NegativeRetry;

impl Transport for NegativeRetry {
    fn submit_message(&mut self, msg: &MsgView, sup: &mut dyn Support) -> Result<u32, HookFault> {
        if msg.attempt == 1 {
            sup.retry_after(-5.0);
            return Ok(hr::MAPI_E_WAIT);
        }
        AcceptAll.submit_message(msg, sup)
    }

    // The other hooks: the default behaviour's.
    fn end_message(&mut self, msg: &MsgView, sup: &mut dyn Support) -> Result<u32, HookFault> {
        AcceptAll.end_message(msg, sup)
    }

    fn transport_notify(
        &mut self,
        flags: u32,
        msg: Option<&MsgView>,
        sup: &mut dyn Support,
    ) -> Result<(), HookFault> {
        AcceptAll.transport_notify(flags, msg, sup)
    }
}

/// bad_retry_time points inside the SubmitMessage call that asked for it, and the MAPI_E_WAIT
/// without a time (wait_without_retry_time) at that call's return; the spooler falls back to
/// busy_retry_s and the second attempt sends.
#[test]
fn a_negative_retry_time_warns_inside_its_call() {
    let text = r#"
version = 1
title = "A negative retry time"
[[transport]]
name = "smtp"
address_types = ["SMTP"]
[[message]]
id = "m1"
recipients = [ { name = "Alice", address = "alice@contoso.example", type = "SMTP" } ]
"#;
    let scenario = spoolscope_contract::parse_scenario(text, spoolscope_contract::Format::Toml)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let run = spoolscope_engine::run(&scenario, vec![Box::new(NegativeRetry)]);
    let t = &run.trace;
    let codes: Vec<&str> = t.warnings.iter().map(|w| w.code.as_str()).collect();
    assert_eq!(codes, ["bad_retry_time", "wait_without_retry_time"]);
    assert_eq!(spoolscope_tests::warning_causes(t), Vec::<String>::new());
    let at = |seq: u64| {
        let e = &t.events[seq as usize - 1];
        (e.method.clone(), e.kind, e.attempt, e.result.clone())
    };
    // The call itself (nothing else happened inside it), then its return.
    assert_eq!(
        at(t.warnings[0].seq),
        (Some("SubmitMessage".into()), EventKind::Call, Some(1), None)
    );
    assert_eq!(
        at(t.warnings[1].seq),
        (
            Some("SubmitMessage".into()),
            EventKind::Return,
            None,
            Some("MAPI_E_WAIT".into())
        )
    );
    assert_eq!(t.recipients[0].status, "sent");
}
