//! Spoolscope's public contract (`shared/spec/scenario-and-trace.md`): the scenario a user
//! writes, the trace a run produces, and the MAPI constants both speak.
//!
//! Design: the scenario is read in two stages (raw, with source positions and unknown keys
//! denied → resolved, with the model's defaults applied), so the engine never sees an
//! unchecked value. Trace records are plain serializable DTOs, separate from the engine's
//! internal state types; changes within v1 are additive only.
//!
//! This crate must not depend on the engine, the script host or any UI.

pub mod consts;
mod doc;
mod json_read;
pub mod json_write;
pub mod link;
pub mod scenario;
pub mod time;
mod toml_read;
pub mod trace;

pub use scenario::{parse_scenario, Format, Pos, Scenario, ScenarioError};
pub use time::Millis;

/// Sorts `v` by `key`, keeping the order of equal keys, through one shared sort of `u64`s.
///
/// Each `sort_by_key` on a new element type adds a few KB of sorting code to the page's
/// download; this sorts packed `key << 32 | index` words instead. Keys must fit in 32 bits
/// (larger ones sort as `u32::MAX`, in their original order) and `v` may hold at most 2^32
/// elements (more cannot be allocated on the page's wasm32).
pub fn sort_by_key_stable<T>(v: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    let mut words: Vec<u64> = v
        .iter()
        .enumerate()
        .map(|(i, x)| (key(x).min(u64::from(u32::MAX)) << 32) | (i as u64 & 0xffff_ffff))
        .collect();
    words.sort();
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(words.iter().filter_map(|w| {
        slots
            .get_mut((w & 0xffff_ffff) as usize)
            .and_then(Option::take)
    }));
}

#[cfg(test)]
mod sort_tests {
    #[test]
    fn sorts_stably_by_key() {
        let mut v: Vec<(u64, char)> = vec![
            (3, 'a'),
            (1, 'b'),
            (3, 'c'),
            (0, 'd'),
            (1, 'e'),
            (u64::MAX, 'f'),
            (1 << 45, 'g'),
            (u64::from(u32::MAX) - 1, 'h'),
        ];
        super::sort_by_key_stable(&mut v, |x| x.0);
        let order: String = v.iter().map(|x| x.1).collect();
        assert_eq!(order, "dbeachfg");
        let mut big: Vec<u32> = (0..1000).rev().collect();
        super::sort_by_key_stable(&mut big, |&x| u64::from(x % 10));
        assert!(big
            .windows(2)
            .all(|w| w[0] % 10 < w[1] % 10 || (w[0] % 10 == w[1] % 10 && w[0] > w[1])));
    }
}
