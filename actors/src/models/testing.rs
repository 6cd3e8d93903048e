//! What tests of the real models share (this crate's `tests/models.rs` and
//! the server's `tests/models`): finding the installed models, skipping a
//! test that cannot run — except in CI (env `CI` set), where a test that
//! cannot run is a failure, so a CI run never passes without the models —
//! and building small PDFs to read.

use super::ModelsDir;

/// Environment variable that marks a CI run.
pub const CI_ENV: &str = "CI";

/// Says why a test is skipped; panics instead when [`CI_ENV`] is set.
pub fn skip_or_fail(reason: &str) {
    assert!(
        std::env::var_os(CI_ENV).is_none(),
        "{CI_ENV} is set but {reason}"
    );
    eprintln!("skipped: {reason}");
}

/// The installed models directory ([`ModelsDir::from_env`]), or `None`
/// after [`skip_or_fail`] when the models are not installed.
pub fn installed_or_skip() -> Option<ModelsDir> {
    let dir = ModelsDir::from_env();
    if dir.is_installed() {
        return Some(dir);
    }
    skip_or_fail(&format!(
        "no models in {} (run ops/models/install or set AGORA_MODELS_DIR)",
        dir.path().display()
    ));
    None
}

/// A valid PDF built by hand (Debian's ImageMagick policy forbids writing
/// PDF) of US-Letter pages, page `i` drawing `lines[i]` in
/// 28-point Helvetica near its top-left corner (`(`, `)` and `\` are
/// escaped), with a correct cross-reference table. The page clips a line
/// wider than 540 pt: keep lines under about 38 characters.
pub fn text_pdf(lines: &[&str]) -> Vec<u8> {
    let pages = lines.len();
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    for (i, line) in lines.iter().enumerate() {
        let escaped = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        let stream = format!("BT /F1 28 Tf 72 700 Td ({escaped}) Tj ET");
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
             /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ));
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n", objects.len() + 1).as_bytes());
    out.extend_from_slice(b"0000000000 65535 f \n");
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
