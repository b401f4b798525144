//! The image bytes port: a key-value store of blobs. The embedded default is a local
//! directory (`STORAGE_DIR`); an object store can take its place behind the same trait.
//! Keys are built by the service from ids and size names, never from client input.

use std::path::{Path, PathBuf};

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

/// Writes to a temporary file beside the target, syncs it and renames it into place.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let parent = path.parent().context("a blob path has a parent")?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("Failed to create {}", parent.display()))?;
    let temp = parent.join(format!(".tmp-{}", uuid::Uuid::new_v4()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
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

    #[tokio::test]
    async fn keys_cannot_leave_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::open(dir.path()).unwrap();
        for key in ["../x", "a/../../x", "/etc/passwd", "", "a//b"] {
            assert!(store.put(key, vec![1]).await.is_err(), "{key}");
        }
    }
}
