//! PDF pages as images for OCR, with poppler's command-line tools (Debian
//! package `poppler-utils`, installed by `ops/setup`).
//!
//! - [`PdfFile::page_count`] runs `pdfinfo` and reads its `Pages:` line;
//! - [`PdfFile::rasterize_page`] runs `pdftoppm -gray -scale-to MAX` on one page and
//!   answers a grayscale PGM (binary PNM, which leptonica, and so
//!   tesseract, reads from memory). Scaling to a bounded longest side bounds
//!   the image's memory (`MAX²` bytes at most) whatever page size the PDF
//!   declares.
//!
//! A [`PdfFile`] writes the PDF once into a private temporary directory
//! (mode 0700, removed when the last holder drops it); every count and
//! every page read from it runs the tool there, in a scratch directory of
//! its own for its output and errors (redirected to files, so no pipe can
//! fill and no extra thread is needed), so the pages of one PDF can be
//! rasterised by several workers at once. The tool is polled until it exits
//! or the deadline passes; a tool still running at the deadline is killed
//! and reaped. The child inherits the calling thread's CPU affinity, so on
//! a pinned model worker it runs on that worker's core.
//!
//! Errors: a PDF poppler cannot read (damaged, encrypted, no such page) is
//! [`ModelError::InvalidInput`] carrying poppler's message (trimmed and
//! bounded); a missing tool is [`ModelError::ToolMissing`]; the deadline is
//! [`ModelError::DeadlineExceeded`].

use std::fs::File;
use std::io::Read as _;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::ModelError;

/// The bytes every PDF file starts with.
pub const PDF_MAGIC: &[u8] = b"%PDF-";

/// Default longest side, in pixels, of a rasterised page: 3300 px is an A4
/// or Letter page at about 300 dpi, tesseract's preferred resolution.
pub const DEFAULT_MAX_SIDE_PX: u32 = 3300;

/// The Debian package that provides the tools.
const PACKAGE: &str = "poppler-utils";
/// How often a running tool is checked for exit and deadline.
const POLL_INTERVAL: Duration = Duration::from_millis(5);
/// Most characters of a tool's error output kept in an error message.
const MAX_DETAIL_CHARS: usize = 300;
/// Most bytes of a tool's error output read (a damaged file can make
/// poppler print a line per broken object).
const MAX_STDERR_BYTES: u64 = 64 << 10;
/// The PDF's name in the scratch directory (relative, so no temporary path
/// shows in poppler's messages).
const INPUT_NAME: &str = "input.pdf";

/// True when `bytes` start with the PDF header (`%PDF-`).
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(PDF_MAGIC)
}

/// A PDF written once to a private temporary directory, removed when
/// dropped; share it (`Arc`) between the jobs that read its pages.
#[derive(Debug)]
pub struct PdfFile {
    scratch: tempfile::TempDir,
}

impl PdfFile {
    /// Writes `pdf` to a new private temporary directory.
    ///
    /// Errors: [`ModelError::Pdf`] when the directory or the file cannot be
    /// written.
    pub fn write(pdf: &[u8]) -> Result<Self, ModelError> {
        let scratch = tempfile::Builder::new()
            .prefix("agora-pdf-")
            .tempdir()
            .map_err(|e| ModelError::Pdf(format!("cannot create a temporary directory: {e}")))?;
        let input = scratch.path().join(INPUT_NAME);
        std::fs::write(&input, pdf).map_err(|e| scratch_error(&input, &e))?;
        Ok(Self { scratch })
    }

    /// The number of pages, from `pdfinfo`.
    ///
    /// Errors: [`ModelError::InvalidInput`] when poppler cannot read the
    /// file (with its message); [`ModelError::DeadlineExceeded`] when
    /// `pdfinfo` is still running at `deadline` (it is killed);
    /// [`ModelError::ToolMissing`] without `pdfinfo`; [`ModelError::Pdf`]
    /// when it cannot be run at all.
    pub fn page_count(&self, deadline: Instant) -> Result<usize, ModelError> {
        let info = run_tool("pdfinfo", &[], self.scratch.path(), deadline)?;
        parse_page_count(&String::from_utf8_lossy(&info)).ok_or_else(|| {
            ModelError::InvalidInput("pdfinfo reported no page count for this PDF".into())
        })
    }

