//! `--bare`: the same `Position` polls for the same agents with the neotel-api client and
//! nothing else, the floor the server's CPU is compared with.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use neotel_api::{Binding, Client, HttpTransportBuilder, Password};

/// What the bare loop did.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Agents logged in and in the campaign.
    pub agents: usize,
    /// One line per failure (login or poll).
    pub errors: Vec<String>,
}

/// The polling loop: what the server's client does for idle agents.
pub(crate) struct Bare {
    client: Client,
    users: Vec<String>,
}

impl Bare {
    /// Logs every user in on `SIP/{user}` (password = user) and into `campaign`, through one
    /// client as the server has (form binding, the server's default timeout).
    pub(crate) async fn login(
        sim: &str,
        users: &[String],
        campaign: i64,
        report: &mut Report,
    ) -> Result<Self, String> {
        let transport = HttpTransportBuilder::new(sim)
            .timeout(Duration::from_secs(5))
            .build(Binding::Form)
            .map_err(|e| e.to_string())?;
        let client = Client::new(transport);
        let mut logins = tokio::task::JoinSet::new();
        for user in users.iter().cloned() {
            let client = client.clone();
            logins.spawn(async move {
                let password = Password::new(user.clone());
                let result = async {
                    client
                        .login(&format!("SIP/{user}"), &user, &password)
                        .await?;
                    client.login_campaign(&user, campaign).await
                }
                .await;
                (user, result)
            });
        }
        let mut logged = Vec::new();
        while let Some(joined) = logins.join_next().await {
            match joined.map_err(|e| e.to_string())? {
                (user, Ok(())) => logged.push(user),
                (user, Err(e)) => report.errors.push(format!("{user}: login: {e}")),
            }
        }
        report.agents = logged.len();
        Ok(Self {
            client,
            users: logged,
        })
    }

    /// Starts polling `Position` for every agent every `interval`, the agents' polls spread
    /// evenly over the interval, each answer parsed.
    pub(crate) fn start(&self, interval: Duration) -> Polling {
        let running = Arc::new(AtomicBool::new(true));
        let polls = Arc::new(AtomicU64::new(0));
        let mut pollers = tokio::task::JoinSet::new();
        let n = u32::try_from(self.users.len().max(1)).unwrap_or(u32::MAX);
        for (i, user) in self.users.iter().cloned().enumerate() {
            let (client, running, polls) = (self.client.clone(), running.clone(), polls.clone());
            let offset = interval / n * u32::try_from(i).unwrap_or(0);
            pollers.spawn(async move {
                let start = tokio::time::Instant::now() + offset;
                let mut ticks = tokio::time::interval_at(start, interval);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    if !running.load(Ordering::Relaxed) {
                        return Ok(());
                    }
                    match client.position(&user).await {
                        Ok(position) => {
                            std::hint::black_box(position.agent_state());
                            polls.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => return Err(format!("{user}: Position: {e}")),
                    }
                }
            });
        }
        Polling {
            running,
            polls,
            pollers,
        }
    }

    /// Logs every agent out.
    pub(crate) async fn logout(&self) {
        let mut logouts = tokio::task::JoinSet::new();
        for user in &self.users {
            let (client, user) = (self.client.clone(), user.clone());
            logouts.spawn(async move { client.logout(&user).await });
        }
        while logouts.join_next().await.is_some() {}
    }
}

/// The polls running; [`Polling::polls`] counts them, [`Polling::stop`] ends them.
pub(crate) struct Polling {
    running: Arc<AtomicBool>,
    polls: Arc<AtomicU64>,
    pollers: tokio::task::JoinSet<Result<(), String>>,
}

impl Polling {
    /// `Position` answers parsed so far.
    pub(crate) fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    /// Stops the polls (each at its next tick), recording the pollers that failed.
    pub(crate) async fn stop(mut self, report: &mut Report) {
        self.running.store(false, Ordering::Relaxed);
        while let Some(joined) = self.pollers.join_next().await {
            if let Ok(Err(e)) = joined {
                report.errors.push(e);
            }
        }
    }
}
