//! Logging an agent in: NeoApi `Login` (recovering a position a crashed server or a lost answer
//! left behind), the agent's machine from the factory, the session stored, then its task. A
//! password login for an agent whose session runs (here, or on another instance: it is taken
//! from there) takes that session over.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use neotel_api::{FaultKind, Password, Position, Reply, Request, Retry};

use super::driver;
use super::hub::Sessions;
use super::machine::MachineStart;
use super::registry::{SessionHandle, ToSession};
use super::takeover::{AcquireError, acquire};
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
    /// This server runs its maximum of agents (`max_agents`, the number).
    #[error("this server already runs its maximum of {0} agents")]
    Full(u32),
    /// NeoApi could not be reached.
    #[error("NeoApi is unavailable")]
    Unavailable(String),
    /// The session store did not answer (its reason, for the log): without it the session
    /// would not survive a restart, so it is not started.
    #[error("the session store is unavailable")]
    Store(String),
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
            Self::Full(_) => ErrorCode::ServerFull,
            Self::Unavailable(_) => ErrorCode::NeoApiUnavailable,
            Self::Store(_) => ErrorCode::StoreUnavailable,
        }
    }

    /// What the page is told. A refused password reads the same whether Neotel or a running
    /// session's verifier refused it: the answer must not say who is online.
    pub(crate) fn answer(&self) -> String {
        match self {
            Self::Refused(_) => "login refused: the user or the password is wrong".into(),
            other => other.to_string(),
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
            Self::Full(_) => "serverFull",
            Self::Unavailable(_) => "unavailable",
            Self::Store(_) => "storeUnavailable",
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
        check_password(running.verifier(), running.device(), device, password).await?;
        return Ok(take_over(running).await);
    }
    // A session another instance runs (or ran) is taken from the store, not logged in again.
    if let Some(store) = &sessions.store {
        let stored = store
            .session(user)
            .await
            .map_err(|e| LoginError::Store(e.to_string()))?;
        if let Some((row, _owner)) = stored {
            check_password(&row.verifier, &row.device, device, password).await?;
            let running = acquire(sessions, user).await.map_err(|e| match e {
                AcquireError::Absent | AcquireError::Busy => LoginError::AlreadyLoggedIn,
                AcquireError::Store(e) => LoginError::Store(e.to_string()),
            })?;
            return Ok(take_over(running).await);
        }
    }
    // Past the maximum the descriptors and memory sized for it run out: refuse it clearly here
    // rather than fail something else later (a takeover above is not a new agent).
    let max = sessions.config.max_agents;
    if sessions.registry.count() >= usize::try_from(max).unwrap_or(usize::MAX) {
        tracing::warn!(
            max_agents = max,
            "login refused: the server runs its maximum of agents"
        );
        return Err(LoginError::Full(max));
    }
    let reservation = sessions
        .registry
        .reserve(user)
        .ok_or(LoginError::AlreadyLoggedIn)?;
    neotel_login(sessions, device, user, &password).await?;
    let verifier = verifier(password).await;
    let now = clock::now();
    let settings = sessions.settings_of(user).await;
    let started = (sessions.machines)(MachineStart {
        config: &sessions.config,
        callcenter: &sessions.callcenter,
        user,
        device,
        settings,
        now,
        wall: clock::wall(),
        snapshot: None,
        records: sessions.records(),
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
    let generation = match sessions
        .store_session(user, device, &verifier, core.snapshot().as_deref())
        .await
    {
        Ok(generation) => generation,
        // Another instance logged this agent in meanwhile: that session stands.
        Err(true) => return Err(LoginError::AlreadyLoggedIn),
        Err(false) => {
            logout(sessions, user).await;
            return Err(LoginError::Store("the new session was not stored".into()));
        }
    };
    let handle = driver::spawn(
        sessions,
        driver::Start {
            user,
            device,
            verifier: &verifier,
            generation,
            core,
            now,
        },
    );
    reservation.register(handle.clone());
    Ok(handle)
}

/// The password matches the session's verifier and the device its own.
async fn check_password(
    verifier: &str,
    session_device: &str,
    device: &str,
    password: Password,
) -> Result<(), LoginError> {
    let stored = verifier.to_owned();
    let _turn = hashing_turn().await;
    let matches =
        tokio::task::spawn_blocking(move || verify(password.expose().as_bytes(), &stored))
            .await
            .unwrap_or(false);
    if !matches {
        return Err(LoginError::Refused(
            "the password does not match this agent's".into(),
        ));
    }
    if session_device != device {
        return Err(LoginError::OtherDevice(session_device.to_owned()));
    }
    Ok(())
}

/// A password login for an agent whose session runs: the session (its contact, its writes)
/// goes on, the tabs attached until now are told why; nothing is asked of Neotel.
async fn take_over(running: SessionHandle) -> SessionHandle {
    tracing::info!(
        user = running.user(),
        "a password login takes the session over"
    );
    running.send(ToSession::TakeOver).await;
    running
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

/// A turn to run argon2, which holds 7 MiB and a core for its run: a crowd of logins (a shift
/// starting, guesses at agents who are online) waits for a turn instead of running hundreds at
/// once on the blocking pool and exhausting memory.
async fn hashing_turn() -> tokio::sync::SemaphorePermit<'static> {
    static TURNS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    TURNS
        .get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
            tokio::sync::Semaphore::new(cores)
        })
        .acquire()
        .await
        .expect("the semaphore is never closed")
}

