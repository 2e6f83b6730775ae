//! A second agent's day in the browser (issue 24): the paths that left an agent stuck, rewrote
//! a Task, sent raw phone numbers to Neotel, or left a tab half signed out. Each scenario walks
//! what the agent does in the stand-in and checks what reached Salesforce (the stand-in's org)
//! and Neotel (the simulator's journal and outcomes).

mod browser;

use browser::Stack;
use serde_json::{Value, json};

const MARIA: &str = "0038d0000000001AAA";
const JOSE: &str = "0038d0000000002AAA";
/// The stand-in's Campaign record whose `neoCampaignId__c` is 97.
const CAMPAIGN_97: &str = "7018d0000000097AAA";

/// Delivers a predictive contact of campaign 97 to 1001 and waits for its pop.
async fn predictive_call(s: &Stack) -> Value {
    let delivered = s
        .sim_post(
            "/sim/dialer/deliver",
            json!({"campaign": 97, "user": "1001"}),
        )
        .await;
    let record = delivered["data"].clone();
    s.wait_standin("lastPop()", |p| p["params"]["recordId"] == record)
        .await;
    s.softphone().await;
    s.wait_status("En llamado").await;
    delivered
}

/// The customer hangs up `call`; the softphone shows the wrap-up.
async fn customer_hangs_up(s: &Stack, call: &Value) {
    s.sim_post(&format!("/sim/calls/{}/hangup", call["call_id"]), json!({}))
        .await;
    s.softphone().await;
    s.wait_status("Fin de llamado").await;
}

/// The Tasks of the stand-in's org saved for Neotel call `call`.
async fn tasks_of(s: &Stack, call: &str) -> Vec<Value> {
    let tasks = s.standin("tasks()").await;
    tasks
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t["CallObject"] == call)
        .collect()
}

/// Waits for a Task of call `call` satisfying `pred`; returns it.
async fn wait_task(s: &Stack, call: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let tasks = s
        .wait_standin("tasks()", |t| {
            t.as_array()
                .is_some_and(|t| t.iter().any(|t| t["CallObject"] == call && pred(t)))
        })
        .await;
    tasks
        .as_array()
        .and_then(|t| {
            t.iter()
                .find(|t| t["CallObject"] == call && pred(t))
                .cloned()
        })
        .expect("the Task")
}

/// The error and the notices the softphone shows, joined (current frame: the softphone).
const SHOWN: &str = "return ['error', 'notice'].map(function (k) { var e = document.querySelector('[data-testid=' + k + ']'); return e.hidden ? '' : e.textContent; }).join(' | ');";

/// Item 1 (F-PLAY): an agent outside any campaign takes a queue call, categorizes it, and is
/// offered Play; Play frees the agent in Neotel, and the next queued call reaches them.
#[tokio::test]
async fn an_agent_outside_a_campaign_gets_back_to_available_after_an_inbound_call() {
    let Some(s) = Stack::start("second-day-no-campaign").await else {
        return;
    };
    s.login("SIP/1001", "1001", "1001").await;
    s.wait_status("Sin campaña").await;
    let first = s
        .sim_post(
            "/sim/inbound",
            json!({"queue": 200, "ani": "1144455556", "data": JOSE}),
        )
        .await;
    assert_eq!(first["user"], "1001", "{first}");
    s.wait_standin("lastPop()", |p| p["params"]["recordId"] == JOSE)
        .await;
    s.softphone().await;
    s.wait_text("[data-testid=record]", |t| t.contains("José Rodríguez"))
        .await;
    customer_hangs_up(&s, &first).await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    let contact = first["contact_id"].to_string();
    s.wait_journal("UpdateContact", |e| {
        e["params"]["SUBCATEGORIA"] == "26" && e["params"]["IDCONTACTO"] == contact.as_str()
    })
    .await;
    s.softphone().await;
    s.wait_status("presione Play").await;
    s.screenshot("second-day-no-campaign-released").await;
    // The state asks for Play: Play is there.
    s.act("play").await;
    s.wait_journal("CRM_Available", |e| e["params"]["USUARIO"] == "1001")
        .await;
    s.softphone().await;
    s.wait_status("Sin campaña").await;
    // Neotel no longer holds the agent: the next queued call reaches them at once.
    let second = s
        .sim_post(
            "/sim/inbound",
            json!({"queue": 200, "ani": "1141007000", "data": MARIA}),
        )
        .await;
    assert_eq!(
        second["user"], "1001",
        "the next call is not queued: {second}"
    );
    s.wait_standin("lastPop()", |p| p["params"]["recordId"] == MARIA)
        .await;
    s.softphone().await;
    s.wait_text("[data-testid=record]", |t| t.contains("María González"))
        .await;
    s.stop().await;
}

