//! The playground's one wasm module: the page on a window, the engine worker in a worker.

fn main() {
    spoolscope_web::main();
}
