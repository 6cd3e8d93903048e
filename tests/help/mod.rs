//! `agora --help` documents every subcommand.

use crate::common::Sandbox;

#[test]
fn help_lists_every_subcommand() {
    let sandbox = Sandbox::new();
    let help = sandbox.run(["--help"]).success().stdout;
    for subcommand in ["serve", "verify", "info", "config", "bench"] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(subcommand)),
            "`{subcommand}` missing from:\n{help}"
        );
    }
    let bench = sandbox.run(["bench", "--help"]).success().stdout;
    for subcommand in ["write", "read", "open", "assignment", "ranking"] {
        assert!(
            bench
                .lines()
                .any(|l| l.trim_start().starts_with(subcommand)),
            "`bench {subcommand}` missing from:\n{bench}"
        );
    }
}

#[test]
fn every_store_command_takes_a_data_dir() {
    let sandbox = Sandbox::new();
    for command in [
        &["serve"][..],
        &["verify"],
        &["info"],
        &["bench", "write"],
        &["bench", "read"],
        &["bench", "open"],
    ] {
        let help = sandbox
            .run(command.iter().chain(&["--help"]))
            .success()
            .stdout;
        assert!(
            help.contains("--data-dir <DIR>"),
            "{command:?} lacks --data-dir:\n{help}"
        );
    }
}