/// Item 2 (W-ACTIVITY, F-MANUAL): a call dialed during a contact's wrap-up leaves its own Task;
/// the contact's Task keeps its call, and its disposition lands on it alone.
#[tokio::test]
async fn a_call_made_during_wrap_up_keeps_its_own_task() {
    let Some(s) = Stack::start("second-day-wrap-up-call").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let a = predictive_call(&s).await;
    let call_a = a["call_id"].to_string();
    s.act("hangup").await;
    s.wait_status("Fin de llamado").await;
    let task_a = wait_task(&s, &call_a, |_| true).await;

    // KEYBOARD: another number, Llamar, Cortar.
    s.softphone().await;
    s.fill("[data-testid=number]", "1144445555").await;
    s.act("dial").await;
    s.wait_journal("Dial", |e| e["params"]["TELEFONO"] == "1144445555")
        .await;
    s.softphone().await;
    s.open_panel("info").await;
    let call_b = s
        .wait_text("[data-testid=info-lastCall]", |t| {
            !t.is_empty() && t != "0" && t != call_a
        })
        .await;
    s.act("hangup").await;
    s.wait_journal("Hangup", |_| true).await;
    let task_b = wait_task(&s, &call_b, |_| true).await;
    s.screenshot("second-day-wrap-up-call").await;

    let now_a = tasks_of(&s, &call_a).await;
    assert_eq!(now_a.len(), 1, "call A keeps one Task: {now_a:?}");
    assert_eq!(now_a[0]["Id"], task_a["Id"], "{now_a:?}");
    for field in ["Subject", "CallDurationInSeconds", "CallType", "WhoId"] {
        assert_eq!(
            now_a[0][field], task_a[field],
            "call A's {field}: {now_a:?}"
        );
    }
    assert_ne!(task_b["Id"], task_a["Id"], "call B has a Task of its own");
    assert!(
        task_b["Subject"]
            .as_str()
            .is_some_and(|t| t.contains("1144445555")),
        "{task_b}"
    );
    assert!(
        task_b["Description"]
            .as_str()
            .is_some_and(|d| d.contains("Llamado manual")),
        "call B was dialed by hand: {task_b}"
    );

    // The contact's disposition goes to call A's Task, not to B's.
    s.softphone().await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    let contact_a = a["contact_id"].to_string();
    s.wait_journal("UpdateContact", |e| {
        e["params"]["IDCONTACTO"] == contact_a.as_str()
    })
    .await;
    wait_task(&s, &call_a, |t| {
        t["CallDisposition"]
            .as_str()
            .is_some_and(|d| d.contains("Venta concretada"))
    })
    .await;
    let b = tasks_of(&s, &call_b).await;
    assert_eq!(b.len(), 1, "{b:?}");
    assert!(b[0]["CallDisposition"].is_null(), "{b:?}");
    let all = s.standin("tasks()").await;
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    s.stop().await;
}

