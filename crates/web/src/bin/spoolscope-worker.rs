//! The playground's Web Worker: runs the engine for the page.

use gloo_worker::Registrable;
use spoolscope_web::worker::EngineWorker;

fn main() {
    EngineWorker::registrar().register();
}
