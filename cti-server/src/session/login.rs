//! Logging an agent in: NeoApi `Login` (recovering a position a crashed server or a lost answer
//! left behind), the agent's machine from the factory, the session stored, then its task. A
//! password login for an agent whose session runs takes that session over.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use neotel_api::{FaultKind, Password, Position, Reply, Request, Retry};

use super::driver;
use super::hub::Sessions;
use super::machine::MachineStart;
use super::registry::{SessionHandle, ToSession};
use crate::clock;
use crate::protocol::ErrorCode;

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoginError {
    /// NeoApi refused the user or password (its text, which never holds the password), or the
    /// password does not match the running session's.
    #[error("login refused: {0}")]
    Refused(String),
    /// The position is taken.
    #[error("the position is not free: {0}")]
    PositionNotFree(String),
    /// The device is unknown.
    #[error("unknown device: {0}")]
    UnknownDevice(String),
    /// A login for this user is already in progress.
    #[error("a login for this user is in progress")]
    AlreadyLoggedIn,
    /// The agent's session runs on another device.
    #[error("this agent is logged in on {0}")]
    OtherDevice(String),
    /// NeoApi could not be reached.
    #[error("NeoApi is unavailable")]
    Unavailable(String),
}

impl LoginError {
    /// The `error` code the page gets.
    pub(crate) fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(_) => ErrorCode::LoginFailed,
            Self::PositionNotFree(_) => ErrorCode::PositionNotFree,
            Self::UnknownDevice(_) => ErrorCode::UnknownDevice,
            Self::AlreadyLoggedIn => ErrorCode::AlreadyLoggedIn,
            Self::OtherDevice(_) => ErrorCode::OtherDevice,
            Self::Unavailable(_) => ErrorCode::NeoApiUnavailable,
        }
    }

    /// The `logins` metric outcome.
    pub(crate) fn outcome(&self) -> &'static str {
        match self {
            Self::Refused(_) => "refused",
            Self::PositionNotFree(_) => "positionNotFree",
            Self::UnknownDevice(_) => "unknownDevice",
            Self::AlreadyLoggedIn => "alreadyLoggedIn",
            Self::OtherDevice(_) => "otherDevice",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

/// Logs `user` in on `device`: takes over the agent's running session when the password
/// matches it, else NeoApi `Login` and a new session.
pub(crate) async fn login(
    sessions: &Arc<Sessions>,
    device: &str,
    user: &str,
    password: Password,
) -> Result<SessionHandle, LoginError> {
    if let Some(running) = sessions.registry.get(user) {
        return take_over(running, device, password).await;
    }
    let reservation = sessions
        .registry
        .reserve(user)
        .ok_or(LoginError::AlreadyLoggedIn)?;
    neotel_login(sessions, device, user, &password).await?;
    let verifier = verifier(password).await;
    let now = clock::now();
    let started = (sessions.machines)(MachineStart {
        config: &sessions.config,
        callcenter: &sessions.callcenter,
        user,
        settings: sessions.registry.settings(user),
        now,
        wall: clock::wall(),
        snapshot: None,
    });
    let core = match started {
        Ok(core) => core,
        Err(why) => {
            // Logged in to Neotel but no session can run: undo the login.
            tracing::error!(%why, "cannot start the session");
            logout(sessions, user).await;
            return Err(LoginError::Unavailable(why));
        }
    };
    // Stored before the page is told: a crash from here on resumes the session.
    sessions
        .store_session(user, device, &verifier, core.snapshot().as_deref())
        .await;
    let handle = driver::spawn(
        sessions,
        driver::Start {
            user,
            device,
            verifier: &verifier,
            core,
            now,
        },
    );
    reservation.register(handle.clone());
    Ok(handle)
}

/// A password login for an agent whose session runs: the session (its contact, its writes)
/// goes on, the tabs attached until now are told why; nothing is asked of Neotel.
async fn take_over(
    running: SessionHandle,
    device: &str,
    password: Password,
) -> Result<SessionHandle, LoginError> {
    let stored = running.verifier().to_owned();
    let matches = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).is_ok_and(|hash| {
            argon2::Argon2::default()
                .verify_password(password.expose().as_bytes(), &hash)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false);
    if !matches {
        return Err(LoginError::Refused(
            "the password does not match this agent's".into(),
        ));
    }
    if running.device() != device {
        return Err(LoginError::OtherDevice(running.device().to_owned()));
    }
    tracing::info!(
        user = running.user(),
        "a password login takes the session over"
    );
    running.send(ToSession::TakeOver).await;
    Ok(running)
}

/// NeoApi `Login`. A position Neotel still holds for this agent on this device (a server that
/// died, a `Login` whose answer was lost) is recovered: `Position` says whose it is; if it is
/// this agent's on this device, `Logout`, then `Login` again (which checks the password).
async fn neotel_login(
    sessions: &Sessions,
    device: &str,
    user: &str,
    password: &Password,
) -> Result<(), LoginError> {
    let request = Request::Login {
        device: device.to_owned(),
        user: user.to_owned(),
        password: password.clone(),
    };
    let first = sessions.neoapi.call(&sessions.metrics, &request).await;
    let stale = match &first {
        Ok(_) => return Ok(()),
        Err(e) => e.fault_kind() == Some(FaultKind::PositionNotFree) || e.retry() == Retry::Unknown,
    };
    if stale && holds_position(sessions, user, device).await {
        tracing::warn!(
            user,
            device,
            "Neotel still holds the agent's position: recovering it"
        );
        logout(sessions, user).await;
        let again = sessions.neoapi.call(&sessions.metrics, &request).await;
        return again.map(|_| ()).map_err(refusal);
    }
    first.map(|_| ()).map_err(refusal)
}

/// Neotel has `user` logged in on `device`.
async fn holds_position(sessions: &Sessions, user: &str, device: &str) -> bool {
    let position = Request::Position {
        user: user.to_owned(),
    };
    match sessions.neoapi.call(&sessions.metrics, &position).await {
        Ok(Reply::String(text)) => {
            Position::parse(&text).is_ok_and(|p| p.device().eq_ignore_ascii_case(device))
        }
        _ => false,
    }
}

fn refusal(e: neotel_api::Error) -> LoginError {
    match e {
        neotel_api::Error::Platform(f) => match f.kind {
            FaultKind::PositionNotFree => LoginError::PositionNotFree(f.message),
            FaultKind::DeviceNotFound => LoginError::UnknownDevice(f.message),
            _ => LoginError::Refused(f.message),
        },
        e => LoginError::Unavailable(e.to_string()),
    }
}

async fn logout(sessions: &Sessions, user: &str) {
    let logout = Request::Logout {
        user: user.to_owned(),
    };
    if let Err(e) = sessions.neoapi.call(&sessions.metrics, &logout).await {
        tracing::warn!(error = %e, "NeoApi Logout failed");
    }
}

/// The password's argon2id verifier (PHC string, random salt), made off the async threads.
async fn verifier(password: Password) -> String {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
    .await
    .unwrap_or_default()
}