/// Item 3: profile A logs in as 1001, profile B logs in as 1001 too. A is signed out in every
/// respect (its form, its utility bar, click-to-dial) and logs in again from the same tab, as
/// another user and as 1001 again.
#[tokio::test]
async fn a_tab_taken_over_is_signed_out_and_can_log_in_again() {
    let Some(a) = Stack::start("second-day-takeover-a").await else {
        return;
    };
    a.login("SIP/1001", "1001", "1001").await;
    a.wait_standin("clickToDialEnabled()", |v| v == &json!(true))
        .await;
    let b = a.second_profile("second-day-takeover-b").await;
    b.login("SIP/1001", "1001", "1001").await;

    // A is told, and its Salesforce side says so.
    a.softphone().await;
    a.wait_text("[data-testid=error]", |t| t.contains("otro navegador"))
        .await;
    a.wait_element("[data-testid=login-submit]").await;
    a.wait_standin("panel()", |p| p["label"] == "Neotel CTI: sin sesión")
        .await;
    a.wait_standin("clickToDialEnabled()", |v| v == &json!(false))
        .await;
    a.screenshot_panel("ui-taken-over-620x420").await;

    // The same tab, another user.
    a.login("SIP/1002", "1002", "1002").await;
    a.wait_journal("Login", |e| e["params"]["USUARIO"] == "1002")
        .await;
    a.softphone().await;
    a.wait_status("Sin campaña").await;
    assert_eq!(
        a.text("[data-testid=error]").await,
        "",
        "nothing went wrong with this login (the page's answers to the utility bar's updates \
         are not refused)"
    );
    a.wait_standin("clickToDialEnabled()", |v| v == &json!(true))
        .await;
    a.softphone().await;
    a.open_panel("settings").await;
    a.act("logout").await;
    a.wait_journal("Logout", |e| e["params"]["USUARIO"] == "1002")
        .await;

    // And 1001 again: the session comes back to A, and B is told.
    a.login("SIP/1001", "1001", "1001").await;
    a.softphone().await;
    a.wait_status("Sin campaña").await;
    b.softphone().await;
    b.wait_text("[data-testid=error]", |t| t.contains("otro navegador"))
        .await;
    b.wait_standin("panel()", |p| p["label"] == "Neotel CTI: sin sesión")
        .await;
    b.stop().await;
    a.stop().await;
}

