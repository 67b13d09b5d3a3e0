//! Times the worker's side of a step on the 10,000-recipient preset (native, release):
//! `cargo run --release -p spoolscope-playground --example frame_timing`.

use std::time::Instant;

use spoolscope_playground::presets;
use spoolscope_playground::protocol::{FrameRequest, Window};
use spoolscope_playground::session::Session;

fn main() {
    let text = presets::find("load-10k")
        .map(|p| p.text)
        .unwrap_or_default();
    let mut s = Session::new();
    let t = Instant::now();
    let summary = match s.load(1, text) {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("{}:{}: {}", e.line, e.col, e.message);
            return;
        }
    };
    println!("load: {:?} ({} steps)", t.elapsed(), summary.total);
    let mut req = FrameRequest {
        run: 1,
        step: 0,
        diagram: Window::new(0, 100),
        follow: true,
        table: Window::new(0, 100),
    };
    for step in [
        0,
        1,
        2,
        3,
        summary.total,
        summary.total - 1,
        3000,
        6000,
        6001,
        9000,
    ] {
        req.step = step;
        let t = Instant::now();
        let f = s.frame(&req);
        let n = f.map(|f| f.table.len() + f.diagram.len()).unwrap_or(0);
        println!("frame {step}: {:?} ({n} rows)", t.elapsed());
    }
}