    /// Page `page` (1-based) as a grayscale binary PGM whose longest side
    /// is `max_side_px` pixels (at least 1).
    ///
    /// Errors: [`ModelError::InvalidInput`] when `page` is 0 or past the
    /// last page, or when poppler cannot read the file (with its message);
    /// [`ModelError::DeadlineExceeded`] when `pdftoppm` is still running at
    /// `deadline` (it is killed); [`ModelError::ToolMissing`] without
    /// `pdftoppm`; [`ModelError::Pdf`] when it cannot be run or wrote
    /// nothing.
    pub fn rasterize_page(
        &self,
        page: usize,
        max_side_px: u32,
        deadline: Instant,
    ) -> Result<Vec<u8>, ModelError> {
        if page == 0 {
            return Err(ModelError::InvalidInput("PDF pages count from 1".into()));
        }
        let page = page.to_string();
        let side = max_side_px.max(1).to_string();
        let args = ["-f", &page, "-l", &page, "-gray", "-scale-to", &side];
        let image = run_tool("pdftoppm", &args, self.scratch.path(), deadline)?;
        if image.is_empty() {
            return Err(ModelError::Pdf(format!(
                "pdftoppm wrote no image of page {page}"
            )));
        }
        Ok(image)
    }
}

/// The page count from `pdfinfo`'s output. The last `Pages:` line counts:
/// the document's metadata (title, author, …) is printed before it and
/// could hold a forged line.
fn parse_page_count(info: &str) -> Option<usize> {
    info.lines()
        .filter_map(|line| line.strip_prefix("Pages:"))
        .next_back()
        .and_then(|n| n.trim().parse().ok())
}

/// Runs `program` with `args` and the PDF's name last in `dir` (which
/// holds it), its output and errors in a scratch directory of its own;
/// answers what it wrote on standard output.
fn run_tool(
    program: &'static str,
    args: &[&str],
    dir: &Path,
    deadline: Instant,
) -> Result<Vec<u8>, ModelError> {
    if Instant::now() >= deadline {
        return Err(ModelError::DeadlineExceeded);
    }
    // Removed (with everything in it) when dropped, on every return.
    let scratch = tempfile::Builder::new()
        .prefix(program)
        .tempdir_in(dir)
        .map_err(|e| ModelError::Pdf(format!("cannot create a temporary directory: {e}")))?;
    let (out_path, err_path) = (scratch.path().join("stdout"), scratch.path().join("stderr"));
    let stdout = File::create(&out_path).map_err(|e| scratch_error(&out_path, &e))?;
    let stderr = File::create(&err_path).map_err(|e| scratch_error(&err_path, &e))?;
    let mut command = Command::new(program);
    command
        .args(args)
        .arg(INPUT_NAME)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    let status = run_until(program, &mut command, deadline)?;
    if status.success() {
        return std::fs::read(&out_path).map_err(|e| scratch_error(&out_path, &e));
    }
    let mut errors = Vec::new();
    File::open(&err_path)
        .and_then(|f| f.take(MAX_STDERR_BYTES).read_to_end(&mut errors))
        .map_err(|e| scratch_error(&err_path, &e))?;
    let detail = error_detail(&String::from_utf8_lossy(&errors));
    match status.code() {
        Some(code) => Err(ModelError::InvalidInput(format!(
            "{program} cannot read this PDF (exit {code}): {detail}"
        ))),
        None => Err(ModelError::Pdf(format!(
            "{program} was stopped by a signal ({status}): {detail}"
        ))),
    }
}

/// Spawns `command` and waits for it, killing it at `deadline`.
fn run_until(
    program: &'static str,
    command: &mut Command,
    deadline: Instant,
) -> Result<ExitStatus, ModelError> {
    let mut child = command.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ModelError::ToolMissing {
            program,
            package: PACKAGE,
        },
        _ => ModelError::Pdf(format!("cannot run {program}: {e}")),
    })?;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) => {}
            Err(e) => {
                stop(&mut child);
                return Err(ModelError::Pdf(format!("cannot wait for {program}: {e}")));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            stop(&mut child);
            return Err(ModelError::DeadlineExceeded);
        }
        std::thread::sleep(POLL_INTERVAL.min(deadline - now));
    }
}

