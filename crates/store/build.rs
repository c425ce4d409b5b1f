// `sqlx::migrate!` embeds the migration folders when the crate is compiled; this tells cargo
// to compile it again when a migration is added or changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
