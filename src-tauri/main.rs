//! The desktop app's entry point; everything is in the library.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> anyhow::Result<()> {
    coffer_desktop::run()?;
    Ok(())
}
