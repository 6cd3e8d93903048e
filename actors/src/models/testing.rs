//! What tests of the real models share (this crate's `tests/models.rs` and
//! the server's `tests/models`): finding the installed models, and skipping
//! a test that cannot run — except in CI (env `CI` set), where a test that
//! cannot run is a failure, so a CI run never passes without the models.

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