/// Item 4 (W-CLICK2DIAL's rule for every typed number): a text message's phone, a transfer's,
/// a conference invitation's and a schedule's other phone reach NeoApi as digits; one without
/// digits is refused before anything is sent.
#[tokio::test]
async fn every_number_the_agent_types_reaches_neotel_as_digits() {
    let Some(s) = Stack::start("second-day-numbers").await else {
        return;
    };
    s.set_setting("/neotelConfigOptions/allowTextMessage", "true")
        .await;
    s.login_and_join("1001", 97).await;
    let call = predictive_call(&s).await;

    // A text message to another phone.
    s.open_panel("sms").await;
    s.select("[data-testid=sms-channel]", "sms").await;
    s.fill("[data-testid=sms-phone]", "(011) 4444-5555").await;
    s.fill("[data-testid=sms-text]", "Le envío el presupuesto")
        .await;
    s.act("sendText").await;
    let sent = s
        .wait_journal("ExecuteTask04", |e| e["params"]["idTask"] == "5")
        .await;
    assert_eq!(
        sent["params"]["param2"], "01144445555",
        "the text's phone as digits: {sent}"
    );

    // An attended transfer to a typed phone, and back.
    s.softphone().await;
    s.open_panel("transfer").await;
    s.select("[data-testid=xfer-to]", "phone").await;
    s.fill("[data-testid=xfer-phone]", "11 4000-1000").await;
    s.act("attendedTransfer").await;
    let transfer = s.wait_journal("AttendedTransfer", |_| true).await;
    assert_eq!(transfer["params"]["EXTENSION"], "1140001000", "{transfer}");
    s.softphone().await;
    s.act("endTransfer").await;
    s.wait_status("En llamado").await;

    // A conference: a typed phone, then one without digits.
    s.open_panel("conference").await;
    s.act("startConference").await;
    s.wait_journal("JoinConference", |_| true).await;
    s.softphone().await;
    s.fill("[data-testid=conf-phone]", "11-4000-2000").await;
    s.act("invitePhone").await;
    let invited = s.wait_journal("InviteParticipant", |_| true).await;
    assert_eq!(invited["params"]["EXTENSION"], "1140002000", "{invited}");
    s.softphone().await;
    s.fill("[data-testid=conf-phone]", "interno").await;
    s.act("invitePhone").await;
    s.wait_text("[data-testid=error]", |t| t.contains("no tiene dígitos"))
        .await;
    let invitations = s.calls_of("InviteParticipant").await;
    assert_eq!(invitations.len(), 1, "nothing sent: {invitations:?}");
    s.act("endConference").await;
    s.wait_journal("KickAll", |_| true).await;

    // The schedule's other phone: without digits refused, then as typed on a card.
    if !s
        .text("[data-testid=status]")
        .await
        .contains("Fin de llamado")
    {
        customer_hangs_up(&s, &call).await;
    }
    s.softphone().await;
    s.wait_status("Fin de llamado").await;
    s.select("[data-testid=category]", "28").await;
    s.js(
        "var d = new Date(Date.now() + 86400000); var p = function (n) { return String(n).padStart(2, '0'); };
         var e = document.querySelector('[data-testid=when]');
         e.value = d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T10:30';
         e.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![],
    )
    .await;
    s.fill("[data-testid=when-phone]", "int.").await;
    s.act("schedule").await;
    s.wait_text("[data-testid=error]", |t| t.contains("no tiene dígitos"))
        .await;
    assert!(s.calls_of("UpdateContact").await.is_empty(), "nothing sent");
    s.fill("[data-testid=when-phone]", "11-5555-0000 int. 3")
        .await;
    s.act("schedule").await;
    let update = s
        .wait_journal("UpdateContact", |e| e["params"]["SUBCATEGORIA"] == "28")
        .await;
    assert_eq!(update["params"]["TEL_AGENDA"], "11555500003", "{update}");
    s.screenshot("second-day-numbers").await;
    s.stop().await;
}

/// Item 5 (one owner of unanswered work): the call ends while no softphone tab is open;
/// `tabs` tabs attach later, and Salesforce answers the Task's creation only after any look-up
/// of its call. The call keeps one Task, with its disposition.
async fn a_late_tab_saves_one_task(name: &str, tabs: usize) {
    let Some(s) = Stack::start(name).await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    s.standin("saveLogAfterLookup(true)").await;
    let delivered = predictive_call(&s).await;
    let call = delivered["call_id"].to_string();

    // The agent closes the Salesforce tabs while on the call; the customer hangs up.
    assert_eq!(s.standin("closeTabs()").await, json!(0));
    s.wait_connections(0.0).await;
    s.sim_post(&format!("/sim/calls/{call}/hangup"), json!({}))
        .await;
    s.wait_polls("1001", 3).await;

    // The tabs come back.
    for n in 1..=tabs {
        assert_eq!(s.standin("openTab()").await, json!(n));
    }
    s.softphone().await;
    s.wait_status("Fin de llamado").await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    s.wait_journal("UpdateContact", |e| e["params"]["SUBCATEGORIA"] == "26")
        .await;
    wait_task(&s, &call, |t| {
        t["CallDisposition"]
            .as_str()
            .is_some_and(|d| d.contains("Venta concretada"))
    })
    .await;
    // Whatever Salesforce was still to answer has been answered.
    s.wait_standin("unanswered()", |v| v == &json!(0)).await;
    let tasks = tasks_of(&s, &call).await;
    s.screenshot(&format!("{name}-categorized")).await;
    assert_eq!(tasks.len(), 1, "one Task for the call: {tasks:?}");
    let outcomes = s.sim_get("/sim/outcomes").await;
    assert_eq!(
        outcomes.as_array().map(Vec::len),
        Some(1),
        "Neotel got the disposition once: {outcomes}"
    );
    s.stop().await;
}

