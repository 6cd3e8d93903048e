//! The User aggregate end to end below HTTP: service → actor → embedded log
//! → projection, with restarts, idempotency, stale versions, encryption at
//! rest and passivation.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use agora_actors::aggregate::{CommandError, Registry, RegistryConfig};
use agora_actors::clock::Clock;
use agora_actors::projection::users::UsersView;
use agora_actors::projection::{self, ProjectionConfig};
use agora_actors::user::{
    ProfileUpdate, Registration, User, UserError, UserService, UserServiceError, idempotency_id,
};
use agora_events::domain::user::{PersonalDetails, Role};
use agora_events::personal::{KeyStore, MasterKey};
use agora_events::{EventMetadata, EventStore, LogConfig, LogStore, Timestamp};

const WAIT: Duration = Duration::from_secs(10);

fn service(dir: &Path, master: &MasterKey, idle_after: Duration) -> UserService {
    let store: Arc<dyn EventStore> =
        Arc::new(LogStore::open(dir.join("log"), LogConfig::default()).expect("open store"));
    let keys = Arc::new(KeyStore::open(dir.join("keys"), master.clone()).expect("open keys"));
    let registry = Registry::<User>::new(
        Arc::clone(&store),
        RegistryConfig {
            idle_after,
            arbiters: 2,
            ..RegistryConfig::default()
        },
    );
    let view =
        projection::start::<UsersView>(store, ProjectionConfig::new(dir.join("projections")))
            .expect("projection");
    UserService::new(registry, keys, view)
}

fn registration(id: Option<&str>, email: &str) -> Registration {
    Registration {
        id: id.map(str::to_owned),
        display_name: "Ada Lovelace".into(),
        roles: vec![Role::Learner, Role::Creator],
        personal: PersonalDetails {
            email: email.into(),
            real_name: Some("Augusta Ada King".into()),
            phone: None,
        },
        password: None,
    }
}

#[actix_rt::test]
async fn a_user_logs_in_with_their_password_and_out_again() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = Clock::manual(Timestamp::now());
    let users = service(dir.path(), &MasterKey::generate(), Duration::from_secs(60))
        .with_clock(clock.clone());
    let mut with_password = registration(Some("lin"), "lin@example.org");
    with_password.password = Some("correct horse battery".into());
    users
        .register(with_password, None, EventMetadata::default())
        .await
        .expect("register");
    users
        .register(
            registration(Some("nopass"), "np@example.org"),
            None,
            EventMetadata::default(),
        )
        .await
        .expect("register");

    for (id, password) in [
        ("lin", "wrong horse battery"),
        ("nobody", "correct horse battery"),
        ("nopass", "correct horse battery"),
    ] {
        let refused = users
            .login(
                id,
                password,
                Duration::from_secs(60),
                EventMetadata::default(),
            )
            .await;
        assert!(
            matches!(refused, Err(UserServiceError::BadCredentials)),
            "{id}: {refused:?}"
        );
    }
    let session = users
        .login(
            "lin",
            "correct horse battery",
            Duration::from_secs(60),
            EventMetadata::default(),
        )
        .await
        .expect("login");
    assert_eq!(session.token.len(), 64);
    assert!(
        users
            .view()
            .wait_for(session.position.expect("position"), WAIT)
            .await
    );
    let principal = users
        .authenticate(&session.token)
        .expect("the token authenticates");
    assert_eq!(principal.user_id, "lin");
    assert!(users.authenticate(&"0".repeat(64)).is_none());

    let done = users
        .logout(&principal, EventMetadata::default())
        .await
        .expect("logout");
    assert!(
        users
            .view()
            .wait_for(done.position.expect("position"), WAIT)
            .await
    );
    assert!(
        users.authenticate(&session.token).is_none(),
        "a logged-out token is refused"
    );

    // An expired session is refused too: the clock moves past its end.
    let short = users
        .login(
            "lin",
            "correct horse battery",
            Duration::from_secs(60),
            EventMetadata::default(),
        )
        .await
        .expect("login");
    assert!(
        users
            .view()
            .wait_for(short.position.expect("position"), WAIT)
            .await
    );
    assert!(
        users.authenticate(&short.token).is_some(),
        "live until it expires"
    );
    clock.advance(Duration::from_secs(59));
    assert!(users.authenticate(&short.token).is_some(), "still live");
    clock.advance(Duration::from_secs(1));
    assert!(
        users.authenticate(&short.token).is_none(),
        "refused from its expiry on"
    );
    // The password never reaches the disk in clear.
    for file in walk(dir.path()) {
        let bytes = std::fs::read(&file).expect("read");
        assert!(
            !bytes.windows(21).any(|w| w == b"correct horse battery"),
            "{}",
            file.display()
        );
    }
}

