//! Atomic file writes: a temp file in the same folder, fsync, rename. A reader
//! (or a crash) sees the old file or the new one, never half of either.

use std::io::Write;
use std::path::Path;

pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".gitsm-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // Test hook: `GITSM_TEST_FAIL_RENAME=1` makes the final rename fail, as a
    // crash between writing and renaming would. Tests use it to show that the
    // old file stays whole and no temp file is left behind.
    if std::env::var_os("GITSM_TEST_FAIL_RENAME").is_some_and(|v| v == "1") {
        drop(tmp);
        return Err(std::io::Error::other(
            "rename failed (GITSM_TEST_FAIL_RENAME test hook)",
        ));
    }
    tmp.persist(path).map_err(|e| e.error)?;
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
