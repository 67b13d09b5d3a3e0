//! The playground page: mounts the Yew app.

fn main() {
    spoolscope_web::start();
}