#[actix_rt::test]
async fn users_register_read_back_update_and_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let master = MasterKey::generate();
    {
        let users = service(dir.path(), &master, Duration::from_secs(60));
        let (id, done) = users
            .register(
                registration(Some("ada"), "ada@example.org"),
                None,
                EventMetadata::default(),
            )
            .await
            .expect("register");
        assert_eq!((id.as_str(), done.version), ("ada", Some(0)));
        assert!(
            users
                .view()
                .wait_for(done.position.expect("position"), WAIT)
                .await
        );
        let record = users
            .view()
            .read(|v| v.get("ada").cloned())
            .expect("projected");
        assert_eq!(record.display_name, "Ada Lovelace");
        assert_eq!(record.version, 0);
        let personal = users
            .personal_details(&record)
            .expect("open")
            .expect("key present");
        assert_eq!(personal.email, "ada@example.org");

        // Registering the same id again is refused.
        let again = users
            .register(
                registration(Some("ada"), "x@example.org"),
                None,
                EventMetadata::default(),
            )
            .await;
        assert!(
            matches!(
                again,
                Err(UserServiceError::Command(CommandError::Domain(
                    UserError::AlreadyRegistered
                )))
            ),
            "{again:?}"
        );

        // A stale expected version changes nothing.
        let rename = ProfileUpdate {
            display_name: Some("Countess".into()),
            ..ProfileUpdate::default()
        };
        let stale = users
            .update_profile(
                "ada",
                rename.clone(),
                Some(7),
                None,
                EventMetadata::default(),
            )
            .await;
        assert!(
            matches!(
                stale,
                Err(UserServiceError::Command(CommandError::VersionMismatch {
                    expected: Some(7),
                    actual: Some(0)
                }))
            ),
            "{stale:?}"
        );
        let done = users
            .update_profile("ada", rename, Some(0), None, EventMetadata::default())
            .await
            .expect("update");
        assert_eq!(done.version, Some(1));
        assert!(
            users
                .view()
                .wait_for(done.position.expect("position"), WAIT)
                .await
        );
        assert_eq!(
            users
                .view()
                .read(|v| v.get("ada").map(|r| (r.display_name.clone(), r.version))),
            Some(("Countess".into(), 1))
        );
    }
    // Everything comes back from the log and the snapshot.
    let users = service(dir.path(), &master, Duration::from_secs(60));
    let head = users.view().checkpoint();
    assert!(head.is_some());
    let record = users
        .view()
        .read(|v| v.get("ada").cloned())
        .expect("after restart");
    assert_eq!(
        (record.display_name.as_str(), record.version),
        ("Countess", 1)
    );
    let done = users
        .update_profile(
            "ada",
            ProfileUpdate {
                email: Some("countess@example.org".into()),
                ..ProfileUpdate::default()
            },
            Some(1),
            None,
            EventMetadata::default(),
        )
        .await
        .expect("update after restart");
    assert_eq!(done.version, Some(2));
}

#[actix_rt::test]
async fn an_idempotency_key_repeat_returns_the_first_outcome() {
    let dir = tempfile::tempdir().expect("tmp");
    let master = MasterKey::generate();
    let key = idempotency_id("POST /v1/users", "client-key-1");
    let (first_id, first) = {
        let users = service(dir.path(), &master, Duration::from_secs(60));
        let first = users
            .register(
                registration(None, "bo@example.org"),
                Some(key),
                EventMetadata::default(),
            )
            .await
            .expect("first");
        let again = users
            .register(
                registration(None, "bo@example.org"),
                Some(key),
                EventMetadata::default(),
            )
            .await
            .expect("repeat");
        assert_eq!(first.0, again.0, "the derived id is stable");
        assert_eq!(
            (again.1.version, again.1.position),
            (first.1.version, first.1.position)
        );
        assert!(again.1.replayed);
        first
    };
    // Also after a restart, when the actor rebuilds its memory of keys from the stream.
    let users = service(dir.path(), &master, Duration::from_secs(60));
    let again = users
        .register(
            registration(None, "bo@example.org"),
            Some(key),
            EventMetadata::default(),
        )
        .await
        .expect("repeat");
    assert_eq!((again.0, again.1.position), (first_id, first.position));
}

