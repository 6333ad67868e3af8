//! Tauri's build step: reads `tauri.conf.json`, declares the app's own commands (so
//! each needs an `allow-…` permission) and takes the capabilities from
//! `src-tauri/capabilities`.
fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "api_json",
        "api_bytes",
        "api_events",
        "choose_folder",
        "choose_files",
        "agents_list",
        "agent_add",
        "agent_remove",
        "agent_use",
    ]);
    let attributes = tauri_build::Attributes::new()
        .app_manifest(manifest)
        .capabilities_path_pattern("src-tauri/capabilities/**/*");
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}");
    }
}
