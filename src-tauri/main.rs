//! The desktop app's entry point; everything is in the library.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> anyhow::Result<()> {
    coffer_backup::limit_malloc_arenas();
    #[cfg(target_os = "linux")]
    webkit_without_dmabuf();
    coffer_desktop::run()?;
    Ok(())
}

/// WebKitGTK's DMA-BUF renderer loads the GL stack (Mesa, LLVM) into the web process:
/// about 80 MB more at idle on a machine without a GPU, and it is a known source of
/// blank windows with some drivers. A file manager needs no GPU compositing, so it is
/// off unless the user set the variable.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn webkit_without_dmabuf() {
    const VAR: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
    if std::env::var_os(VAR).is_none() {
        // SAFETY: the first thing main does, before any other thread exists, so no
        // one reads the environment concurrently.
        unsafe { std::env::set_var(VAR, "1") };
    }
}