#[actix_rt::test]
async fn personal_details_never_reach_the_log_in_clear() {
    let dir = tempfile::tempdir().expect("tmp");
    let users = service(dir.path(), &MasterKey::generate(), Duration::from_secs(60));
    let email = "grace.hopper@navy.example";
    let (_, done) = users
        .register(
            registration(Some("grace"), email),
            None,
            EventMetadata::default(),
        )
        .await
        .expect("register");
    users
        .update_profile(
            "grace",
            ProfileUpdate {
                phone: Some("+1 555 0100".into()),
                ..ProfileUpdate::default()
            },
            None,
            None,
            EventMetadata::default(),
        )
        .await
        .expect("update");
    assert!(
        users
            .view()
            .wait_for(done.position.expect("position"), WAIT)
            .await
    );
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).expect("read");
        for secret in [email.as_bytes(), b"Augusta Ada King", b"555 0100"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret),
                "{} holds personal data in clear",
                entry.display()
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("ls").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[actix_rt::test]
async fn idle_actors_are_passivated_so_live_actors_stay_bounded() {
    let users_total: usize = std::env::var("AGORA_PASSIVATION_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().expect("tmp");
    let users = Arc::new(service(
        dir.path(),
        &MasterKey::generate(),
        Duration::from_millis(20),
    ));
    let concurrency = 64;
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|t| {
            let users = Arc::clone(&users);
            tokio::task::spawn_local(async move {
                for i in (t..users_total).step_by(concurrency) {
                    let id = format!("p{i}");
                    users
                        .register(
                            registration(Some(&id), &format!("{id}@example.org")),
                            None,
                            EventMetadata::default(),
                        )
                        .await
                        .expect("register");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("join");
    }
    let peak = users.registry().peak_actors();
    eprintln!(
        "passivation: {users_total} users in {:.1}s, peak live actors {peak}, live now {}, peak RSS {} MiB",
        started.elapsed().as_secs_f64(),
        users.registry().live_actors(),
        peak_rss_kib() / 1024
    );
    // Without passivation every user would keep an actor.
    assert!(
        peak < users_total / 4,
        "peak {peak} live actors for {users_total} users"
    );
    // Idle actors stop after 20 ms; each stop wakes the wait.
    assert!(
        users.registry().wait_live_at_most(99, WAIT).await,
        "{} still live",
        users.registry().live_actors()
    );
}

#[actix_rt::test]
async fn a_replay_from_the_log_matches_the_live_snapshot_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tmp");
    let master = MasterKey::generate();
    {
        let users = service(dir.path(), &master, Duration::from_secs(60));
        let mut last = 0;
        for i in 0..50 {
            let (_, done) = users
                .register(
                    registration(Some(&format!("r{i}")), "r@example.org"),
                    None,
                    EventMetadata::default(),
                )
                .await
                .expect("register");
            last = done.position.expect("position");
        }
        let done = users
            .update_profile(
                "r7",
                ProfileUpdate {
                    display_name: Some("Seven".into()),
                    ..ProfileUpdate::default()
                },
                None,
                None,
                EventMetadata::default(),
            )
            .await
            .expect("update");
        last = last.max(done.position.expect("position"));
        assert!(users.view().wait_for(last, WAIT).await);
    } // the runner snapshots as it stops
    let store = LogStore::open(dir.path().join("log"), LogConfig::default()).expect("open");
    let report = projection::replay::<UsersView>(&store, &dir.path().join("projections"), false)
        .await
        .expect("replay");
    assert_eq!(report.events, 51);
    assert_eq!(report.snapshot_matches, Some(true));
}
