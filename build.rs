// `sqlx::migrate!` embeds the migrations when the crate compiles; a migration added or
// edited changes no Rust file, so without this the binary kept the old set (a benchmark ran
// without migration 35 that way).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
