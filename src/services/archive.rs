//! ZIP archives streamed to the client (audit packs): entries are written one after another with
//! the `zip` crate's streaming writer into a bounded channel, so a pack of any size costs a few
//! chunks of memory, never the whole archive. Entries are stored, not compressed: certificates are
//! PDFs and images, already compressed.

use std::io::{Read, Write};
use std::path::PathBuf;

use actix_web::web::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;

/// Where an entry's bytes come from.
pub enum Source {
    /// Small text made on the fly (transcript, manifest).
    Bytes(Vec<u8>),
    /// A stored file, read in chunks.
    File(PathBuf),
}

/// One file in the archive.
pub struct Entry {
    /// Path inside the archive.
    pub name: String,
    /// Its content.
    pub source: Source,
}

const CHUNK: usize = 64 * 1024;

/// A `Write` that hands full chunks to the response stream (blocking while the client is slow).
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

fn write_all(entries: Vec<Entry>, out: ChannelWriter) -> zip::result::ZipResult<()> {
    let mut zip = zip::ZipWriter::new_stream(out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(false);
    for e in entries {
        zip.start_file(e.name, options)?;
        match e.source {
            Source::Bytes(b) => zip.write_all(&b)?,
            Source::File(path) => {
                let mut f = std::fs::File::open(&path)?;
                let mut buf = vec![0u8; CHUNK];
                loop {
                    let n = f.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    zip.write_all(&buf[..n])?;
                }
            }
        }
    }
    let mut out = zip.finish()?;
    out.flush()?;
    Ok(())
}

/// The archive as a stream of chunks, written on a blocking thread as the client reads.
pub fn stream(entries: Vec<Entry>) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let (tx, rx) = mpsc::channel(4);
    let err_tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let out = ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        };
        if let Err(e) = write_all(entries, out) {
            tracing::warn!(error = %e, "audit pack not completed");
            let _ = err_tx.blocking_send(Err(std::io::Error::other(
                "the archive could not be completed",
            )));
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn streams_a_zip_that_the_zip_crate_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.bin");
        let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&big, &content).unwrap();
        let entries = vec![
            Entry {
                name: "a.txt".into(),
                source: Source::Bytes(b"hello".to_vec()),
            },
            Entry {
                name: "certificates/big.bin".into(),
                source: Source::File(big),
            },
        ];
        let mut all = Vec::new();
        let mut s = Box::pin(stream(entries));
        let mut chunks = 0;
        while let Some(c) = s.next().await {
            all.extend_from_slice(&c.unwrap());
            chunks += 1;
        }
        assert!(chunks > 3, "sent in pieces, not at once");
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(all)).unwrap();
        let mut out = Vec::new();
        z.by_name("certificates/big.bin")
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, content);
        let mut a = String::new();
        z.by_name("a.txt").unwrap().read_to_string(&mut a).unwrap();
        assert_eq!(a, "hello");
    }
}
