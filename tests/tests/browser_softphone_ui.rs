//! The softphone an agent lives in (issue 18): every state's line and timer, every action's
//! confirmation, the KEYBOARD and CALENDARIO flows, the conference's participants, the main
//! action in sight at Salesforce's smallest panel, and axe-core on every screen (0 violations).
//! The panel screenshots (`ui-*.png` in `target/browser-artifacts/`) are the README's.

mod browser;

use browser::Stack;
use serde_json::{Value, json};

/// The simulator's clock stops: the agent's phone rings until the test answers it.
async fn manual_clock(s: &Stack) {
    s.sim_post("/sim/clock", json!({"mode": "manual"})).await;
}

/// The main action's button: its words, and whether it is in sight without scrolling.
async fn primary(s: &Stack) -> (String, bool) {
    s.softphone().await;
    let v = s
        .js(
            "var b = document.getElementById('primary'); var r = b.getBoundingClientRect();
             return { text: b.closest('[hidden]') ? '' : b.textContent,
                      inSight: r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight };",
            vec![],
        )
        .await;
    (
        v["text"].as_str().unwrap_or_default().to_owned(),
        v["inSight"] == json!(true),
    )
}

/// The timer's text once it shows at least `secs` seconds.
async fn timer_at_least(s: &Stack, secs: u64) -> String {
    s.softphone().await;
    s.wait_text("[data-testid=timer]", |t| {
        let parts: Vec<u64> = t.split(':').filter_map(|p| p.parse().ok()).collect();
        parts.len() == 2 && parts[0] * 60 + parts[1] >= secs
    })
    .await
}

async fn set_panel(s: &Stack, width: u32, height: u32) {
    s.open_panel("settings").await;
    s.fill("[data-testid=set-width]", &width.to_string()).await;
    s.fill("[data-testid=set-height]", &height.to_string())
        .await;
    s.act("saveSettings").await;
    s.wait_standin("panel()", |p| p["width"] == width && p["height"] == height)
        .await;
    s.softphone().await;
    s.wait_text("[data-testid=notice]", |t| {
        t.contains("Configuración guardada")
    })
    .await;
    s.open_panel("settings").await;
    s.click("[data-panel=settings]").await;
}

