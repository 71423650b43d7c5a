//! The one way a report is downloaded: a task takes a slot of `AppState::exports`
//! (each download holds a pooled connection for as long as its client reads, so a
//! few run at a time and the rest wait their turn), writes the report as CSV and
//! hands the client chunks through a channel two chunks deep. The download starts at
//! once, memory stays flat whatever the size, a slow client makes the task (and its
//! query) wait, and a client that goes away ends it.

use std::{future::Future, sync::Arc};

use axum::{
    body::Body,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use chrono::Utc;
use futures_util::{StreamExt as _, future::BoxFuture};

use super::ReportName;
use crate::{AppState, error::AppError};

/// Where a download's task sends its CSV chunks.
pub type Chunks = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// Streams a report as a CSV attachment: the header row, then what `write` sends.
pub fn download<W, F>(st: &AppState, name: ReportName, header: &'static [&'static str], write: W) -> Response
where
    W: FnOnce(Chunks) -> F + Send + 'static,
    F: Future<Output = Result<(), AppError>> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    let exports = st.exports.clone();
    tokio::spawn(async move {
        let written = match exports.acquire_owned().await {
            Ok(_slot) => write(tx.clone()).await,
            Err(err) => Err(AppError::Internal(format!("export slots: {err}"))),
        };
        if let Err(err) = written {
            tracing::error!(%err, report = name.as_str(), "export failed mid-stream");
            let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
        }
    });
    attachment(name, header, futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

/// A download read in keyset batches: `fetch` after key 0, then after each batch's
/// last key, until a batch comes back short.
pub fn batches(st: &AppState, name: ReportName, header: &'static [&'static str], fetch: Fetch) -> Response {
    let size = st.settings.export_batch;
    download(st, name, header, move |chunks| async move {
        let mut after = 0;
        loop {
            let batch = fetch(after).await?;
            if batch.rows > 0 && chunks.send(Ok(batch.csv)).await.is_err() {
                return Ok(());
            }
            match batch.last {
                Some(last) if batch.rows as u64 >= size => after = last,
                _ => return Ok(()),
            }
        }
    })
}

/// One batch of a download: its CSV records and the key of its last row (for the
/// next batch's `key > last` condition).
pub struct Batch {
    /// The batch written as CSV.
    pub csv: Bytes,
    pub rows: usize,
    pub last: Option<i64>,
}

impl Batch {
    pub fn of_records(records: &[Vec<String>], last: Option<i64>) -> Result<Self, AppError> {
        Ok(Batch { csv: csv_bytes(records)?, rows: records.len(), last })
    }
}

/// Fetches the batch after a key; each report supplies one, capturing its filters.
pub type Fetch = Arc<dyn Fn(i64) -> BoxFuture<'static, Result<Batch, AppError>> + Send + Sync>;

/// A download small enough to hold at once (one row per group), in one batch.
pub fn all_at_once(records: Vec<Vec<String>>) -> Fetch {
    let records = Arc::new(records);
    Arc::new(move |after| {
        let records = records.clone();
        Box::pin(
            async move { if after == 0 { Batch::of_records(&records, None) } else { Batch::of_records(&[], None) } },
        )
    })
}

/// Writes records as CSV with the `csv` crate (RFC 4180 quoting, UTF-8).
pub fn csv_bytes(records: &[Vec<String>]) -> Result<Bytes, AppError> {
    let mut out = csv::Writer::from_writer(Vec::with_capacity(records.len() * 160));
    for record in records {
        out.write_record(record).map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    }
    out.into_inner().map(Bytes::from).map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// A CSV attachment named after the report and today's date: the header row, then
/// the chunks `rows` yields as the client reads them.
fn attachment(
    name: ReportName,
    header: &'static [&'static str],
    rows: impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
) -> Response {
    let record: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    let first = futures_util::stream::once(std::future::ready(csv_bytes(&[record]).map_err(std::io::Error::other)));
    let filename = format!("attachment; filename=\"{}-{}.csv\"", name.as_str(), Utc::now().format("%Y-%m-%d"));
    let mut response = Body::from_stream(first.chain(rows)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&filename) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// An ISO 8601 UTC time for a CSV cell.
pub fn iso(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