/// Kills and reaps `child` (it may have exited meanwhile: nothing to do).
fn stop(child: &mut std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn scratch_error(path: &Path, e: &std::io::Error) -> ModelError {
    ModelError::Pdf(format!("temporary file {}: {e}", path.display()))
}

/// A tool's error output for a message: distinct non-blank lines, trimmed,
/// joined with "; ", at most [`MAX_DETAIL_CHARS`] characters.
fn error_detail(stderr: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for line in stderr.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    if lines.is_empty() {
        return "no message".into();
    }
    let joined = lines.join("; ");
    match joined.char_indices().nth(MAX_DETAIL_CHARS) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::testing::text_pdf;

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(120)
    }

    /// True when poppler is installed; otherwise says why the test is
    /// skipped (a failure in CI, whose set-up installs it).
    fn poppler() -> bool {
        let found = Command::new("pdfinfo")
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !found {
            crate::models::testing::skip_or_fail("poppler-utils is not installed (ops/setup)");
        }
        found
    }

    #[test]
    fn the_magic_bytes_tell_a_pdf() {
        assert!(is_pdf(b"%PDF-1.7\n..."));
        assert!(!is_pdf(b"%PD"));
        assert!(!is_pdf(b"\x89PNG\r\n\x1a\n"));
    }

    #[test]
    fn the_last_pages_line_counts() {
        let info =
            "Title:          x\nPages: 99\nProducer: y\nPages:          3\nEncrypted:      no\n";
        assert_eq!(parse_page_count(info), Some(3));
        assert_eq!(parse_page_count("Title: x\n"), None);
        assert_eq!(parse_page_count("Pages: many\n"), None);
    }

    #[test]
    fn error_details_are_deduplicated_and_bounded() {
        let stderr = "Syntax Error: a\nSyntax Error: a\n\n  Syntax Error: b  \n";
        assert_eq!(error_detail(stderr), "Syntax Error: a; Syntax Error: b");
        assert_eq!(error_detail(" \n"), "no message");
        let long = "é".repeat(2 * MAX_DETAIL_CHARS);
        assert_eq!(error_detail(&long).chars().count(), MAX_DETAIL_CHARS + 1);
    }

    #[test]
    fn pages_are_counted_and_rasterised_within_the_bound() {
        if !poppler() {
            return;
        }
        let pdf = PdfFile::write(&text_pdf(&["One", "Two (2)", "Three"])).expect("writes");
        assert_eq!(pdf.page_count(later()).expect("counts"), 3);
        let image = pdf.rasterize_page(2, 600, later()).expect("rasterises");
        // A binary PGM whose longest side is the bound: Letter is 612 x 792 pt.
        let header: Vec<&[u8]> = image.split(|b| b.is_ascii_whitespace()).take(4).collect();
        assert_eq!(header, [&b"P5"[..], b"464", b"600", b"255"]);
        assert!(image.len() > 464 * 600);
    }

    #[test]
    fn a_damaged_pdf_or_a_missing_page_is_invalid_input() {
        if !poppler() {
            return;
        }
        let garbage = PdfFile::write(b"%PDF-1.4 garbage").expect("writes");
        let count = garbage.page_count(later());
        assert!(
            matches!(&count, Err(ModelError::InvalidInput(m)) if m.contains("pdfinfo")),
            "{count:?}"
        );
        let page = garbage.rasterize_page(1, 100, later());
        assert!(
            matches!(&page, Err(ModelError::InvalidInput(m)) if m.contains("pdftoppm")),
            "{page:?}"
        );
        let pdf = PdfFile::write(&text_pdf(&["Only page"])).expect("writes");
        for missing in [0, 2] {
            let page = pdf.rasterize_page(missing, 100, later());
            assert!(
                matches!(page, Err(ModelError::InvalidInput(_))),
                "page {missing}: {page:?}"
            );
        }
    }

    #[test]
    fn one_written_file_serves_pages_read_at_once_and_goes_with_its_last_holder() {
        if !poppler() {
            return;
        }
        let pdf = PdfFile::write(&text_pdf(&["A", "B", "C"])).expect("writes");
        let dir = pdf.scratch.path().to_owned();
        let images: Vec<Vec<u8>> = std::thread::scope(|scope| {
            let readers: Vec<_> = (1..=3)
                .map(|page| {
                    let pdf = &pdf;
                    scope.spawn(move || pdf.rasterize_page(page, 200, later()).expect("rasterises"))
                })
                .collect();
            readers
                .into_iter()
                .map(|r| r.join().expect("joins"))
                .collect()
        });
        assert!(images.iter().all(|image| image.starts_with(b"P5")));
        // Only the PDF is left between calls: each call's output went with it.
        let left: Vec<_> = std::fs::read_dir(&dir).expect("lists").collect();
        assert_eq!(left.len(), 1);
        drop(pdf);
        assert!(!dir.exists());
    }

    #[test]
    fn a_past_deadline_runs_nothing() {
        let pdf = PdfFile::write(&text_pdf(&["Late"])).expect("writes");
        let result = pdf.rasterize_page(1, 100, Instant::now());
        assert!(
            matches!(result, Err(ModelError::DeadlineExceeded)),
            "{result:?}"
        );
    }

    #[test]
    fn a_tool_still_running_at_the_deadline_is_killed() {
        let mut command = Command::new("sleep");
        command.arg("600");
        let result = run_until(
            "sleep",
            &mut command,
            Instant::now() + Duration::from_millis(20),
        );
        assert!(
            matches!(result, Err(ModelError::DeadlineExceeded)),
            "{result:?}"
        );
    }

    #[test]
    fn a_missing_tool_names_its_package() {
        let mut command = Command::new("agora-no-such-tool");
        let result = run_until("agora-no-such-tool", &mut command, later());
        assert!(
            matches!(
                result,
                Err(ModelError::ToolMissing {
                    package: "poppler-utils",
                    ..
                })
            ),
            "{result:?}"
        );
    }
}
