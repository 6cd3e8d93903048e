//! The harness: a sandbox (a temporary working directory holding the data
//! directory), a runner for the real `agora` binary, and a running server
//! that is killed when dropped.
//!
//! Commands run with the sandbox as working directory and without the
//! caller's `AGORA_*` and `RUST_LOG` variables, so neither a developer's
//! environment nor an `agora.toml` lying around changes what is tested.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a server may take to print its address before the test gives
/// up (a guard against hanging, not a performance assertion).
const STARTUP_GUARD: Duration = Duration::from_secs(120);

/// A temporary directory that is the working directory of every command.
pub(crate) struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("creating a temp dir"),
        }
    }

    /// The sandbox directory.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The data directory tests pass with `--data-dir`.
    pub(crate) fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    /// `--data-dir <sandbox>/data` as arguments.
    pub(crate) fn data_dir_args(&self) -> [String; 2] {
        ["--data-dir".into(), self.data_dir().display().to_string()]
    }

    /// The `agora` binary with `args`, in the sandbox, with a clean environment.
    pub(crate) fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = Command::new(env!("CARGO_BIN_EXE_agora"));
        command
            .args(args)
            .current_dir(self.path())
            .stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AGORA_") || key == "RUST_LOG" {
                command.env_remove(key);
            }
        }
        // Servers load no models unless a test turns them on (tests/models).
        command.env("AGORA_MODELS_ENABLED", "false");
        command
    }

    /// Runs `agora args` to completion.
    pub(crate) fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        Run::of(self.command(args))
    }

    /// Starts `agora serve --data-dir <sandbox>/data --listen 127.0.0.1:0`
    /// and waits for its `listening on` line.
    pub(crate) fn serve(&self) -> Server {
        let mut args = vec!["serve".to_string(), "--listen".into(), "127.0.0.1:0".into()];
        args.extend(self.data_dir_args());
        Server::start(self.command(args), &self.path().join("server.log"))
    }
}

/// A finished command: its status and what it printed.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Runs `command` to completion.
    pub(crate) fn of(mut command: Command) -> Self {
        let output = command.output().expect("running agora");
        Self {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics, showing the output, unless the command succeeded.
    #[track_caller]
    pub(crate) fn success(self) -> Self {
        assert!(
            self.status.success(),
            "agora failed with {}:\n{self}",
            self.status
        );
        self
    }

    /// Panics, showing the output, unless the command exited with `code`.
    #[track_caller]
    pub(crate) fn exit_code(self, code: i32) -> Self {
        assert_eq!(
            self.status.code(),
            Some(code),
            "unexpected exit status:\n{self}"
        );
        self
    }

    /// Stdout parsed as JSON.
    #[track_caller]
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--- stdout\n{}--- stderr\n{}---",
            self.stdout, self.stderr
        )
    }
}

/// A running `agora serve`, killed on drop.
pub(crate) struct Server {
    child: Child,
    /// `http://ADDR` from its `listening on` line.
    pub(crate) url: String,
    log: PathBuf,
}

impl Server {
    /// Spawns `command` with stderr to `log` and waits for the URL on stdout.
    pub(crate) fn start(mut command: Command, log: &Path) -> Self {
        let stderr = File::create(log).expect("creating the server log");
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("starting agora serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines, url) = mpsc::channel();
        // Reads stdout to its end, so the server never writes into a closed pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = lines.send(url.to_owned());
                }
            }
        });
        match url.recv_timeout(STARTUP_GUARD) {
            Ok(url) => Self {
                child,
                url,
                log: log.to_path_buf(),
            },
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                let log = std::fs::read_to_string(log).unwrap_or_default();
                panic!(
                    "agora serve printed no `listening on` line (exit: {status:?}); its log:\n{log}"
                );
            }
        }
    }

    /// `url` + `path`.
    pub(crate) fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub(crate) fn terminate(mut self) -> ExitStatus {
        // `kill` is a shell builtin, so this needs no extra package.
        let sent = Command::new("sh")
            .args(["-c", "kill -TERM \"$0\"", &self.child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(sent.success(), "could not send SIGTERM");
        self.child.wait().expect("waiting for agora serve")
    }

    /// What the server logged so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