/// The password's argon2id verifier (PHC string, random salt), made off the async threads.
async fn verifier(password: Password) -> String {
    let _turn = hashing_turn().await;
    tokio::task::spawn_blocking(move || hash(password.expose().as_bytes()).unwrap_or_default())
        .await
        .unwrap_or_default()
}

/// argon2's working memory (7 MiB a hash; 19 MiB to check a verifier made with the older
/// parameters), kept for the next hash: freed after each login, glibc kept it in the process
/// (6.6 MiB per agent at 100 agents). Hashing turns bound how many exist.
static MEMORY: std::sync::Mutex<Vec<Vec<Block>>> = std::sync::Mutex::new(Vec::new());

/// argon2id of `password` and `salt` under `params` into `out`, in reused memory.
fn argon2id(
    password: &[u8],
    salt: &[u8],
    params: &Params,
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let reused = MEMORY.lock().ok().and_then(|mut m| m.pop());
    let mut blocks = reused
        .filter(|b| b.len() == params.block_count())
        .unwrap_or_else(|| vec![Block::default(); params.block_count()]);
    let result = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, salt, out, &mut blocks);
    if let Ok(mut m) = MEMORY.lock() {
        m.push(blocks);
    }
    result
}

/// argon2id at 7 MiB and 5 passes: OWASP's setting equivalent to argon2's default (19 MiB, 2
/// passes) for the same time, with a third of the memory, which the server keeps (a block per
/// core, see [`MEMORY`]) and which counts per agent on a small machine.
fn verifier_params() -> Params {
    Params::new(7 * 1024, 5, 1, None).expect("valid argon2 parameters")
}

/// The PHC string of `password` under a random salt and [`verifier_params`].
fn hash(password: &[u8]) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    let params = verifier_params();
    let mut raw = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut raw)?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        Ok(argon2id(password, salt_bytes, &params, out)?)
    })?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` is the one `stored` (a PHC string of [`hash`]) was made from; compared
/// in constant time.
fn verify(password: &[u8], stored: &str) -> bool {
    let check = || -> Result<bool, argon2::password_hash::Error> {
        let phc = PasswordHash::new(stored)?;
        if phc.algorithm != Algorithm::Argon2id.ident() {
            return Ok(false);
        }
        let params = Params::try_from(&phc)?;
        let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
            return Ok(false);
        };
        let mut raw = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut raw)?;
        let got = Output::init_with(expected.len(), |out| {
            Ok(argon2id(password, salt_bytes, &params, out)?)
        })?;
        Ok(got == expected)
    };
    check().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

    use super::*;

    #[test]
    fn a_verifier_checks_its_password_and_no_other() {
        let stored = hash(b"1001").expect("a verifier");
        assert!(
            stored.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"),
            "{stored}"
        );
        assert!(verify(b"1001", &stored));
        assert!(!verify(b"1002", &stored));
        assert!(!verify(b"1001", "not a PHC string"));
    }

    /// Verifiers are argon2's own format both ways: stored ones made by its hasher still
    /// verify, and argon2 verifies ours.
    #[test]
    fn verifiers_are_argon2s_own_format() {
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"secreto", &salt)
            .expect("argon2 hashes")
            .to_string();
        assert!(verify(b"secreto", &theirs));
        let ours = hash(b"secreto").expect("a verifier");
        let parsed = PasswordHash::new(&ours).expect("a PHC string");
        assert!(
            Argon2::default()
                .verify_password(b"secreto", &parsed)
                .is_ok()
        );
    }
}
