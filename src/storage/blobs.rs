//! The image bytes port: a key-value store of blobs. The embedded default is a local
//! directory (`STORAGE_DIR`); an object store can take its place behind the same trait.
//! Keys are built by the service from ids and size names, never from client input.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

/// Where image bytes live.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores `bytes` under `key`, replacing what was there, atomically: a reader sees
    /// the old bytes or the new ones, never a part.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<()>;
    /// The bytes under `key`, or None when there are none.
    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
}

/// Blobs as files under one directory.
#[derive(Debug, Clone)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// Creates the directory when it is missing.
    pub fn open(root: impl Into<PathBuf>) -> anyhow::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root).with_context(|| {
            format!("Failed to create the storage directory {}", root.display())
        })?;
        Ok(Self { root })
    }

    /// Removes the temporary files of writes that never finished (the process stopped
    /// between creating one and renaming it into place) and are older than
    /// `older_than`, so younger ones, perhaps still being written by another process,
    /// are left alone. Returns how many it removed. It reads the whole directory: run
    /// it once at start-up, off the async workers.
    pub fn sweep_abandoned_writes(&self, older_than: Duration) -> usize {
        walkdir::WalkDir::new(&self.root)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|entry| {
                entry.file_type().is_file()
                    && entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
                    && entry
                        .metadata()
                        .ok()
                        .and_then(|m| m.modified().ok())
                        .and_then(|modified| modified.elapsed().ok())
                        .is_some_and(|age| age > older_than)
            })
            .filter(|entry| std::fs::remove_file(entry.path()).is_ok())
            .count()
    }

    fn path(&self, key: &str) -> anyhow::Result<PathBuf> {
        let valid = !key.is_empty()
            && key.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            });
        anyhow::ensure!(valid, "invalid blob key {key:?}");
        Ok(self.root.join(key))
    }
}

#[async_trait::async_trait]
impl BlobStore for LocalDir {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        let path = self.path(key)?;
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .context("Failed to join the blob writer")?
    }

    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let path = self.path(key)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error).with_context(|| format!("Failed to read {}", path.display())),
        }
    }
}

/// How the name of a write's temporary file begins (keys never begin with a dot).
const TEMP_PREFIX: &str = ".tmp-";

/// Writes to a temporary file beside the target, syncs it, renames it into place and
/// syncs the directory, so that the rename too survives a crash.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let parent = path.parent().context("a blob path has a parent")?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("Failed to create {}", parent.display()))?;
    let temp = parent.join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        // A directory can be opened and synced like a file on Unix only.
        #[cfg(unix)]
        std::fs::File::open(parent)?.sync_all()?;
        Ok::<(), std::io::Error>(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.with_context(|| format!("Failed to write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn blobs_round_trip_and_replace() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::open(dir.path().join("images")).unwrap();
        assert_eq!(store.get("a/b").await.unwrap(), None);
        store.put("a/b", b"one".to_vec()).await.unwrap();
        store.put("a/b", b"two".to_vec()).await.unwrap();
        assert_eq!(store.get("a/b").await.unwrap(), Some(b"two".to_vec()));
    }

    #[test]
    fn the_sweep_removes_old_temporary_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::open(dir.path()).unwrap();
        let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
        let file = |name: &str, old: bool| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let file = std::fs::File::create(&path).unwrap();
            if old {
                file.set_modified(two_hours_ago).unwrap();
            }
            path
        };
        let abandoned = file("7/.tmp-abandoned", true);
        let in_progress = file("7/.tmp-in-progress", false);
        let blob = file("7/original", true);
        assert_eq!(store.sweep_abandoned_writes(Duration::from_secs(3600)), 1);
        assert!(!abandoned.exists());
        assert!(in_progress.exists() && blob.exists());
        assert_eq!(store.sweep_abandoned_writes(Duration::from_secs(3600)), 0);
    }

    #[tokio::test]
    async fn keys_cannot_leave_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::open(dir.path()).unwrap();
        for key in ["../x", "a/../../x", "/etc/passwd", "", "a//b"] {
            assert!(store.put(key, vec![1]).await.is_err(), "{key}");
        }
    }
}
