//! Rebuilds the crate when a migration changes: `embed_migrations!` reads the directories at
//! compile time, and cargo does not otherwise know that they are inputs.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
