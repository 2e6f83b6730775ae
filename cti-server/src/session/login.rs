//! Logging an agent in: NeoApi `Login`, then the agent's machine from the factory and its task.

use std::sync::Arc;

use neotel_api::{FaultKind, Password, Request};

use super::driver;
use super::hub::Sessions;
use super::machine::MachineStart;
use super::registry::SessionHandle;
use crate::clock;
use crate::protocol::ErrorCode;

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoginError {
    /// NeoApi refused the user or password (its text, which never holds the password).
    #[error("login refused: {0}")]
    Refused(String),
    /// The position is taken.
    #[error("the position is not free: {0}")]
    PositionNotFree(String),
    /// The device is unknown.
    #[error("unknown device: {0}")]
    UnknownDevice(String),
    /// The user already has a running session.
    #[error("this user already has a session: attach with its token, or log out there")]
    AlreadyLoggedIn,
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
            Self::Unavailable(_) => "unavailable",
        }
    }
}

/// Logs `user` in to NeoApi and starts the session task around the machine the factory makes.
pub(crate) async fn login(
    sessions: &Arc<Sessions>,
    device: &str,
    user: &str,
    password: Password,
) -> Result<SessionHandle, LoginError> {
    let reservation = sessions
        .registry
        .reserve(user)
        .ok_or(LoginError::AlreadyLoggedIn)?;
    let request = Request::Login {
        device: device.to_owned(),
        user: user.to_owned(),
        password,
    };
    match sessions.neoapi.call(&sessions.metrics, &request).await {
        Ok(_) => {}
        Err(neotel_api::Error::Platform(f)) => {
            return Err(match f.kind {
                FaultKind::PositionNotFree => LoginError::PositionNotFree(f.message),
                FaultKind::DeviceNotFound => LoginError::UnknownDevice(f.message),
                _ => LoginError::Refused(f.message),
            });
        }
        Err(e) => return Err(LoginError::Unavailable(e.to_string())),
    }
    let now = clock::now();
    let started = (sessions.machines)(MachineStart {
        config: &sessions.config,
        callcenter: &sessions.callcenter,
        user,
        settings: sessions.registry.settings(user),
        now,
        wall: clock::wall(),
    });
    let core = match started {
        Ok(core) => core,
        Err(why) => {
            // Logged in to Neotel but no session can run: undo the login.
            tracing::error!(%why, "cannot start the session");
            let logout = Request::Logout {
                user: user.to_owned(),
            };
            if let Err(e) = sessions.neoapi.call(&sessions.metrics, &logout).await {
                tracing::warn!(error = %e, "NeoApi Logout failed");
            }
            return Err(LoginError::Unavailable(why));
        }
    };
    let handle = driver::spawn(sessions, user, core, now);
    reservation.register(handle.clone());
    Ok(handle)
}
