//! The page's leaf components, one per file (STYLE §14): each takes `PartialEq` props and
//! reports user intent through `Callback` props; none holds page state of its own beyond
//! DOM plumbing (node refs).

pub mod details;
pub mod diagram;
pub mod divergence;
pub mod editor;
pub mod exports;
pub mod help;
pub mod player;
pub mod presets;
pub mod queue;
pub mod recipients;
pub mod status;
pub mod transcript;
pub mod walk;
pub mod warnings;