#[tokio::test]
async fn a_tab_attaching_late_saves_the_calls_task_once() {
    a_late_tab_saves_one_task("second-day-late-tab", 1).await;
}

#[tokio::test]
async fn two_tabs_attaching_late_save_the_calls_task_once() {
    a_late_tab_saves_one_task("second-day-late-tabs", 2).await;
}

/// Item 6: several matches. The search page opens; the softphone's card lists the matches and
/// says that opening one links it; the agent opens one in Salesforce and it is the contact's.
#[tokio::test]
async fn several_matches_the_card_lists_them_and_says_opening_one_links_it() {
    let Some(s) = Stack::start("second-day-several").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let inbound = s
        .sim_post(
            "/sim/inbound",
            json!({"queue": 200, "ani": "1144475558", "data": "1144475558"}),
        )
        .await;
    s.wait_standin("lastPop()", |p| p["type"] == "search").await;
    s.softphone().await;
    s.wait_text("[data-testid=contact]", |t| {
        t.contains("vincula") && t.contains("Lucía Fernández") && t.contains("Juan López")
    })
    .await;
    s.axe("several-matches").await;
    s.screenshot("second-day-several-matches").await;
    s.console().await;
    s.client
        .find(fantoccini::Locator::LinkText("Juan López"))
        .await
        .expect("the result's link")
        .click()
        .await
        .expect("the link opens");
    s.softphone().await;
    s.wait_text("[data-testid=record]", |t| t.contains("Juan López"))
        .await;
    assert_eq!(
        s.text("[data-testid=candidates]").await,
        "",
        "no list once linked"
    );
    customer_hangs_up(&s, &inbound).await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    s.wait_standin("tasks()", |t| {
        t.as_array().is_some_and(|t| {
            t.iter()
                .any(|t| t["WhoId"] == "0038d0000000004AAA" && !t["CallDisposition"].is_null())
        })
    })
    .await;
    s.stop().await;
}

/// Item 6: a queue call from a private number reaches an agent working campaign 97: the state
/// line ends cleanly, and campaign 97's transfer phones are not offered (a queue call is not a
/// call of the campaign; its transfer phones are none).
#[tokio::test]
async fn a_private_queue_call_shows_a_clean_state_and_no_campaign_phones() {
    let Some(s) = Stack::start("second-day-private-queue").await else {
        return;
    };
    s.login_and_join("1001", 97).await;

    let private = s
        .sim_post("/sim/inbound", json!({"queue": 200, "ani": "", "data": ""}))
        .await;
    assert_eq!(private["user"], "1001", "{private}");
    // No number, no search: the new-record window opens; the agent closes it.
    s.wait_standin("modal()", |m| !m.is_null()).await;
    s.console().await;
    s.click("[data-modal=cancel]").await;
    s.softphone().await;
    s.wait_text("[data-testid=contact]", |t| t.contains("Número privado"))
        .await;
    // The contact's lists have come (its categories; its transfer phones, if any).
    s.wait_js(
        "the contact's categories",
        "return document.querySelectorAll('[data-testid=category] option').length;",
        |n| n.as_u64().is_some_and(|n| n > 1),
    )
    .await;
    s.wait_polls("1001", 3).await;
    s.softphone().await;
    let status = s.text("[data-testid=status]").await;
    let line = status.trim();
    assert!(
        !line.is_empty() && !line.ends_with('·') && !line.contains("· ·"),
        "a dangling separator: {status:?}"
    );
    s.open_panel("transfer").await;
    s.select("[data-testid=xfer-to]", "phone").await;
    let phones = s
        .js(
            "return Array.prototype.map.call(document.querySelectorAll('#xfer-phones [data-phone]'), function (p) { return p.textContent; });",
            vec![],
        )
        .await;
    assert_eq!(phones, json!([]), "a queue call of no campaign: {phones}");
    s.screenshot("second-day-private-queue").await;
    s.stop().await;
}

