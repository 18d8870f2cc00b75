//! Tables of the embedded store.

use rusqlite::Connection;

/// Creates the tables if needed and sets the connection up: write-ahead logging so readers
/// never block the writer, and `synchronous=FULL` so a commit is on disk before it returns.
pub(super) fn prepare(connection: &Connection) -> rusqlite::Result<()> {
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    connection.execute_batch(
        "
        CREATE TABLE IF NOT EXISTS items (
            pk TEXT NOT NULL,
            sk TEXT NOT NULL,
            gsi1pk TEXT, gsi1sk TEXT,
            gsi2pk TEXT, gsi2sk TEXT,
            gsi3pk TEXT, gsi3sk TEXT,
            body TEXT NOT NULL,
            PRIMARY KEY (pk, sk)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
        CREATE INDEX IF NOT EXISTS items_gsi2 ON items (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL;
        CREATE INDEX IF NOT EXISTS items_gsi3 ON items (gsi3pk, gsi3sk, pk, sk) WHERE gsi3pk IS NOT NULL;

        -- The change stream: one row per changed item, in commit order.
        CREATE TABLE IF NOT EXISTS stream (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            event_name TEXT NOT NULL,
            -- The item's `entity` attribute, so consumers can filter records without decoding
            -- them, as event source mapping filter criteria do on AWS.
            entity TEXT,
            keys TEXT NOT NULL,
            old_image TEXT,
            new_image TEXT,
            created_at_ms INTEGER NOT NULL
        );

        -- Each consumer's position: the last sequence number it has fully processed.
        CREATE TABLE IF NOT EXISTS stream_consumers (
            consumer TEXT PRIMARY KEY,
            position INTEGER NOT NULL
        );

        -- Records a consumer gave up on after its retries, kept for an operator.
        CREATE TABLE IF NOT EXISTS stream_dead_letters (
            consumer TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            failed_at_ms INTEGER NOT NULL,
            PRIMARY KEY (consumer, sequence)
        );
        ",
    )
}