/// A predictive call walked screen by screen at the seed's 620×420: ringing, talking (timer),
/// DTMF confirmed, transfer targets by kind, consulting, a conference with its participants,
/// wrap-up; each screen checked by axe, the main action always the biggest button in sight.
#[tokio::test]
async fn a_call_screen_by_screen() {
    let Some(s) = Stack::start("ui-call").await else {
        return;
    };
    s.softphone().await;
    s.axe("login").await;
    s.login_and_join("1001", 97).await;
    s.axe("idle").await;
    s.screenshot_panel("ui-idle-620x420").await;

    // KEYBOARD: the icon opens the dialer, its number field focused.
    s.click("[data-testid=keyboard]").await;
    let focused = s
        .js(
            "return document.activeElement && document.activeElement.getAttribute('data-testid');",
            vec![],
        )
        .await;
    assert_eq!(focused, json!("number"), "the number field takes the focus");
    s.axe("dialer").await;
    s.click("[data-testid=keyboard]").await;

    manual_clock(&s).await;
    let delivered = s
        .sim_post(
            "/sim/dialer/deliver",
            json!({"campaign": 97, "user": "1001"}),
        )
        .await;
    s.softphone().await;
    s.wait_status("Sonando").await;
    timer_at_least(&s, 0).await;
    let (main, in_sight) = primary(&s).await;
    assert_eq!((main.as_str(), in_sight), ("Cortar", true));
    s.axe("ringing").await;
    s.screenshot_panel("ui-ringing-620x420").await;

    s.sim_post("/sim/agents/1001/answer", json!({})).await;
    s.softphone().await;
    let phone = delivered_phone(&s).await;
    s.wait_status(&format!("En llamado · {phone}")).await;
    timer_at_least(&s, 2).await;
    s.axe("talking").await;
    s.screenshot_panel("ui-talking-620x420").await;

    // DTMF: sent, and said so.
    s.fill("[data-testid=digits]", "12").await;
    s.act("dtmf").await;
    s.wait_text("[data-testid=notice]", |t| {
        t.contains("Dígitos 12 enviados")
    })
    .await;
    s.axe("dtmf").await;

    // Transfer targets by kind, with the document's words; the campaign's phones listed.
    s.open_panel("transfer").await;
    let kinds = s
        .js("return Array.prototype.map.call(document.querySelectorAll('[data-testid=xfer-to] option'), function (o) { return o.textContent; });", vec![])
        .await;
    assert_eq!(
        kinds,
        json!([
            "A teléfonos externos",
            "A un usuario",
            "A una cola",
            "A otra campaña"
        ])
    );
    s.wait_element("#xfer-phones [data-phone='1140001000']")
        .await;
    s.axe("transfer").await;
    s.screenshot_panel("ui-transfer-620x420").await;
    s.click("#xfer-phones [data-phone='1140001000']").await;
    s.act("attendedTransfer").await;
    s.wait_status("Consultando a 1140001000").await;
    let (main, _) = primary(&s).await;
    assert_eq!(main, "Fin de transferencia");
    s.axe("consulting").await;
    s.act("endTransfer").await;
    s.wait_status("En llamado").await;

    // A conference: who was invited is listed.
    s.open_panel("conference").await;
    s.act("startConference").await;
    s.wait_status("En conferencia").await;
    s.fill("[data-testid=conf-phone]", "1140002000").await;
    s.act("invitePhone").await;
    s.wait_text("[data-testid=notice]", |t| {
        t.contains("Invitación enviada a 1140002000")
    })
    .await;
    s.wait_text("[data-testid=participants]", |t| t.contains("1140002000"))
        .await;
    s.wait_status("1 invitado").await;
    s.axe("conference").await;
    s.screenshot_panel("ui-conference-620x420").await;
    s.act("endConference").await;
    s.wait_status("En llamado").await;

    // Wrap-up: its line, its timer, the release as the main action.
    s.sim_post(
        &format!("/sim/calls/{}/hangup", delivered["call_id"]),
        json!({}),
    )
    .await;
    s.softphone().await;
    s.wait_status("Fin de llamado").await;
    timer_at_least(&s, 0).await;
    let (main, in_sight) = primary(&s).await;
    assert_eq!((main.as_str(), in_sight), ("Categorizar y liberar", true));
    s.axe("wrap-up").await;
    s.screenshot_panel("ui-wrapup-620x420").await;

    // CALENDARIO: the month in the agent's language, a day, a time; the schedule is confirmed
    // and needs no Play.
    s.click("[data-testid=calendar]").await;
    let month = s.wait_text("#cal-month", |t| !t.is_empty()).await;
    assert!(
        [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre"
        ]
        .iter()
        .any(|m| month.contains(m)),
        "the month in Spanish: {month}"
    );
    s.axe("calendar").await;
    s.click("#cal-next").await;
    s.click("#cal-days [data-day='15']").await;
    s.select("[data-testid=cal-hour]", "10").await;
    s.select("[data-testid=cal-minute]", "30").await;
    s.click("[data-testid=cal-ok]").await;
    let chosen = s
        .wait_text("[data-testid=when-text]", |t| t.contains("10:30"))
        .await;
    assert!(chosen.contains("15"), "{chosen}");
    s.select("[data-testid=category]", "28").await;
    s.act("schedule").await;
    s.wait_text("[data-testid=notice]", |t| {
        t.contains("Agendado para el 15/")
    })
    .await;
    s.wait_status("Disponible").await;
    let update = s
        .wait_journal("UpdateContact", |e| e["params"]["SUBCATEGORIA"] == "28")
        .await;
    // Picked in the agent's zone, sent in Neotel's (the core converts): the 15th, at :30.
    assert!(
        update["params"]["FECHA_AGENDA"]
            .as_str()
            .is_some_and(|f| f.contains("-15T") && f.ends_with(":30:00")),
        "{update}"
    );
    s.stop().await;
}

/// The number the simulator dialed for the call on screen.
async fn delivered_phone(s: &Stack) -> String {
    let agent: Value = reqwest::get(format!("{}/sim/agents/1001", s.sim))
        .await
        .expect("the simulator answers")
        .json()
        .await
        .expect("JSON");
    let position = agent["position"].as_str().unwrap_or_default().to_owned();
    position
        .split('|')
        .find_map(|kv| kv.strip_prefix("TELEFONO="))
        .unwrap_or_default()
        .to_owned()
}

