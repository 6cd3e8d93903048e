//! Configuration precedence, end to end: file < environment < flags.

use crate::common::Sandbox;

#[test]
fn the_environment_overrides_the_file_and_flags_override_both() {
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.path().join("agora.toml"),
        "listen = \"127.0.0.1:1111\"\ndata_dir = \"from-file\"\n[log]\nsegment_bytes = 1048576\n",
    )
    .expect("writing agora.toml");

    let from_file = sandbox.run(["config"]).success().json();
    assert_eq!(from_file["listen"], "127.0.0.1:1111");
    assert_eq!(from_file["log"]["segment_bytes"], 1_048_576);

    let mut with_env = sandbox.command(["config"]);
    with_env
        .env("AGORA_LISTEN", "127.0.0.1:2222")
        .env("AGORA_LOG__SEGMENT_BYTES", "2097152");
    let from_env = crate::common::Run::of(with_env).success().json();
    assert_eq!(from_env["listen"], "127.0.0.1:2222");
    assert_eq!(from_env["log"]["segment_bytes"], 2_097_152);
    assert_eq!(from_env["data_dir"], "from-file");

    let mut with_flag = sandbox.command(["config", "--listen", "127.0.0.1:3333"]);
    with_flag.env("AGORA_LISTEN", "127.0.0.1:2222");
    let from_flag = crate::common::Run::of(with_flag).success().json();
    assert_eq!(from_flag["listen"], "127.0.0.1:3333");
}

#[test]
fn store_commands_open_the_data_dir_the_environment_names() {
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.path().join("agora.toml"),
        "data_dir = \"file-data\"\n",
    )
    .expect("writing agora.toml");
    let mut info = sandbox.command(["info"]);
    info.env("AGORA_DATA_DIR", "env-data");
    let report = crate::common::Run::of(info).success().json();
    assert_eq!(report["data_dir"], "env-data");
    assert!(sandbox.path().join("env-data").join("segments").is_dir());
    assert!(!sandbox.path().join("file-data").exists());
}

#[test]
fn a_named_config_file_must_exist() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(["--config", "missing.toml", "config"]);
    assert!(!run.status.success(), "{run}");
    assert!(run.stderr.contains("missing.toml"), "{run}");
}
