//! One process per data directory: a second `agora` on a directory in use
//! fails at once with a clear error and a non-zero exit.

use crate::common::Sandbox;

#[test]
fn a_second_process_on_the_same_data_dir_is_refused() {
    let sandbox = Sandbox::new();
    let _server = sandbox.serve();
    for command in [
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["verify"],
        &["info"],
    ] {
        let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        args.extend(sandbox.data_dir_args());
        let run = sandbox.run(&args);
        assert!(
            !run.status.success(),
            "{command:?} succeeded on a locked store:\n{run}"
        );
        assert!(
            run.stderr.contains("locked"),
            "{command:?} gave no `locked` error:\n{run}"
        );
    }
}
