//! The data directory: the SQLite file, the service secret, and a lock that keeps two
//! processes from using one directory at once.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chirp_shared::store::sqlite::SqliteStore;

/// An opened data directory; the lock is held while this value lives.
pub struct DataDir {
    pub path: PathBuf,
    _lock: File,
}

impl DataDir {
    /// Creates the directory if needed and takes its lock. Fails when another chirp-local
    /// process (a server or a loader) holds it.
    pub fn open(path: &Path) -> Result<Self, String> {
        fs::create_dir_all(path)
            .map_err(|error| format!("cannot create data directory {}: {error}", path.display()))?;
        let lock_path = path.join("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|error| format!("cannot open {}: {error}", lock_path.display()))?;
        lock.try_lock().map_err(|_| {
            format!(
                "data directory {} is in use by another chirp-local process; stop it first",
                path.display()
            )
        })?;
        Ok(Self { path: path.to_owned(), _lock: lock })
    }

    pub fn open_store(&self) -> Result<SqliteStore, String> {
        let file = self.path.join("chirp.db");
        SqliteStore::open(&file).map_err(|error| format!("cannot open {}: {error}", file.display()))
    }

    /// Returns the secret that signs tokens and cursors: `CHIRP_SECRET` when set, else a random
    /// one made on first start and kept in the directory, so tokens survive restarts.
    pub fn secret(&self) -> Result<Vec<u8>, String> {
        if let Ok(secret) = std::env::var("CHIRP_SECRET") {
            return Ok(secret.into_bytes());
        }
        let file = self.path.join("secret");
        if let Ok(secret) = fs::read(&file) {
            return Ok(secret);
        }
        let bytes: [u8; 32] = rand::random();
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        write_private(&file, secret.as_bytes())
            .map_err(|error| format!("cannot write {}: {error}", file.display()))?;
        Ok(secret.into_bytes())
    }
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.create_new(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents)
}
