//! `--rhythm`: a contact center's rhythm instead of back-to-back calls. Each agent talks for a
//! random while (60–180 s), wraps up (5–20 s: the contact on screen, the call gone), releases
//! and presses Play, then waits (1–10 s) for the dialer's next contact. Before the window each
//! agent is placed at a random point of such a cycle, so the floor is in its steady mix from
//! the window's first second: most agents talking, some wrapping up, a few waiting.
//!
//! Measured over the window: each pop (the delivery request → the search-and-pop at the leader
//! connection), each hang-up (the customer's hang-up request → the wrap-up in the view), and
//! each call's talk (for the occupancy).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::agent::{self, Ctx, Progress, Socket, plain, script};

/// A range of seconds, `MIN-MAX` (or one number), a duration drawn uniformly from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Span {
    min: f64,
    max: f64,
}

impl Span {
    /// Reads `MIN-MAX` or `SECS`.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let number = |t: &str| {
            t.trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| format!("`{t}` is not a number of seconds"))
        };
        let (min, max) = match text.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => (number(text)?, number(text)?),
        };
        if min > max {
            return Err(format!("`{text}`: the first number is above the second"));
        }
        Ok(Self { min, max })
    }

    /// A duration drawn uniformly from the range.
    pub(crate) fn draw(self) -> Duration {
        let secs = if self.max > self.min {
            rand::random_range(self.min..self.max)
        } else {
            self.min
        };
        Duration::from_secs_f64(secs)
    }
}

/// The cycle's ranges.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rhythm {
    pub talk: Span,
    pub wrap: Span,
    pub wait: Span,
}

/// Where an agent is in its cycle, and for how long more.
enum Phase {
    /// Available, the dialer's next contact this far away.
    Wait(Duration),
    /// On `call` since `since` (its pop), the customer hanging up this far away.
    Talk {
        call: Value,
        since: Instant,
        left: Duration,
    },
    /// The call gone, the contact on screen this long more.
    Wrap(Duration),
}

/// One agent's cycles until the window ends (`progress.placed` once it is in its cycle).
pub(crate) async fn run(
    ctx: &Ctx,
    rhythm: &Rhythm,
    user: &str,
    socket: &mut Socket,
    progress: &mut Progress,
) -> Result<(), String> {
    let mut phase = place(ctx, rhythm, user, socket).await?;
    ctx.placed
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    progress.placed = true;
    let mut stop = ctx.stop.clone();
    let measuring = || ctx.measuring.load(std::sync::atomic::Ordering::Relaxed);
    loop {
        phase = match phase {
            Phase::Wait(left) => {
                if !pause(socket, left, &mut stop).await? {
                    return Ok(());
                }
                let call = agent::deliver(ctx, user, socket, measuring()).await?;
                Phase::Talk {
                    call,
                    since: Instant::now(),
                    left: rhythm.talk.draw(),
                }
            }
            Phase::Talk { call, since, left } => {
                let talked = pause(socket, left, &mut stop).await?;
                ctx.report
                    .lock()
                    .expect("the report lock")
                    .talks
                    .push((since, Instant::now()));
                if !talked {
                    // The window is over: the customer goes, nothing more is measured.
                    hang_up(ctx, socket, &call, false).await?;
                    return Ok(());
                }
                hang_up(ctx, socket, &call, measuring()).await?;
                Phase::Wrap(rhythm.wrap.draw())
            }
            Phase::Wrap(left) => {
                if !pause(socket, left, &mut stop).await? {
                    return Ok(());
                }
                agent::release_and_play(socket).await?;
                if measuring() {
                    ctx.report.lock().expect("the report lock").calls += 1;
                }
                Phase::Wait(rhythm.wait.draw())
            }
        };
    }
}