/// The "on its way" line is drawn and in sight (not only in the page).
const IN_SIGHT: &str = "var e = document.querySelector('[data-testid=sending]'); var r = e.getBoundingClientRect();
 return !e.closest('[hidden]') && getComputedStyle(e).visibility === 'visible' && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;";

/// Item 6: while a release or a Play is on its way to a slow Neotel, the page says so where
/// the main button was; once Neotel answers it goes.
#[tokio::test]
async fn while_a_release_or_play_is_on_its_way_the_page_says_so() {
    let Some(s) = Stack::start("second-day-sending").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let call = predictive_call(&s).await;
    customer_hangs_up(&s, &call).await;
    s.sim_post(
        "/sim/faults",
        json!({"method": "UpdateContact", "latency_ms": 4000}),
    )
    .await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    s.wait_text("[data-testid=sending]", |t| t.contains("Enviando a Neotel"))
        .await;
    s.wait_js("the agent sees it", IN_SIGHT, |v| v == &json!(true))
        .await;
    s.screenshot_panel("ui-sending-620x420").await;
    s.axe("sending").await;
    s.wait_journal("UpdateContact", |e| e["status"] == 200)
        .await;
    s.softphone().await;
    s.wait_status("presione Play").await;
    s.wait_text("[data-testid=sending]", str::is_empty).await;

    s.sim_post(
        "/sim/faults",
        json!({"method": "CRM_Available", "latency_ms": 4000}),
    )
    .await;
    s.act("play").await;
    s.wait_text("[data-testid=sending]", |t| t.contains("Enviando a Neotel"))
        .await;
    s.wait_js("the agent sees it", IN_SIGHT, |v| v == &json!(true))
        .await;
    s.wait_journal("CRM_Available", |e| e["status"] == 200)
        .await;
    s.softphone().await;
    s.wait_status("Disponible").await;
    s.wait_text("[data-testid=sending]", str::is_empty).await;
    s.stop().await;
}

/// Item 6: the small things of one call. An invalid DTMF's error stands alone (not beside the
/// last digits' "enviados"), a phone invited to the conference leaves the field empty, a width
/// of −5 answers the allowed range, and a permanent NeoApi fault is said with one period.
#[tokio::test]
async fn the_small_things_of_a_call_read_right() {
    let Some(s) = Stack::start("second-day-small-things").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let call = predictive_call(&s).await;

    s.fill("[data-testid=digits]", "12").await;
    s.act("dtmf").await;
    s.wait_text("[data-testid=notice]", |t| t.contains("enviados"))
        .await;
    s.fill("[data-testid=digits]", "9x").await;
    s.act("dtmf").await;
    s.wait_text("[data-testid=error]", |t| t.contains("0 a 9"))
        .await;
    let shown = s.js(SHOWN, vec![]).await;
    assert!(
        !shown.as_str().unwrap_or_default().contains("enviados"),
        "the refused digits' error stands alone: {shown}"
    );

    s.open_panel("conference").await;
    s.act("startConference").await;
    s.wait_journal("JoinConference", |_| true).await;
    for phone in ["1140002000", "1140001000"] {
        s.softphone().await;
        s.fill("[data-testid=conf-phone]", phone).await;
        s.act("invitePhone").await;
        s.wait_journal("InviteParticipant", |e| e["params"]["EXTENSION"] == phone)
            .await;
        s.softphone().await;
        s.wait_js(
            "the invited phone leaves the field",
            "return document.querySelector('[data-testid=conf-phone]').value;",
            |v| v == &json!(""),
        )
        .await;
    }
    s.act("endConference").await;
    s.wait_journal("KickAll", |_| true).await;

    s.softphone().await;
    s.open_panel("settings").await;
    s.fill("[data-testid=set-width]", "-5").await;
    s.act("saveSettings").await;
    s.wait_text("[data-testid=error]", |t| t.contains("200 a 1920"))
        .await;
    s.open_panel("settings").await;

    if !s
        .text("[data-testid=status]")
        .await
        .contains("Fin de llamado")
    {
        customer_hangs_up(&s, &call).await;
    }
    s.softphone().await;
    s.sim_post(
        "/sim/faults",
        json!({"method": "UpdateContact", "fail_next": 1, "message": "Cannot convert 'x' to System.Int32."}),
    )
    .await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    let shown = s
        .wait_js("the refused release said", SHOWN, |t| {
            t.as_str().unwrap_or_default().contains("Cannot convert")
        })
        .await;
    s.screenshot("second-day-permanent-fault").await;
    assert!(
        !shown.as_str().unwrap_or_default().contains(".."),
        "one period: {shown}"
    );
    assert_eq!(
        s.calls_of("UpdateContact").await.len(),
        1,
        "Neotel refused it once"
    );
    s.stop().await;
}