/// Salesforce's smallest panel, 200×240: the state's line and its main action without
/// scrolling, ringing, talking and in wrap-up; axe on each.
#[tokio::test]
async fn the_smallest_panel_keeps_the_main_action_in_sight() {
    let Some(s) = Stack::start("ui-small").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    set_panel(&s, 200, 240).await;
    s.screenshot_panel("ui-idle-200x240").await;
    manual_clock(&s).await;
    let delivered = s
        .sim_post(
            "/sim/dialer/deliver",
            json!({"campaign": 97, "user": "1001"}),
        )
        .await;
    s.softphone().await;
    s.wait_status("Sonando").await;
    assert_eq!(primary(&s).await, ("Cortar".to_owned(), true));
    s.axe("ringing-small").await;
    s.screenshot_panel("ui-ringing-200x240").await;
    s.sim_post("/sim/agents/1001/answer", json!({})).await;
    s.softphone().await;
    s.wait_status("En llamado").await;
    timer_at_least(&s, 1).await;
    assert_eq!(primary(&s).await, ("Cortar".to_owned(), true));
    s.axe("talking-small").await;
    s.screenshot_panel("ui-talking-200x240").await;
    // With the information panel open the main action stays in sight.
    s.open_panel("info").await;
    assert_eq!(primary(&s).await, ("Cortar".to_owned(), true));
    s.open_panel("transfer").await;
    s.axe("transfer-small").await;
    s.screenshot_panel("ui-transfer-200x240").await;
    s.open_panel("conference").await;
    s.screenshot_panel("ui-conference-200x240").await;
    s.sim_post(
        &format!("/sim/calls/{}/hangup", delivered["call_id"]),
        json!({}),
    )
    .await;
    s.softphone().await;
    s.wait_status("Fin de llamado").await;
    assert_eq!(
        primary(&s).await,
        ("Categorizar y liberar".to_owned(), true)
    );
    s.axe("wrap-up-small").await;
    s.screenshot_panel("ui-wrapup-200x240").await;
    s.stop().await;
}

/// An inbound call names its queue and is confirmed transferred; a break says its name and
/// since when, and its main action is back to work; the settings and information panels, and
/// English, pass axe too.
#[tokio::test]
async fn an_inbound_call_a_break_the_panels_and_english() {
    let Some(s) = Stack::start("ui-break").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    manual_clock(&s).await;
    s.sim_post(
        "/sim/inbound",
        json!({"queue": 200, "ani": "1144445555", "data": "0038d0000000002AAA"}),
    )
    .await;
    s.softphone().await;
    s.wait_status("Sonando · 1144445555").await;
    s.sim_post("/sim/agents/1001/answer", json!({})).await;
    s.softphone().await;
    let line = s.wait_status("Entrante de ").await;
    assert!(
        line.ends_with("· 1144445555") && !line.contains("200"),
        "the queue's name: {line}"
    );
    s.axe("inbound").await;
    // A direct transfer to a queue: the call leaves the agent, and the agent is told.
    s.select("[data-testid=xfer-to]", "queue").await;
    s.select("[data-testid=xfer-queue]", "200").await;
    s.act("blindTransfer").await;
    s.wait_text("[data-testid=notice]", |t| {
        t.contains("Llamado transferido a 200")
    })
    .await;
    s.wait_status("Fin de llamado").await;
    s.act("release").await;
    s.act("play").await;
    s.wait_status("Disponible").await;

    s.select("[data-testid=break]", "1").await;
    s.act("takeBreak").await;
    s.wait_status("En descanso: Descanso").await;
    timer_at_least(&s, 1).await;
    let (main, in_sight) = primary(&s).await;
    assert_eq!((main.as_str(), in_sight), ("Volver al trabajo", true));
    s.axe("break").await;
    s.screenshot_panel("ui-break-620x420").await;
    s.act("endBreak").await;
    s.wait_status("Disponible").await;
    for panel in ["campaign", "settings", "info"] {
        s.open_panel(panel).await;
        s.axe(panel).await;
    }
    s.click("[data-testid=lang]").await;
    s.wait_status("Available").await;
    s.open_panel("campaign").await;
    s.wait_text("#panel-campaign [data-act=leave]", |t| {
        t == "Leave the campaign"
    })
    .await;
    s.axe("english").await;
    s.stop().await;
}
