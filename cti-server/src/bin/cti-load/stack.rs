//! What the agents run against: a server and a simulator in this process, as child processes,
//! or already running elsewhere.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::measure::Proc;

/// The server (absent in `--bare`) and the simulator the agents use, and how to stop them.
pub(crate) struct Stack {
    /// The server's base URL.
    pub server: Option<String>,
    /// The simulator's base URL (its control API and NeoApi).
    pub sim: String,
    /// The process that is the server, when its cost can be read.
    pub server_proc: Option<Proc>,
    /// The simulator's own process, when it has one.
    pub sim_proc: Option<Proc>,
    parts: Parts,
}

enum Parts {
    InProcess {
        stop: tokio::sync::oneshot::Sender<()>,
        task: tokio::task::JoinHandle<Result<(), cti_server::ServeError>>,
        _data: TempDir,
    },
    Children {
        children: Vec<Child>,
        _data: Option<TempDir>,
    },
    Remote,
}

impl Stack {
    /// A server in demo mode in this process (its simulator inside it), grown to `agents`.
    pub(crate) async fn in_process(poll: Duration, agents: usize) -> Result<Self, String> {
        let data = TempDir::new()?;
        let mut config = cti_server::config::Config::defaults();
        config.listen = "127.0.0.1:0".parse().expect("an address");
        config.standin_listen = "127.0.0.1:0".parse().expect("an address");
        // Every simulated agent connects from loopback: one address, held to the total only.
        config.limits.max_connections_per_address = config.limits.max_connections;
        config.poll_interval = poll;
        config.max_agents = max_agents(agents);
        // The server resumes sessions from its data directory: a fresh one, never `data`.
        config.data_dir = data.path().to_owned();
        let server = cti_server::Server::bind(config)
            .await
            .map_err(|e| e.to_string())?;
        let url = server.state().public_url().to_owned();
        let sim = server.sim_url().expect("demo mode has a simulator");
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = rx.await;
        }));
        Ok(Self {
            server: Some(url),
            sim,
            server_proc: Some(Proc::This),
            sim_proc: None,
            parts: Parts::InProcess {
                stop,
                task,
                _data: data,
            },
        })
    }

    /// The simulator and (unless `bare`) the server as child processes: the `neotel-sim` and
    /// `cti-server` binaries in `bin_dir`, the server pointed at the simulator's NeoApi.
    pub(crate) async fn children(
        bin_dir: &Path,
        poll: Duration,
        agents: usize,
        bare: bool,
    ) -> Result<Self, String> {
        let http = crate::agent::http();
        let sim_addr = free_port()?;
        let sim_url = format!("http://{sim_addr}");
        let mut sim = spawn(
            bin_dir,
            "neotel-sim",
            &["--listen".into(), sim_addr.to_string()],
        )?;
        ready(&http, &mut sim, &format!("{sim_url}/sim/journal")).await?;
        let sim_proc = sim.id().map(Proc::Pid);
        if bare {
            return Ok(Self {
                server: None,
                sim: sim_url,
                server_proc: None,
                sim_proc,
                parts: Parts::Children {
                    children: vec![sim],
                    _data: None,
                },
            });
        }
        let data = TempDir::new()?;
        // The example's lists and tasks are the simulator's (a NeoApi URL needs them written);
        // nothing else of it: the rest is the server's defaults and the flags below.
        let example = include_str!("../../../config.example.toml");
        let lists_and_tasks = example
            .find("\n[lists]")
            .zip(example.find("\n[callcenter]"))
            .map(|(from, to)| &example[from..to])
            .ok_or("config.example.toml has no [lists] … [callcenter] sections")?;
        let config = data.path().join("config.toml");
        std::fs::write(&config, lists_and_tasks)
            .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
        let addr = free_port()?;
        let url = format!("http://{addr}");
        let args = [
            ("--config", config.display().to_string()),
            ("--listen", addr.to_string()),
            ("--public-url", url.clone()),
            ("--neoapi-url", sim_url.clone()),
            ("--poll-interval-ms", poll.as_millis().to_string()),
            ("--max-agents", max_agents(agents).to_string()),
            // The server resumes sessions from its data directory: a fresh one, never `data`.
            ("--data-dir", data.path().display().to_string()),
            // Every simulated agent connects from loopback: one address.
            (
                "--limits-max-connections-per-address",
                (agents * 4 + 256).to_string(),
            ),
        ]
        .into_iter()
        .flat_map(|(flag, value)| [flag.to_owned(), value])
        .collect::<Vec<_>>();
        let mut server = spawn(bin_dir, "cti-server", &args)?;
        ready(&http, &mut server, &format!("{url}/healthz")).await?;
        let server_proc = server.id().map(Proc::Pid);
        Ok(Self {
            server: Some(url),
            sim: sim_url,
            server_proc,
            sim_proc,
            parts: Parts::Children {
                children: vec![server, sim],
                _data: Some(data),
            },
        })
    }

    /// A server and a simulator someone else runs.
    pub(crate) fn remote(server: &str, sim: &str) -> Self {
        Self {
            server: Some(server.trim_end_matches('/').to_owned()),
            sim: sim.trim_end_matches('/').to_owned(),
            server_proc: None,
            sim_proc: None,
            parts: Parts::Remote,
        }
    }

    /// Stops what this tool started, then removes the server's data directory.
    pub(crate) async fn stop(self) {
        match self.parts {
            Parts::InProcess { stop, task, _data } => {
                let _ = stop.send(());
                let _ = task.await;
            }
            Parts::Children { children, _data } => {
                for mut child in children {
                    let _ = child.kill().await;
                }
            }
            Parts::Remote => {}
        }
    }
}

/// The server's `max_agents`: the agents and a few more (at least the default).
fn max_agents(agents: usize) -> u32 {
    u32::try_from(agents + 10).unwrap_or(u32::MAX).max(2_000)
}

/// A loopback address nobody listens on now (the child binds it a moment later).
fn free_port() -> Result<SocketAddr, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))
}

/// Starts `bin_dir/name args`, logging warnings only, with no `CTI_…` variable of ours.
fn spawn(bin_dir: &Path, name: &str, args: &[String]) -> Result<Child, String> {
    let program = bin_dir.join(name);
    let mut command = Command::new(&program);
    command
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("CTI_")) {
        command.env_remove(key);
    }
    command.spawn().map_err(|e| {
        format!(
            "cannot start {}: {e} (build it: cargo build --release -p cti-server -p neotel-sim)",
            program.display()
        )
    })
}

/// Waits until `url` answers 200, or the child exits, or 30 s pass.
async fn ready(http: &reqwest::Client, child: &mut Child, url: &str) -> Result<(), String> {
    for _ in 0..300 {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("{url}: the process exited ({status})"));
        }
        if let Ok(r) = http.get(url).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{url} did not answer within 30 s"))
}

/// A directory of its own under the system's temporary directory, removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("cti-load-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
