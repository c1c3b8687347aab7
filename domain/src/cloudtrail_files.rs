//! CloudTrail log files for `attest import cloudtrail PATH...`: finding them ([`discover`]) and
//! streaming their records one at a time ([`read_records`]) whatever the packaging: S3
//! deliveries (`{"Records":[...]}`, gzipped), JSON arrays, NDJSON exports and single records.
//! Memory stays bounded by the largest record, never by the size of a file.

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

#[derive(Debug, thiserror::Error)]
pub enum CloudTrailFileError {
    #[error("cannot read {}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {message}", .path.display())]
    Json { path: PathBuf, message: String },
    #[error("{} does not exist", .0.display())]
    NotFound(PathBuf),
    #[error("{} is not a CloudTrail log file: {reason}", .path.display())]
    NotCloudTrail { path: PathBuf, reason: String },
}

impl CloudTrailFileError {
    fn io(path: &Path, source: io::Error) -> CloudTrailFileError {
        if source.kind() == io::ErrorKind::NotFound {
            CloudTrailFileError::NotFound(path.to_owned())
        } else {
            CloudTrailFileError::Io {
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
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CloudTrailFileError> {
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|err| CloudTrailFileError::io(path, err))?;
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
                CloudTrailFileError::io(&at, io::Error::from(err))
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
/// magic bytes (or a `.gz` name). A digest file is skipped, not an error. On invalid or
/// truncated JSON the records before the damage have been handed over and the error says
/// where the damage is.
pub fn read_records(
    path: &Path,
    on_record: &mut dyn FnMut(Vec<u8>) -> ControlFlow<()>,
) -> Result<FileSummary, CloudTrailFileError> {
    let file = File::open(path).map_err(|err| CloudTrailFileError::io(path, err))?;
    let mut plain = BufReader::with_capacity(BUFFER_BYTES, file);
    let head = plain
        .fill_buf()
        .map_err(|err| CloudTrailFileError::io(path, err))?;
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
    stream::read(input, gzipped, on_record).map_err(|failure| failure.into_error(path))
}
