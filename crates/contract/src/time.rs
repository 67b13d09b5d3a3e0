//! Virtual time: integer milliseconds, never a wall clock (STYLE §2).

use std::fmt;

/// A point on (or a span of) the virtual clock, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    pub const ZERO: Millis = Millis(0);

    pub const fn from_secs(s: u64) -> Millis {
        Millis(s * 1000)
    }

    /// Rounds to the nearest millisecond; negative or non-finite values give zero.
    pub fn from_secs_f64(s: f64) -> Millis {
        if s.is_finite() && s > 0.0 {
            Millis((s * 1000.0).round().min(u64::MAX as f64 / 2.0) as u64)
        } else {
            Millis::ZERO
        }
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    pub fn saturating_add(self, d: Millis) -> Millis {
        Millis(self.0.saturating_add(d.0))
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0 / 1000;
        let ms = self.0 % 1000;
        if ms == 0 {
            write!(f, "{s}s")
        } else {
            write!(f, "{s}.{ms:03}s")
        }
    }
}