/// Item 6: in an English session the call's Task is written in English.
#[tokio::test]
async fn an_english_session_writes_its_task_in_english() {
    let Some(s) = Stack::start("second-day-english-task").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    s.click("[data-testid=lang]").await;
    s.wait_status("Available").await;
    let delivered = s
        .sim_post(
            "/sim/dialer/deliver",
            json!({"campaign": 97, "user": "1001"}),
        )
        .await;
    let call = delivered["call_id"].to_string();
    s.softphone().await;
    s.wait_status("On a call").await;
    s.sim_post(&format!("/sim/calls/{call}/hangup"), json!({}))
        .await;
    s.softphone().await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    let task = wait_task(&s, &call, |t| !t["CallDisposition"].is_null()).await;
    let subject = task["Subject"].as_str().unwrap_or_default();
    assert!(
        !subject.contains("Llamada") && subject.to_lowercase().contains("call"),
        "the Task speaks the agent's language: {task}"
    );
    s.stop().await;
}

/// Item 6 (F-MONITOR): a supervisor's state line says whom they monitor.
#[tokio::test]
async fn a_supervisors_state_line_says_whom_they_monitor() {
    let Some(s) = Stack::start("second-day-supervisor").await else {
        return;
    };
    s.neoapi_login("1002").await;
    s.login("SIP/9000", "9000", "9000").await;
    s.open_panel("monitor").await;
    s.select("[data-testid=monitor-user]", "1002").await;
    let name = s
        .js(
            "var o = document.querySelector('[data-testid=monitor-user] option[value=\"1002\"]'); return o ? o.textContent : '';",
            vec![],
        )
        .await;
    s.act("listen").await;
    s.wait_journal("ExecuteTask03", |e| e["params"]["param2"] == "1002")
        .await;
    s.softphone().await;
    let status = s
        .wait_text("[data-testid=status]", |t| t.contains("Escuchando"))
        .await;
    let name = name.as_str().unwrap_or_default();
    let named = name
        .split(" - ")
        .nth(1)
        .map(|n| n.split(" (").next().unwrap_or(n))
        .unwrap_or("1002");
    assert!(
        status.contains("1002") || status.contains(named),
        "{status:?} names 1002 ({name})"
    );
    s.screenshot("second-day-supervisor").await;
    s.stop().await;
}

