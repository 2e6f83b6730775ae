//! The gate as a person meets it: the server closes a socket that does not log in in time
//! (`limits.login_deadline_secs`); the page opens a new one at once, without showing the agent
//! a lost connection, and the login form left open past the deadline still logs in.

mod browser;

use std::time::Duration;

use browser::Stack;

#[tokio::test]
async fn a_login_form_left_open_past_the_login_deadline_still_logs_in() {
    let Some(s) = Stack::start_with("login-deadline", |config| {
        config.limits.login_deadline = Duration::from_secs(1);
    })
    .await
    else {
        return;
    };
    s.softphone().await;
    s.wait_element("[data-testid=login-user]").await;
    // Every text the status line shows from now on.
    s.js(
        "window.statusSeen = [];
         var e = document.querySelector('[data-testid=status]');
         new MutationObserver(function () { window.statusSeen.push(e.textContent); })
           .observe(e, { childList: true, characterData: true, subtree: true });",
        vec![],
    )
    .await;
    // The agent types slowly: the server closes the page's socket for want of a login, twice.
    let closed = || async {
        let text = reqwest::get(format!("{}/metrics", s.server_url))
            .await
            .expect("the metrics answer")
            .text()
            .await
            .expect("a text");
        text.lines()
            .find(|l| l.starts_with("cti_refused_total{kind=\"loginDeadline\"}"))
            .and_then(|l| l.rsplit(' ').next()?.parse::<u32>().ok())
            .unwrap_or(0)
    };
    for _ in 0..100 {
        if closed().await >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        closed().await >= 2,
        "the login deadline closed the page's socket"
    );
    let seen = s.js("return window.statusSeen;", vec![]).await;
    let lost = seen
        .as_array()
        .into_iter()
        .flatten()
        .any(|t| t.as_str().is_some_and(|t| t.contains("Sin conexión")));
    assert!(!lost, "the agent was shown a lost connection: {seen}");
    s.login("SIP/1001", "1001", "1001").await;
    s.wait_status("Sin campaña").await;
    s.stop().await;
}