/// Puts the agent at a random point of a cycle drawn from the rhythm (nothing of it measured):
/// talking (a contact delivered now), wrapping up (delivered and hung up), or waiting.
async fn place(
    ctx: &Ctx,
    rhythm: &Rhythm,
    user: &str,
    socket: &mut Socket,
) -> Result<Phase, String> {
    let (talk, wrap, wait) = (rhythm.talk.draw(), rhythm.wrap.draw(), rhythm.wait.draw());
    let cycle = (talk + wrap + wait).as_secs_f64();
    let at = if cycle > 0.0 {
        Duration::from_secs_f64(rand::random_range(0.0..cycle))
    } else {
        Duration::ZERO
    };
    if at >= talk + wrap {
        return Ok(Phase::Wait(talk + wrap + wait - at));
    }
    let call = agent::deliver(ctx, user, socket, false).await?;
    if at < talk {
        return Ok(Phase::Talk {
            call,
            since: Instant::now(),
            left: talk - at,
        });
    }
    hang_up(ctx, socket, &call, false).await?;
    Ok(Phase::Wrap(talk + wrap - at))
}

/// Waits `left`, answering effects; `false` when the window ended first.
async fn pause(
    socket: &mut Socket,
    left: Duration,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) -> Result<bool, String> {
    if *stop.borrow() {
        return Ok(false);
    }
    tokio::select! {
        idle = agent::idle_answering(socket, left) => idle.map(|()| true),
        _ = stop.wait_for(|s| *s) => Ok(false),
    }
}

/// The customer hangs up `call`; with `measured`, the time until the view shows the wrap-up
/// is recorded.
async fn hang_up(
    ctx: &Ctx,
    socket: &mut Socket,
    call: &Value,
    measured: bool,
) -> Result<(), String> {
    if call.is_null() {
        return Err("the delivery named no call".into());
    }
    let asked = Instant::now();
    agent::post(
        &ctx.http,
        &format!("{}/sim/calls/{}/hangup", ctx.sim, plain(call)),
        json!({}),
    )
    .await?;
    agent::wait_answering(socket, Duration::from_secs(20), script::wrap_up)
        .await
        .map_err(|e| format!("waiting for the wrap-up: {e}"))?;
    if measured {
        ctx.report
            .lock()
            .expect("the report lock")
            .hangups
            .push(asked.elapsed());
    }
    Ok(())
}

/// The share of `agents`' time over `window` they spent talking.
pub(crate) fn occupancy(
    talks: &[(Instant, Instant)],
    window: (Instant, Instant),
    agents: usize,
) -> f64 {
    let (start, end) = window;
    let talked: f64 = talks
        .iter()
        .map(|(from, to)| {
            let (from, to) = ((*from).max(start), (*to).min(end));
            to.saturating_duration_since(from).as_secs_f64()
        })
        .sum();
    #[allow(clippy::cast_precision_loss)]
    let total = end.saturating_duration_since(start).as_secs_f64() * agents.max(1) as f64;
    talked / total.max(f64::MIN_POSITIVE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_a_range_or_one_number() {
        assert_eq!(
            Span::parse("60-180"),
            Ok(Span {
                min: 60.0,
                max: 180.0
            })
        );
        assert_eq!(Span::parse("2.5"), Ok(Span { min: 2.5, max: 2.5 }));
        assert!(Span::parse("9-1").is_err());
        assert!(Span::parse("a-b").is_err());
        let d = Span::parse("1-2").unwrap().draw();
        assert!(d >= Duration::from_secs(1) && d <= Duration::from_secs(2));
    }

    #[test]
    fn occupancy_counts_the_talk_inside_the_window() {
        let t0 = Instant::now();
        let s = |secs| t0 + Duration::from_secs(secs);
        let talks = [(s(0), s(50)), (s(60), s(200)), (s(90), s(95))];
        // Window 10..110 for two agents: 40 + 50 + 5 of 200 agent-seconds.
        let o = occupancy(&talks, (s(10), s(110)), 2);
        assert!((o - 0.475).abs() < 1e-9, "{o}");
    }
}
