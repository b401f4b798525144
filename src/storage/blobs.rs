//! The image bytes port: a key-value store of blobs. The embedded default is a local
//! directory (`STORAGE_DIR`); S3-compatible object storage ([`s3::S3Store`],
//! `STORAGE_URL=s3://...`) takes its place behind the same trait. Keys are built by the
//! service from ids and size names, never from client input.

pub mod s3;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

/// Why a store operation failed: the store did not answer (worth retrying later), or
/// anything else (a bug or a misconfiguration).
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The store could not be reached or kept failing within its retries and timeouts.
    #[error("the image store does not answer: {0:#}")]
    Unavailable(anyhow::Error),
    /// Any other failure: a refused key, refused credentials, a broken disk.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl BlobError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Where image bytes live.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores `bytes` under `key`, replacing what was there, atomically: a reader sees
    /// the old bytes or the new ones, never a part.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError>;
    /// The bytes under `key`, or None when there are none.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError>;
    /// Whether the store answers (for `/readyz`); reads nothing large, writes nothing.
    async fn ping(&self) -> Result<(), BlobError>;
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
        check_key(key)?;
        Ok(self.root.join(key))
    }
}

/// Refuses a key that is not `/`-separated parts of letters, digits, `-`, `_` and `.`
/// (no empty part, no `.` or `..`): it could leave the directory or the prefix.
pub(crate) fn check_key(key: &str) -> anyhow::Result<()> {
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
    Ok(())
}

#[async_trait::async_trait]
impl BlobStore for LocalDir {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        let path = self.path(key)?;
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .context("Failed to join the blob writer")??;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let path = self.path(key)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(anyhow::Error::new(error)
                .context(format!("Failed to read {}", path.display()))
                .into()),
        }
    }

    async fn ping(&self) -> Result<(), BlobError> {
        let metadata = tokio::fs::metadata(&self.root)
            .await
            .with_context(|| format!("Failed to read {}", self.root.display()))?;
        if !metadata.is_dir() {
            return Err(anyhow::anyhow!("{} is not a directory", self.root.display()).into());
        }
        Ok(())
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
mod tests;
