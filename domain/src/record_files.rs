//! Files of records for `attest import <kind> PATH...`: finding them ([`discover`]) and
//! streaming their records one at a time ([`read_records`]) whatever the packaging: wrapper
//! objects (CloudTrail's S3 `{"Records":[...]}`, the Logging API's `{"entries":[...]}`,
//! Graph's `{"value":[...]}`), JSON arrays, NDJSON exports and single records, gzipped or not.
//! Memory stays bounded by the largest record, never by the size of a file.

mod scan;
mod stream;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// Large enough that reading a file costs few system calls, small enough to be irrelevant.
const BUFFER_BYTES: usize = 256 * 1024;

/// What [`read_records`] did with one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSummary {
    /// Records handed to the callback.
    pub records: u64,
    /// Why the file was passed over (a digest file, an empty file), if it was.
    pub skipped: Option<String>,
}

/// How one kind of record file is recognised.
#[derive(Debug, Clone, Copy)]
pub struct RecordFormat {
    /// What the file is, for messages: "a CloudTrail log file".
    pub file: &'static str,
    /// What one record is, for messages: "a CloudTrail record".
    pub record: &'static str,
    /// The records in the plural, for messages: "CloudTrail records".
    pub records: &'static str,
    /// Keys of a wrapper object whose array value holds the records.
    pub wrappers: &'static [&'static str],
    /// Keys that mark a lone top-level object as a record (compared without case).
    pub record_keys: &'static [&'static str],
    /// Keys that mark an object to pass over, and why (CloudTrail's digest files).
    pub skip: Option<(&'static [&'static str], &'static str)>,
}

impl RecordFormat {
    pub const CLOUDTRAIL: RecordFormat = RecordFormat {
        file: "a CloudTrail log file",
        record: "a CloudTrail record",
        records: "CloudTrail records",
        wrappers: &["Records"],
        record_keys: &[
            "eventID",
            "eventTime",
            "eventName",
            "eventVersion",
            "eventSource",
            "userIdentity",
        ],
        skip: Some((
            &["digestStartTime", "digestEndTime", "digestS3Object"],
            "CloudTrail digest file, not a log file",
        )),
    };
}

#[derive(Debug, thiserror::Error)]
pub enum RecordFileError {
    #[error("cannot read {}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {message}", .path.display())]
    Json { path: PathBuf, message: String },
    #[error("{} does not exist", .0.display())]
    NotFound(PathBuf),
    #[error("{} is not {file}: {reason}", .path.display())]
    WrongFormat {
        path: PathBuf,
        file: &'static str,
        reason: String,
    },
}

impl RecordFileError {
    fn io(path: &Path, source: io::Error) -> RecordFileError {
        if source.kind() == io::ErrorKind::NotFound {
            RecordFileError::NotFound(path.to_owned())
        } else {
            RecordFileError::Io {
                path: path.to_owned(),
                source,
            }
        }
    }
}

/// The files to import: files named on the command line as they are, directories walked
/// recursively in name order (which is time order for S3's `AWSLogs/<account>/CloudTrail/
/// <region>/YYYY/MM/DD/` layout), keeping `.json`, `.jsonl`, `.ndjson` and their `.gz` forms.
/// Digest files (`CloudTrail-Digest/`) and hidden files are left out; a file found twice is
/// listed once.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, RecordFileError> {
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|err| RecordFileError::io(path, err))?;
        if !metadata.is_dir() {
            if seen.insert(path.clone()) {
                found.push(path.clone());
            }
            continue;
        }
        let walk = WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| entry.depth() == 0 || !is_skipped_entry(entry));
        for entry in walk {
            let entry = entry.map_err(|err| {
                let at = err.path().map_or_else(|| path.clone(), Path::to_path_buf);
                RecordFileError::io(&at, io::Error::from(err))
            })?;
            if entry.file_type().is_file() && is_log_file_name(entry.path()) {
                let file = entry.into_path();
                if seen.insert(file.clone()) {
                    found.push(file);
                }
            }
        }
    }
    Ok(found)
}

fn is_skipped_entry(entry: &walkdir::DirEntry) -> bool {
    let name = entry.file_name().to_string_lossy();
    name.starts_with('.') || (entry.file_type().is_dir() && name == "CloudTrail-Digest")
}

fn is_log_file_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase());
    let Some(name) = name else { return false };
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [".json", ".jsonl", ".ndjson"]
        .iter()
        .any(|extension| name.ends_with(extension))
}

/// Streams the records of one file to `on_record`, each as the raw bytes of one JSON object,
/// until the file ends or `on_record` answers [`ControlFlow::Break`]. Gzip is recognised by its
/// magic bytes (or a `.gz` name). A file the format says to pass over (a CloudTrail digest)
/// is skipped, not an error. On invalid or
/// truncated JSON the records before the damage have been handed over and the error says
/// where the damage is.
pub fn read_records(
    path: &Path,
    format: &RecordFormat,
    on_record: &mut dyn FnMut(Vec<u8>) -> ControlFlow<()>,
) -> Result<FileSummary, RecordFileError> {
    let file = File::open(path).map_err(|err| RecordFileError::io(path, err))?;
    let mut plain = BufReader::with_capacity(BUFFER_BYTES, file);
    let head = plain
        .fill_buf()
        .map_err(|err| RecordFileError::io(path, err))?;
    let gzipped = head.starts_with(&[0x1f, 0x8b])
        || path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("gz"));
    let input: Box<dyn BufRead> = if gzipped {
        Box::new(BufReader::with_capacity(
            BUFFER_BYTES,
            flate2::bufread::MultiGzDecoder::new(plain),
        ))
    } else {
        Box::new(plain)
    };
    stream::read(input, gzipped, format, on_record)
        .map_err(|failure| failure.into_error(path, format))
}
