//! Rebuilds the crate when an embedded web asset changes (include_dir does not track new files).
fn main() {
    println!("cargo:rerun-if-changed=web");
    println!("cargo:rerun-if-changed=build.rs");
}
