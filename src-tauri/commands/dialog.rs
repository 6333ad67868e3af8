//! Native dialogs the window asks for.

use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

/// Asks for a folder (where downloads go); `None` when the user cancels.
#[tauri::command]
pub async fn choose_folder<R: Runtime>(app: AppHandle<R>) -> Result<Option<String>, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Download to…")
        .pick_folder(move |folder| {
            let _ = tx.send(folder);
        });
    let folder = rx.await.map_err(|e| e.to_string())?;
    Ok(folder
        .and_then(|f| f.into_path().ok())
        .map(|p| p.display().to_string()))
}

/// Asks for files (or, with `folders`, folders) to upload; empty when the user
/// cancels.
#[tauri::command]
pub async fn choose_files<R: Runtime>(
    app: AppHandle<R>,
    folders: bool,
) -> Result<Vec<String>, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let dialog = app.dialog().file().set_title(if folders {
        "Upload folders"
    } else {
        "Upload files"
    });
    if folders {
        dialog.pick_folders(move |picked| {
            let _ = tx.send(picked);
        });
    } else {
        dialog.pick_files(move |picked| {
            let _ = tx.send(picked);
        });
    }
    let picked = rx.await.map_err(|e| e.to_string())?;
    Ok(picked
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| f.into_path().ok())
        .map(|p| p.display().to_string())
        .collect())
}
