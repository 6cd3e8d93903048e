//! `agora admin create`: the only way to make an administrator. The
//! password comes from `AGORA_ADMIN_PASSWORD` or, when that is unset, from
//! the first line of standard input — never from a flag, so it stays out of
//! shell histories and process lists.

use std::io::BufRead as _;
use std::process::ExitCode;
use std::sync::Arc;

use agora_actors::user::Registration;
use agora_events::EventMetadata;
use agora_events::domain::user::{PersonalDetails, Role};
use anyhow::{Context, bail};

use super::print;
use crate::cli::AdminCreateArgs;
use crate::config::Settings;
use crate::domain::Domain;
use crate::store;

/// Environment variable holding the new admin's password.
const PASSWORD_ENV: &str = "AGORA_ADMIN_PASSWORD";

/// Registers an admin through the normal command path and prints its id.
pub(crate) fn create(settings: &Settings, args: &AdminCreateArgs) -> anyhow::Result<ExitCode> {
    let password = match std::env::var(PASSWORD_ENV) {
        Ok(password) => password,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    if password.is_empty() {
        bail!("no password: set {PASSWORD_ENV} or pass it on the first line of stdin");
    }
    let store = store::open(settings)?;
    let registration = Registration {
        id: Some(args.id.clone()),
        display_name: args.display_name.clone(),
        roles: vec![if args.auditor {
            Role::Auditor
        } else {
            Role::Admin
        }],
        personal: PersonalDetails {
            email: args.email.clone(),
            real_name: None,
            phone: None,
        },
        password: Some(password),
    };
    let id = actix_web::rt::System::new().block_on(async move {
        let domain = Domain::start(settings, Arc::new(store))?;
        let metadata = EventMetadata {
            actor_id: Some("agora-cli".into()),
            ..EventMetadata::default()
        };
        let registered = domain.users.register(registration, None, metadata).await;
        drop(domain);
        registered
            .map(|(id, _)| id)
            .map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    let role = if args.auditor { "auditor" } else { "admin" };
    print(&format!("created {role} {id}"))?;
    Ok(ExitCode::SUCCESS)
}