/// Item 7 (X-CAMPAIGN-ENTITY): with `campaignEntityName` = Campaign, the call's Task is related
/// to the Campaign record whose `neoCampaignId__c` holds the call's campaign (97).
#[tokio::test]
async fn with_campaign_entity_name_the_task_is_related_to_the_campaign_record() {
    let Some(s) = Stack::start("second-day-campaign-entity").await else {
        return;
    };
    s.set_setting("/neotelConfigOptions/campaignEntityName", "Campaign")
        .await;
    s.login_and_join("1001", 97).await;
    let delivered = predictive_call(&s).await;
    let call = delivered["call_id"].to_string();
    customer_hangs_up(&s, &delivered).await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    s.wait_journal("UpdateContact", |e| e["params"]["SUBCATEGORIA"] == "26")
        .await;
    let task = wait_task(&s, &call, |t| !t["CallDisposition"].is_null()).await;
    assert_eq!(task["WhatId"], CAMPAIGN_97, "{task}");
    assert_eq!(task["WhoId"], delivered["data"], "{task}");
    let tasks = tasks_of(&s, &call).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    s.console().await;
    s.standin(&format!("navigateTo('{CAMPAIGN_97}')")).await;
    s.wait_element(&format!(
        "[data-testid='task-{}']",
        task["Id"].as_str().unwrap_or_default()
    ))
    .await;
    s.screenshot("second-day-campaign-entity").await;
    s.stop().await;
}

/// Item 7: without `campaignEntityName` (the seed's `false`) no campaign record is looked up and
/// the Task is the contact's alone.
#[tokio::test]
async fn without_campaign_entity_name_the_task_names_no_campaign() {
    let Some(s) = Stack::start("second-day-no-campaign-entity").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let delivered = predictive_call(&s).await;
    let call = delivered["call_id"].to_string();
    customer_hangs_up(&s, &delivered).await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    let task = wait_task(&s, &call, |t| !t["CallDisposition"].is_null()).await;
    assert_eq!(task["WhoId"], delivered["data"], "{task}");
    assert!(task["WhatId"].is_null(), "{task}");
    let calls = s.standin("calls()").await;
    assert!(
        !calls.as_array().is_some_and(|c| c
            .iter()
            .any(|c| c["args"]["methodName"] == "getRecordByNeotelCampaign")),
        "no campaign record looked up"
    );
    s.stop().await;
}

/// Found walking the day: a reload during the wrap-up (F5 in Salesforce) keeps Salesforce's
/// records, as an org does; the disposition lands on the Task saved before it, the only one.
#[tokio::test]
async fn a_reload_in_wrap_up_files_the_disposition_on_the_calls_task() {
    let Some(s) = Stack::start("second-day-reload-wrap-up").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let delivered = predictive_call(&s).await;
    let call = delivered["call_id"].to_string();
    s.act("hangup").await;
    s.wait_status("Fin de llamado").await;
    let task = wait_task(&s, &call, |_| true).await;
    s.console().await;
    s.client.refresh().await.expect("the console reloads");
    s.open_standin().await;
    s.softphone().await;
    s.wait_status("Fin de llamado").await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    let categorized = wait_task(&s, &call, |t| !t["CallDisposition"].is_null()).await;
    assert_eq!(categorized["Id"], task["Id"], "{categorized}");
    assert_eq!(tasks_of(&s, &call).await.len(), 1);
    s.softphone().await;
    s.wait_status("presione Play").await;
    assert_eq!(
        s.text("[data-testid=notice]").await,
        "",
        "nothing is retried"
    );
    s.stop().await;
}

/// Found walking the day: a browser whose page last spoke Spanish takes over an agent who
/// works in English; its page and its utility bar's label speak English.
#[tokio::test]
async fn a_second_browser_words_the_utility_label_in_the_agents_language() {
    let Some(a) = Stack::start("second-day-label-language-a").await else {
        return;
    };
    a.login("SIP/1001", "1001", "1001").await;
    a.click("[data-testid=lang]").await;
    a.wait_status("No campaign").await;
    a.wait_standin("panel()", |p| p["label"] == "No campaign")
        .await;
    let b = a.second_profile("second-day-label-language-b").await;
    b.login("SIP/1001", "1001", "1001").await;
    b.softphone().await;
    b.wait_status("No campaign").await;
    b.wait_standin("panel()", |p| p["label"] == "No campaign")
        .await;
    b.screenshot("second-day-label-language").await;
    b.stop().await;
    a.stop().await;
}
