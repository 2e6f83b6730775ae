//! Throwaway PostgreSQL and HAProxy for the failover tests: Debian's binaries (installed by
//! `scripts/install-test-deps` when missing), each started in a temporary folder on free
//! loopback ports as a child of the test, never as a system service, and stopped with it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cti_server::store::LeaseRecord;

use super::process::free_port;

/// `name` on `PATH`, else in `/usr/sbin`, else in Debian's versioned PostgreSQL folders
/// (`/usr/lib/postgresql/VERSION/bin`, the newest).
fn find_binary(name: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .chain([PathBuf::from("/usr/sbin")])
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if let Some(found) = on_path {
        return found;
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.is_file())
        .collect();
    versions.sort();
    versions.pop().unwrap_or_else(|| {
        panic!("{name} is not installed: run scripts/install-test-deps (Debian's packages)")
    })
}

/// The uid and gid of `user`, from `id`.
fn ids(user: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A command for `program`, run as an unprivileged user when the test runs as root
/// (PostgreSQL refuses root): `setpriv` replaces itself with the program, so killing the child
/// kills the server.
fn unprivileged(program: &Path, owner: Option<(u32, u32)>) -> Command {
    match owner {
        Some((uid, gid)) => {
            let mut c = Command::new("setpriv");
            c.args([
                format!("--reuid={uid}"),
                format!("--regid={gid}"),
                "--clear-groups".to_owned(),
                "--".to_owned(),
            ])
            .arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// A throwaway PostgreSQL (fsync off: it lives as long as the test), which a test may stop and
/// start again on the same data and port (a restart of the database under the servers).
pub struct Postgres {
    child: Option<Child>,
    dir: tempfile::TempDir,
    /// Who runs it (PostgreSQL refuses root).
    owner: Option<(u32, u32)>,
    pub port: u16,
    pub url: String,
}

impl Postgres {
    pub async fn start() -> Self {
        let initdb = find_binary("initdb");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let owner = running_as_root().then(|| {
            ids("postgres")
                .or_else(|| ids("nobody"))
                .expect("a user to run PostgreSQL as (postgres or nobody)")
        });
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let status = unprivileged(&initdb, owner)
            .arg("-D")
            .arg(dir.path().join("data"))
            .args(["-U", "cti", "--auth=trust", "--no-sync", "-E", "UTF8"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .status()
            .expect("initdb runs");
        assert!(status.success(), "initdb failed: {status}");
        let port = free_port();
        let mut pg = Self {
            child: None,
            dir,
            owner,
            port,
            url: format!("postgres://cti@127.0.0.1:{port}/postgres"),
        };
        pg.start_again().await;
        pg
    }

    /// Starts the stopped server on its data and port, and waits until it accepts connections.
    pub async fn start_again(&mut self) {
        assert!(self.child.is_none(), "PostgreSQL is running");
        let child = unprivileged(&find_binary("postgres"), self.owner)
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(self.dir.path())
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "max_connections=200",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres starts");
        self.child = Some(child);
        for _ in 0..300 {
            if cti_server::store::Store::open(&self.url).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("PostgreSQL did not accept connections within 30 s");
    }

    /// Stops the server as `pg_ctl stop -m fast` does (SIGINT: the backends go with the
    /// postmaster, the clients' connections are closed) and waits until it is gone.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        for _ in 0..100 {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A throwaway HAProxy in front of `backends` (loopback ports): it hashes on the URL's `agent`
/// (the softphone page names its agent), checks each backend's `/readyz`, and sends a
/// connection another backend when one refuses it.
pub struct Haproxy {
    child: Option<Child>,
    _dir: tempfile::TempDir,
    pub port: u16,
}

impl Haproxy {
    /// HAProxy on `port` (chosen before the servers, whose public URL it is).
    pub async fn start(port: u16, backends: &[u16]) -> Self {
        let haproxy = find_binary("haproxy");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let servers: String = backends
            .iter()
            .enumerate()
            .map(|(i, p)| format!("    server cti{i} 127.0.0.1:{p} check\n"))
            .collect();
        // The same settings as docs/failover.md's example, on loopback ports.
        let config = format!(
            "global\n    maxconn 4096\n\
             defaults\n    mode http\n    timeout connect 1s\n    timeout client 60s\n\
             \x20   timeout server 60s\n    timeout tunnel 1h\n    timeout check 3s\n\
             \x20   retries 3\n\
             \x20   option redispatch\n\
             frontend cti\n    bind 127.0.0.1:{port}\n    default_backend cti_servers\n\
             backend cti_servers\n    balance url_param agent\n    hash-type consistent\n\
             \x20   option httpchk GET /readyz\n    http-check expect status 200\n\
             \x20   default-server inter 500ms fall 2 rise 2\n{servers}"
        );
        let file = dir.path().join("haproxy.cfg");
        std::fs::write(&file, config).expect("the HAProxy configuration is written");
        let child = Command::new(haproxy)
            .arg("-db")
            .arg("-f")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("haproxy starts");
        let lb = Self {
            child: Some(child),
            _dir: dir,
            port,
        };
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if http
                .get(format!("{}/healthz", lb.url()))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return lb;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("HAProxy did not pass a request within 10 s");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// No two ownerships of one session overlap: each generation starts after the previous one
/// was let go or its last renewal ran out.
pub fn assert_never_owned_twice(history: &[LeaseRecord]) {
    for pair in history.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        if before.agent != after.agent {
            continue;
        }
        assert!(after.generation > before.generation, "{pair:?}");
        let end = before.released_at.unwrap_or(before.held_until);
        assert!(
            after.acquired_at >= end,
            "{} owned by {} and {} at once: {pair:?}",
            after.agent,
            before.owner,
            after.owner
        );
    }
}
