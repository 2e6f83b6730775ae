//! Browser end-to-end scenarios: a person's clicks in the softphone inside the Lightning
//! stand-in, asserted on what the stand-in shows and on what the simulator's NeoApi journal got.

mod browser;

use browser::Stack;
use serde_json::json;

/// W-PREDICTIVE, F-RELEASE, W-ACTIVITY, F-PLAY: the demo's main path.
#[tokio::test]
async fn predictive_call_pops_the_record_and_the_disposition_reaches_both_sides() {
    let Some(s) = Stack::start("predictive").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let delivered = s
        .sim_post(
            "/sim/dialer/deliver",
            json!({"campaign": 97, "user": "1001"}),
        )
        .await;
    let record = delivered["data"]
        .as_str()
        .expect("the contact's key")
        .to_owned();

    // The agent's phone answers; the record pops in the console.
    let pop = s
        .wait_standin("lastPop()", |p| p["params"]["recordId"] == json!(record))
        .await;
    assert_eq!(pop["type"], "sobject", "{pop}");
    s.softphone().await;
    s.wait_status("En gestión").await;
    s.screenshot("predictive-popped").await;

    // The customer hangs up; the agent categorizes as "Venta concretada" and presses Play.
    s.sim_post(
        &format!("/sim/calls/{}/hangup", delivered["call_id"]),
        json!({}),
    )
    .await;
    s.softphone().await;
    s.wait_status("Fin de llamado").await;
    s.select("[data-testid=category]", "26").await;
    s.fill("[data-testid=notes]", "Vendido plan anual").await;
    s.act("categorize").await;
    let update = s
        .wait_journal("UpdateContact", |e| e["params"]["SUBCATEGORIA"] == "26")
        .await;
    assert_eq!(update["params"]["USUARIO"], "1001", "{update}");
    let tasks = s
        .wait_standin("tasks()", |t| {
            t.as_array().is_some_and(|t| {
                t.iter().any(|t| {
                    t["CallDisposition"]
                        .as_str()
                        .is_some_and(|d| d.contains("Venta concretada"))
                })
            })
        })
        .await;
    let tasks = tasks.as_array().expect("tasks");
    assert_eq!(tasks.len(), 1, "one Task per call: {tasks:?}");
    assert_eq!(tasks[0]["WhoId"], json!(record));
    s.softphone().await;
    s.wait_status("presione Play").await;
    s.act("play").await;
    s.wait_status("Disponible").await;
    s.wait_journal("CRM_Available", |_| true).await;
    let journal = s.journal().await;
    let at = |m: &str| journal.iter().rposition(|e| e["method"] == m);
    assert!(
        at("UpdateContact") < at("CRM_Available"),
        "UpdateContact comes before CRM_Available"
    );
    s.console().await;
    s.wait_element("[data-testid=timeline]").await;
    s.screenshot("predictive-categorized").await;
    s.stop().await;
}
