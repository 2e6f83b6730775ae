//! The Lightning stand-in speaks Open CTI's wire format (`opencti-evidence.md` §3, §4): scripts
//! call `sforce.opencti.*` inside the softphone frame, as the page does, and the scenarios assert
//! on what the console received (`window.standin.calls()`, the raw messages) and on the raw
//! replies the frame got. Each assertion names the field it pins, so a regression in the
//! library or the host fails here before it can reach the page.

mod browser;

use browser::Stack;
use serde_json::{Value, json};

/// Calls `sforce.opencti.{method}` (dotted for `hvs.*`) in the current frame with `args` plus a
/// callback (and a no-op listener when `listener`); answers `{response}` once the callback runs,
/// or `{thrown}` when the call throws.
const CALL: &str = r"
var done = arguments[arguments.length - 1];
var path = arguments[0].split('.');
var owner = window.sforce.opencti;
for (var i = 0; i < path.length - 1; i++) { owner = owner[path[i]]; }
var full = Object.assign({}, arguments[1], { callback: function (r) { done({ response: JSON.parse(JSON.stringify(r)) }); } });
if (arguments[2]) { full.listener = function () {}; }
try { owner[path[path.length - 1]](full); } catch (e) { done({ thrown: String(e && e.message || e) }); }
";

/// Records, in the frame, every message that reaches it from anywhere, in order.
const CAPTURE: &str = r"
if (!window.__wire) {
  window.__wire = [];
  window.addEventListener('message', function (e) {
    window.__wire.push({ origin: e.origin, data: JSON.parse(JSON.stringify(e.data === undefined ? null : e.data)) });
  });
}
";

/// The fields of a request, and of a reply, as §3 gives them.
const REQUEST_FIELDS: [&str; 7] = [
    "apiType",
    "apiVersion",
    "args",
    "callId",
    "isCallbackRegistered",
    "isListenerRegistered",
    "methodName",
];
const REPLY_FIELDS: [&str; 7] = [
    "apiType",
    "apiVersion",
    "callId",
    "methodName",
    "response",
    "shouldExecuteCallback",
    "shouldExecuteListener",
];
const RESPONSE_FIELDS: [&str; 3] = ["errors", "returnValue", "success"];

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("an object, not {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

fn sorted(fields: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    k.sort();
    k
}

/// Starts the stack and waits until the softphone frame is quiet: Open CTI loaded, its two
/// listeners registered, the login form shown (the signed-out calls made). Ends in the frame,
/// with the capture installed and every earlier message of the frame received by the console
/// (messages from one frame arrive in order, so one answered call is a barrier).
async fn quiet(name: &str) -> Option<Stack> {
    let s = Stack::start(name).await?;
    s.wait_standin("calls().map(function (c) { return c.methodName; })", |c| {
        let c = c.as_array().cloned().unwrap_or_default();
        c.contains(&json!("onClickToDial")) && c.contains(&json!("onNavigationChange"))
    })
    .await;
    s.softphone().await;
    s.wait_js(
        "the signed-out softphone",
        "return !document.getElementById('login').hidden && !!(window.sforce && window.sforce.opencti);",
        |v| v == &json!(true),
    )
    .await;
    s.js(CAPTURE, vec![]).await;
    barrier(&s).await;
    Some(s)
}

/// One answered call from the frame: everything the frame posted before has reached the console,
/// and everything the console sent before it has reached the frame. Stays in the frame.
async fn barrier(s: &Stack) {
    let r = call(s, "isSoftphonePanelVisible", json!({}), false).await;
    assert_eq!(r["response"]["success"], json!(true), "barrier: {r}");
}

/// Runs [`CALL`] in the current frame.
async fn call(s: &Stack, method: &str, args: Value, listener: bool) -> Value {
    s.client
        .execute_async(CALL, vec![json!(method), args, json!(listener)])
        .await
        .unwrap_or_else(|e| panic!("sforce.opencti.{method} got no callback: {e}"))
}

/// The response of a call that must not throw.
async fn respond(s: &Stack, method: &str, args: Value) -> Value {
    let r = call(s, method, args.clone(), false).await;
    assert!(
        r.get("thrown").is_none(),
        "{method}({args}) threw: {}",
        r["thrown"]
    );
    r["response"].clone()
}

/// How many calls the console has received; `since(mark)` reads the ones after it. Both end in
/// the frame.
async fn mark(s: &Stack) -> u64 {
    let n = s.standin("calls().length").await.as_u64().expect("a count");
    s.softphone().await;
    n
}

async fn since(s: &Stack, mark: u64) -> Vec<Value> {
    let calls = s.standin(&format!("calls().slice({mark})")).await;
    s.softphone().await;
    calls.as_array().cloned().unwrap_or_default()
}

/// The messages the frame received (in the frame).
async fn wire(s: &Stack) -> Vec<Value> {
    s.js("return window.__wire;", vec![])
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A Contact whose phone no other record shares: its Id and the phone's digits.
async fn contact(s: &Stack) -> (String, String) {
    let records = s.standin("records()").await;
    s.softphone().await;
    let records = records.as_array().cloned().unwrap_or_default();
    let digits = |v: &Value| {
        v.as_str()
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
    };
    let contacts: Vec<&Value> = records.iter().filter(|r| r["type"] == "Contact").collect();
    let unique = contacts
        .iter()
        .find(|c| {
            let phone = digits(&c["Phone"]);
            !phone.is_empty()
                && records
                    .iter()
                    .filter(|r| {
                        ["Phone", "MobilePhone", "HomePhone", "OtherPhone"]
                            .iter()
                            .any(|f| digits(&r[*f]) == phone)
                    })
                    .count()
                    == 1
        })
        .expect("a Contact with a phone of its own");
    (
        unique["Id"].as_str().expect("an Id").to_owned(),
        digits(&unique["Phone"]),
    )
}

/// One call per method of §4 with the arguments a softphone passes (and one more the library
/// must not forward), and the `args` §3 says reach Salesforce.
fn table(record: &str, phone: &str) -> Vec<(&'static str, Value, bool, Value)> {
    vec![
        ("enableClickToDial", json!({}), false, json!({})),
        ("disableClickToDial", json!({}), false, json!({})),
        ("refreshView", json!({}), false, json!({})),
        ("notifyInitializationComplete", json!({}), false, json!({})),
        ("getCallCenterSettings", json!({}), false, json!({})),
        ("getSoftphoneLayout", json!({}), false, json!({})),
        ("isSoftphonePanelVisible", json!({}), false, json!({})),
        ("onClickToDial", json!({}), true, json!({})),
        ("onNavigationChange", json!({}), true, json!({})),
        ("hvs.onWorkStart", json!({}), true, json!({})),
        (
            "setSoftphonePanelVisibility",
            json!({"visible": true, "extra": 1}),
            false,
            json!({"visible": true}),
        ),
        (
            "screenPop",
            json!({"type": "sobject", "params": {"recordId": record}, "defaultFieldValues": {"LastName": "dropped"}}),
            false,
            json!({"type": "sobject", "params": {"recordId": record}}),
        ),
        ("getAppViewInfo", json!({}), false, json!({})),
        (
            "searchAndScreenPop",
            json!({"searchParams": phone, "callType": "inbound", "queryParams": "q=1",
                   "defaultFieldValues": {"Phone": phone}, "deferred": true,
                   "params": {"FLOW": {"flowArgs": []}}, "extra": 1}),
            false,
            json!({"searchParams": phone, "callType": "inbound", "queryParams": "q=1",
                   "defaultFieldValues": {"Phone": phone}, "deferred": true,
                   "params": {"FLOW": {"flowArgs": []}}}),
        ),
        (
            "saveLog",
            json!({"value": {"entityApiName": "Task", "WhoId": record, "Subject": "Llamada"}}),
            false,
            json!({"object": {"entityApiName": "Task", "WhoId": record, "Subject": "Llamada"}}),
        ),
        (
            "setSoftphoneItemLabel",
            json!({"label": "En llamada"}),
            false,
            json!({"label": "En llamada"}),
        ),
        (
            "setSoftphonePanelLabel",
            json!({"label": "Neotel"}),
            false,
            json!({"label": "Neotel"}),
        ),
        (
            "setSoftphoneItemIcon",
            json!({"key": "call"}),
            false,
            json!({"key": "call"}),
        ),
        (
            "setSoftphonePanelIcon",
            json!({"key": "call"}),
            false,
            json!({"key": "call"}),
        ),
        (
            "setSoftphonePanelHeight",
            json!({"heightPX": 420}),
            false,
            json!({"heightPX": 420}),
        ),
        (
            "setSoftphonePanelWidth",
            json!({"widthPX": 320}),
            false,
            json!({"widthPX": 320}),
        ),
        (
            "runApex",
            json!({"apexClass": "NeotelDataRetrieval", "methodName": "getContactById", "methodParams": format!("Id={record}")}),
            false,
            json!({"apexClass": "NeotelDataRetrieval", "methodName": "getContactById", "methodParams": format!("Id={record}")}),
        ),
        (
            "publish",
            json!({"channelName": "Neotel__c", "message": {"n": 1}}),
            false,
            json!({"eventName": "Neotel__c", "message": {"n": 1}}),
        ),
        (
            "hvs.completeWork",
            json!({"workId": "0ZsNONE", "attributes": {"disposition": "x"}}),
            false,
            json!({"workId": "0ZsNONE", "attributes": {"disposition": "x"}}),
        ),
    ]
}

/// The name a method has on the wire: the Sales Engagement ones drop `hvs.`.
fn wire_name(method: &str) -> &str {
    method.strip_prefix("hvs.").unwrap_or(method)
}

/// §3's `saveLog {object: value}`: the value goes up as `object`, the host creates the Task and
/// answers its Id; an update by Id answers the same Id; a field error comes back in `details`.
#[tokio::test]
async fn save_log_posts_object_and_the_task_exists_with_the_returned_id() {
    let Some(s) = quiet("wire-savelog").await else {
        return;
    };
    let (contact, _) = contact(&s).await;
    let from = mark(&s).await;
    let value = json!({"entityApiName": "Task", "WhoId": contact, "Subject": "Llamada saliente",
                       "CallType": "Outbound", "Status": "Completed", "TaskSubtype": "Call"});
    let created = respond(&s, "saveLog", json!({"value": value})).await;
    assert_eq!(
        keys(&created),
        sorted(&RESPONSE_FIELDS),
        "saveLog's response: {created}"
    );
    assert_eq!(created["success"], json!(true), "{created}");
    assert_eq!(created["errors"], Value::Null, "errors is null on success");
    let id = created["returnValue"]
        .as_str()
        .unwrap_or_else(|| panic!("saveLog returns the new Id: {created}"))
        .to_owned();
    assert!(id.starts_with("00T"), "a Task Id: {id}");

    let posted = since(&s, from).await;
    let save = posted
        .iter()
        .find(|c| c["methodName"] == "saveLog")
        .expect("the console got saveLog");
    assert_eq!(
        save["args"],
        json!({"object": value}),
        "the wire carries {{object: value}}"
    );

    let tasks = s.standin("tasks()").await;
    s.softphone().await;
    let task = tasks
        .as_array()
        .and_then(|t| t.iter().find(|t| t["Id"] == json!(id)))
        .unwrap_or_else(|| panic!("Task {id} is in the org: {tasks}"));
    assert_eq!(task["Subject"], "Llamada saliente");
    assert_eq!(task["WhoId"], json!(contact));
    assert!(
        task.get("entityApiName").is_none(),
        "entityApiName says what to create, it is not a field: {task}"
    );

    let updated = respond(
        &s,
        "saveLog",
        json!({"value": {"Id": id, "CallDisposition": "Venta"}}),
    )
    .await;
    assert_eq!(
        updated,
        json!({"success": true, "returnValue": id, "errors": null})
    );
    let tasks = s.standin("tasks()").await;
    s.softphone().await;
    let tasks = tasks.as_array().cloned().unwrap_or_default();
    assert_eq!(tasks.len(), 1, "an update creates nothing: {tasks:?}");
    assert_eq!(tasks[0]["CallDisposition"], "Venta");

    let failed = respond(
        &s,
        "saveLog",
        json!({"value": {"Id": "00TSI0000000000999AAA", "Subject": "x"}}),
    )
    .await;
    assert_eq!(failed["success"], json!(false), "{failed}");
    assert_eq!(failed["returnValue"], Value::Null, "no Id on failure");
    let errors = failed["errors"].as_array().expect("errors is an array");
    assert_eq!(errors.len(), 1, "{failed}");
    assert_eq!(errors[0]["code"], "GENERIC_ERROR");
    let detail = &errors[0]["details"][0]["message"];
    assert!(
        detail
            .as_str()
            .is_some_and(|m| m.contains("00TSI0000000000999AAA")),
        "saveLog's field errors are in details: {failed}"
    );
    s.stop().await;
}

/// Every method's request has exactly §3's fields, and its `args` exactly what §3 lists: the
/// library forwards the documented keys only (a top-level `defaultFieldValues` of `screenPop`
/// stays behind), under their wire names; listener registrations say so; callIds count up.
#[tokio::test]
async fn every_method_posts_exactly_the_documented_args() {
    let Some(s) = quiet("wire-args").await else {
        return;
    };
    let (record, phone) = contact(&s).await;
    let from = mark(&s).await;
    let table = table(&record, &phone);
    for (method, args, listener, _) in &table {
        let r = call(&s, method, args.clone(), *listener).await;
        assert!(r.get("thrown").is_none(), "{method} threw: {r}");
    }
    let sub = call(&s, "subscribe", json!({"channelName": "Neotel__c"}), true).await;
    let handle = sub["response"]["subscription"].clone();
    assert!(
        handle.is_object(),
        "subscribe's callback gets the handle: {sub}"
    );
    let unsub = call(&s, "unsubscribe", json!({"subscription": handle}), false).await;
    assert_eq!(unsub["response"]["success"], json!(true), "{unsub}");

    let posted = since(&s, from).await;
    let mut expected: Vec<(String, Value, bool)> = table
        .iter()
        .map(|(m, _, l, wire)| (wire_name(m).to_owned(), wire.clone(), *l))
        .collect();
    expected.push((
        "subscribe".into(),
        json!({"eventName": "Neotel__c", "subscription": handle}),
        true,
    ));
    expected.push((
        "unsubscribe".into(),
        json!({"eventName": "Neotel__c"}),
        false,
    ));
    assert_eq!(
        posted.len(),
        expected.len(),
        "one message per call: {posted:?}"
    );
    let first = posted[0]["message"]["callId"]
        .as_u64()
        .expect("a numeric callId");
    for (n, (got, (name, args, listener))) in posted.iter().zip(&expected).enumerate() {
        let message = &got["message"];
        assert_eq!(
            keys(message),
            sorted(&REQUEST_FIELDS),
            "{name}: §3's fields, no more: {message}"
        );
        assert_eq!(message["methodName"], json!(name), "{message}");
        assert_eq!(&message["args"], args, "{name} forwards exactly {args}");
        assert_eq!(message["apiVersion"], json!(62), "{name}: {message}");
        assert_eq!(message["apiType"], "opencti", "{name}: {message}");
        assert_eq!(
            message["isCallbackRegistered"],
            json!(true),
            "{name}: {message}"
        );
        assert_eq!(
            message["isListenerRegistered"],
            json!(listener),
            "{name}: a listener registration says so: {message}"
        );
        assert_eq!(
            message["callId"],
            json!(first + n as u64),
            "{name}: callIds count up one by one"
        );
    }
    s.stop().await;
}

/// Every reply has exactly §3's fields and echoes the request's methodName and callId; the
/// response is `{success, returnValue, errors}` with errors null on success, and returnValue
/// what §4 says each method returns (null for the void ones).
#[tokio::test]
async fn replies_carry_exactly_the_documented_fields_and_return_values() {
    let Some(s) = quiet("wire-replies").await else {
        return;
    };
    let (record, phone) = contact(&s).await;
    s.console().await;
    let console_origin = s.js("return location.origin;", vec![]).await;
    s.softphone().await;
    let from = mark(&s).await;
    let skip = wire(&s).await.len();
    let table = table(&record, &phone);
    let mut responses = Vec::new();
    for (method, args, listener, _) in &table {
        let r = call(&s, method, args.clone(), *listener).await;
        responses.push(r["response"].clone());
    }
    let posted = since(&s, from).await;
    assert_eq!(
        posted.len(),
        table.len(),
        "one request per call: {posted:?}"
    );
    let replies: Vec<Value> = wire(&s).await.into_iter().skip(skip).collect();
    for (((method, ..), response), request) in table.iter().zip(&responses).zip(&posted) {
        let name = wire_name(method);
        let reply = replies
            .iter()
            .find(|r| {
                r["data"]["methodName"] == name
                    && r["data"]["callId"] == request["message"]["callId"]
            })
            .unwrap_or_else(|| panic!("{name}: a reply echoing methodName and callId"));
        assert_eq!(reply["origin"], console_origin, "{name}: from the console");
        let data = &reply["data"];
        assert_eq!(
            keys(data),
            sorted(&REPLY_FIELDS),
            "{name}: §3's fields: {data}"
        );
        assert_eq!(data["apiVersion"], json!(62), "{name}");
        assert_eq!(data["apiType"], "opencti", "{name}");
        assert_eq!(data["shouldExecuteCallback"], json!(true), "{name}");
        assert_eq!(data["shouldExecuteListener"], json!(false), "{name}");
        assert_eq!(&data["response"], response, "{name}: the callback got it");
        assert_eq!(
            keys(response),
            sorted(&RESPONSE_FIELDS),
            "{name}: {response}"
        );
        if *method == "hvs.completeWork" {
            assert_eq!(response["success"], json!(false), "no such work item");
            continue;
        }
        assert_eq!(response["success"], json!(true), "{name}: {response}");
        assert_eq!(response["errors"], Value::Null, "{name}: errors null");
        let value = &response["returnValue"];
        match *method {
            "getCallCenterSettings" => {
                assert!(
                    value["/reqGeneralInfo/reqInternalName"].is_string(),
                    "the settings map: {value}"
                );
                assert!(
                    value
                        .as_object()
                        .is_some_and(|m| m.values().all(Value::is_string)),
                    "a flat map of strings"
                );
            }
            "getSoftphoneLayout" => {
                assert_eq!(keys(value), ["Inbound", "Internal", "Outbound"], "{value}");
            }
            "isSoftphonePanelVisible" => {
                assert_eq!(keys(value), ["visible"], "{value}");
                assert!(value["visible"].is_boolean(), "{value}");
            }
            "getAppViewInfo" => {
                assert_eq!(
                    keys(value),
                    sorted(&["url", "recordId", "recordName", "objectType"]),
                    "{value}"
                );
                assert_eq!(value["recordId"], json!(record), "after the pop: {value}");
                assert_eq!(value["objectType"], "Contact");
            }
            "searchAndScreenPop" => {
                assert_eq!(
                    keys(value),
                    sorted(&[&record, "SCREEN_POP_DATA"]),
                    "keyed by record Id: {value}"
                );
                let entry = &value[&record];
                assert_eq!(entry["Id"], json!(record));
                assert_eq!(entry["RecordType"], "Contact");
                assert!(entry["Name"].is_string() && entry["LastModifiedDate"].is_string());
                assert_eq!(
                    value["SCREEN_POP_DATA"],
                    json!({"type": "sobject", "params": {"recordId": record}})
                );
            }
            "saveLog" => assert!(value.as_str().is_some_and(|id| id.starts_with("00T"))),
            "runApex" => {
                assert_eq!(keys(value), ["runApex"], "{value}");
                let rows: Value = serde_json::from_str(value["runApex"].as_str().expect("JSON"))
                    .expect("the Apex method's JSON");
                assert_eq!(rows[0]["Id"], json!(record), "{rows}");
            }
            _ => assert_eq!(value, &Value::Null, "{name} is void: returnValue null"),
        }
    }

    // A deferred search with no match hands back the new-record pop, its values inside params;
    // screenPop forwards params only, so a top-level defaultFieldValues never reaches the modal.
    let none = respond(
        &s,
        "searchAndScreenPop",
        json!({"searchParams": "5550001111", "callType": "inbound", "deferred": true,
               "defaultFieldValues": {"LastName": "Nuevo", "Phone": "5550001111"}}),
    )
    .await;
    let data = none["returnValue"]["SCREEN_POP_DATA"].clone();
    assert_eq!(
        none["returnValue"],
        json!({"SCREEN_POP_DATA": {"type": "newRecord", "params": {"entityName": "Contact",
              "defaultFieldValues": {"LastName": "Nuevo", "Phone": "5550001111"}}}}),
        "no match: only SCREEN_POP_DATA, the values inside params"
    );
    let mut pop = data.clone();
    pop["defaultFieldValues"] = json!({"Title": "dropped"});
    let popped = respond(&s, "screenPop", pop).await;
    assert_eq!(
        popped,
        json!({"success": true, "returnValue": null, "errors": null})
    );
    let modal = s.standin("modal()").await;
    s.softphone().await;
    assert_eq!(modal["type"], "Contact", "{modal}");
    assert_eq!(modal["values"]["LastName"], "Nuevo", "{modal}");
    assert!(
        modal["values"].get("Title").is_none(),
        "a top-level defaultFieldValues is not forwarded: {modal}"
    );
    s.stop().await;
}

/// §3's client-side checks: each bad argument throws at once, and nothing reaches Salesforce.
/// Checks §3 leaves to Salesforce (a missing callType) do not throw.
#[tokio::test]
async fn bad_arguments_throw_synchronously_and_post_nothing() {
    let Some(s) = quiet("wire-validation").await else {
        return;
    };
    let from = mark(&s).await;
    let outcome = s
        .js(
            r"
var o = window.sforce.opencti, f = function () {};
var get = function (name) { var p = name.split('.'); return p.length > 1 ? o[p[0]][p[1]] : o[name]; };
var optional = ['enableClickToDial', 'disableClickToDial', 'refreshView', 'notifyInitializationComplete'];
var others = ['getAppViewInfo', 'getCallCenterSettings', 'getSoftphoneLayout', 'isSoftphonePanelVisible',
  'onClickToDial', 'onNavigationChange', 'runApex', 'saveLog', 'screenPop', 'searchAndScreenPop',
  'setSoftphoneItemIcon', 'setSoftphoneItemLabel', 'setSoftphonePanelHeight', 'setSoftphonePanelIcon',
  'setSoftphonePanelLabel', 'setSoftphonePanelVisibility', 'setSoftphonePanelWidth',
  'subscribe', 'unsubscribe', 'publish', 'hvs.onWorkStart', 'hvs.completeWork'];
var cases = [];
var add = function (label, thunk) { cases.push([label, thunk]); };
others.forEach(function (m) {
  add(m + '()', function () { get(m)(); });
  add(m + '({})', function () { get(m)({}); });
  add(m + '(\'x\')', function () { get(m)('x'); });
  add(m + '([])', function () { get(m)([]); });
  add(m + '(null)', function () { get(m)(null); });
  add(m + '(a, b)', function () { get(m)({ callback: f, listener: f }, {}); });
});
optional.forEach(function (m) {
  add(m + '(\'x\')', function () { get(m)('x'); });
  add(m + '(a, b)', function () { get(m)({ callback: f }, {}); });
  add(m + '({callback: 1})', function () { get(m)({ callback: 1 }); });
});
['getCallCenterSettings', 'getSoftphoneLayout', 'getAppViewInfo', 'isSoftphonePanelVisible'].forEach(function (m) {
  add(m + ' without callback', function () { get(m)({ label: 'x' }); });
  add(m + ' with a callback that is not a function', function () { get(m)({ callback: 'x' }); });
});
['onClickToDial', 'onNavigationChange', 'hvs.onWorkStart'].forEach(function (m) {
  add(m + ' with callback instead of listener', function () { get(m)({ callback: f }); });
});
add('subscribe with callback instead of listener', function () { o.subscribe({ channelName: 'Neotel__c', callback: f }); });
add('subscribe without channelName', function () { o.subscribe({ listener: f, callback: f }); });
add('subscribe with a numeric channelName', function () { o.subscribe({ channelName: 5, listener: f }); });
add('saveLog without value', function () { o.saveLog({ callback: f }); });
add('saveLog with a string value', function () { o.saveLog({ value: 'x', callback: f }); });
add('saveLog with a null value', function () { o.saveLog({ value: null }); });
add('publish without message', function () { o.publish({ channelName: 'Neotel__c', callback: f }); });
add('publish without channelName', function () { o.publish({ message: { a: 1 } }); });
add('publish with a function inside', function () { o.publish({ channelName: 'Neotel__c', message: { a: f } }); });
add('publish with a cycle', function () { var m = {}; m.self = m; o.publish({ channelName: 'Neotel__c', message: m }); });
add('publish with a string message', function () { o.publish({ channelName: 'Neotel__c', message: 'x' }); });
add('unsubscribe with a string', function () { o.unsubscribe({ subscription: 'x' }); });
add('unsubscribe with an empty handle', function () { o.unsubscribe({ subscription: {} }); });
add('screenPop with a callback that is not a function', function () { o.screenPop({ type: 'url', params: { url: '/x' }, callback: 'x' }); });
var silent = [];
cases.forEach(function (c) {
  try { c[1](); silent.push(c[0]); } catch (e) { if (!(e instanceof Error)) { silent.push(c[0] + ' (threw a non-Error)'); } }
});
var leftToSalesforce = [];
try { o.searchAndScreenPop({ searchParams: '1144', callback: f }); } catch (e) { leftToSalesforce.push('searchAndScreenPop without callType'); }
try { o.setSoftphonePanelVisibility({ visible: 'yes', callback: f }); } catch (e) { leftToSalesforce.push('setSoftphonePanelVisibility with a string'); }
return { cases: cases.length, silent: silent, leftToSalesforce: leftToSalesforce };
",
            vec![],
        )
        .await;
    assert!(
        outcome["cases"].as_u64().is_some_and(|n| n > 150),
        "{outcome}"
    );
    assert_eq!(outcome["silent"], json!([]), "these did not throw");
    assert_eq!(
        outcome["leftToSalesforce"],
        json!([]),
        "§3 leaves these to Salesforce"
    );
    barrier(&s).await;
    let posted: Vec<Value> = since(&s, from)
        .await
        .iter()
        .map(|c| c["methodName"].clone())
        .collect();
    assert_eq!(
        posted,
        json!([
            "searchAndScreenPop",
            "setSoftphonePanelVisibility",
            "isSoftphonePanelVisible"
        ])
        .as_array()
        .cloned()
        .unwrap_or_default(),
        "a call that throws posts nothing"
    );
    s.stop().await;
}

/// Listener events carry the payload itself in `response`, once per frame however many
/// listeners it holds: click-to-dial, navigation, Sales Engagement work, Lightning messages
/// (which stop after unsubscribe).
#[tokio::test]
async fn listener_events_arrive_with_the_payload_once_per_listener() {
    let Some(s) = quiet("wire-listeners").await else {
        return;
    };
    let (record, _) = contact(&s).await;
    s.js(
        r"
window.__heard = { click: [], click2: [], nav: [], work: [], lms: [] };
var keep = function (list) { return function (p) { window.__heard[list].push(JSON.parse(JSON.stringify(p))); }; };
var o = window.sforce.opencti;
o.onClickToDial({ listener: keep('click') });
o.onClickToDial({ listener: keep('click2') });
o.onNavigationChange({ listener: keep('nav') });
o.hvs.onWorkStart({ listener: keep('work') });
o.subscribe({ channelName: 'Neotel__c', listener: keep('lms'), callback: function (r) { window.__subscription = r.subscription; } });
",
        vec![],
    )
    .await;
    barrier(&s).await;
    let registrations = s
        .standin("calls().filter(function (c) { return c.message.isListenerRegistered; }).map(function (c) { return c.methodName; })")
        .await;
    for m in [
        "onClickToDial",
        "onNavigationChange",
        "onWorkStart",
        "subscribe",
    ] {
        assert!(
            registrations
                .as_array()
                .is_some_and(|r| r.contains(&json!(m))),
            "{m} registers with isListenerRegistered: true: {registrations}"
        );
    }
    let skip = {
        s.softphone().await;
        wire(&s).await.len()
    };

    // Click-to-dial from the console: both listeners, once each, with the documented payload.
    s.console().await;
    s.js(
        "window.standin.fireClickToDial('1144455556', arguments[0]);",
        vec![json!(record)],
    )
    .await;
    s.softphone().await;
    let heard = s
        .wait_js(
            "the click-to-dial payload",
            "return window.__heard.click.length && window.__heard.click2.length ? window.__heard : null;",
            |v| !v.is_null(),
        )
        .await;
    let click = &heard["click"][0];
    assert_eq!(
        keys(click),
        sorted(&["number", "recordId", "recordName", "objectType"]),
        "{click}"
    );
    assert_eq!(click["number"], "1144455556");
    assert_eq!(click["recordId"], json!(record));
    assert_eq!(click["objectType"], "Contact");
    assert_eq!(
        heard["click2"][0], *click,
        "every listener gets the payload"
    );

    // Navigation, a Sales Engagement work item, a message published by a Lightning component.
    s.console().await;
    let work_id = s
        .js(
            "window.standin.navigateTo(arguments[0]); window.standin.publish('Neotel__c', {from: 'lwc', n: 1}); return window.standin.startWork('1144455556');",
            vec![json!(record)],
        )
        .await;
    s.softphone().await;
    let heard = s
        .wait_js(
            "navigation, work and message payloads",
            "var h = window.__heard; return h.nav.length && h.work.length && h.lms.length ? h : null;",
            |v| !v.is_null(),
        )
        .await;
    let nav = &heard["nav"][0];
    assert_eq!(
        keys(nav),
        sorted(&["url", "recordId", "recordName", "objectType"]),
        "{nav}"
    );
    assert_eq!(nav["recordId"], json!(record));
    assert!(
        nav["url"]
            .as_str()
            .is_some_and(|u| u.contains(&format!("/lightning/r/Contact/{record}/view"))),
        "{nav}"
    );
    assert_eq!(
        heard["work"][0],
        json!({"workId": work_id, "completeWorkWhen": "TaskSaved", "attributes": {"to": "1144455556"}})
    );
    assert_eq!(heard["lms"][0], json!({"from": "lwc", "n": 1}));

    let events: Vec<Value> = wire(&s)
        .await
        .into_iter()
        .skip(skip)
        .map(|m| m["data"].clone())
        .filter(|d| d["shouldExecuteListener"] == json!(true))
        .collect();
    for (method, payload) in [
        ("onClickToDial", click.clone()),
        ("onNavigationChange", nav.clone()),
        ("onWorkStart", heard["work"][0].clone()),
        ("subscribe", heard["lms"][0].clone()),
    ] {
        let got: Vec<&Value> = events
            .iter()
            .filter(|d| d["methodName"] == method)
            .collect();
        assert_eq!(got.len(), 1, "one {method} event for the frame: {events:?}");
        assert_eq!(got[0]["shouldExecuteCallback"], json!(false), "{method}");
        assert_eq!(
            got[0]["response"], payload,
            "{method}: the payload is the response"
        );
    }
    assert_eq!(
        events
            .iter()
            .find(|d| d["methodName"] == "subscribe")
            .map(|d| d["eventName"].clone()),
        Some(json!("Neotel__c")),
        "a Lightning message names its channel"
    );

    // The softphone completes the work item; a second time is refused.
    let done = respond(
        &s,
        "hvs.completeWork",
        json!({"workId": work_id, "attributes": {"disposition": "Contactado", "wasConnected": true}}),
    )
    .await;
    assert_eq!(
        done,
        json!({"success": true, "returnValue": null, "errors": null})
    );
    let again = respond(&s, "hvs.completeWork", json!({"workId": work_id})).await;
    assert_eq!(again["success"], json!(false), "{again}");
    let works = s.standin("works()").await;
    assert_eq!(
        works[0]["completed"],
        json!({"disposition": "Contactado", "wasConnected": true}),
        "{works}"
    );

    // The softphone publishes: the console sees it and the frame's own subscription hears it;
    // after unsubscribe, nothing more arrives.
    s.softphone().await;
    let published = respond(
        &s,
        "publish",
        json!({"channelName": "Neotel__c", "message": {"from": "softphone"}}),
    )
    .await;
    assert_eq!(published["success"], json!(true), "{published}");
    s.wait_js(
        "the softphone's own message",
        "return window.__heard.lms.length;",
        |v| v == &json!(2),
    )
    .await;
    let log = s.standin("published()").await;
    assert_eq!(log[1]["eventName"], "Neotel__c", "{log}");
    assert_eq!(log[1]["message"], json!({"from": "softphone"}), "{log}");
    s.softphone().await;
    let handle = s.js("return window.__subscription;", vec![]).await;
    assert_eq!(handle["eventName"], "Neotel__c", "{handle}");
    let unsubscribed = respond(&s, "unsubscribe", json!({"subscription": handle})).await;
    assert_eq!(unsubscribed["success"], json!(true), "{unsubscribed}");
    s.console().await;
    s.js(
        "window.standin.publish('Neotel__c', {after: true});",
        vec![],
    )
    .await;
    s.softphone().await;
    barrier(&s).await;
    let heard = s.js("return window.__heard;", vec![]).await;
    assert_eq!(heard["lms"].as_array().map(Vec::len), Some(2), "{heard}");
    assert_eq!(heard["click"].as_array().map(Vec::len), Some(1), "{heard}");
    assert_eq!(heard["click2"].as_array().map(Vec::len), Some(1), "{heard}");
    assert_eq!(heard["nav"].as_array().map(Vec::len), Some(1), "{heard}");
    s.stop().await;
}

/// Errors come back as `{success: false, returnValue: null, errors: [{code, description}]}`:
/// injected ones as given, and the host's own with Salesforce's codes and wording.
#[tokio::test]
async fn errors_come_back_as_an_array_of_code_and_description() {
    let Some(s) = quiet("wire-errors").await else {
        return;
    };
    let injected = json!({"code": "SOFTPHONE_CONTAINER_ERROR",
        "description": "Unable to execute sendPostMessage because the softphone container hasn't initialized yet."});
    s.console().await;
    s.js(
        "window.standin.injectError('getAppViewInfo', arguments[0]);",
        vec![injected.clone()],
    )
    .await;
    let before = s.js("return window.standin.panel();", vec![]).await;
    s.softphone().await;
    let failed = respond(&s, "getAppViewInfo", json!({})).await;
    assert_eq!(
        failed,
        json!({"success": false, "returnValue": null, "errors": [injected]})
    );
    s.console().await;
    s.js(
        "window.standin.injectError('getAppViewInfo', null);",
        vec![],
    )
    .await;
    s.softphone().await;
    let ok = respond(&s, "getAppViewInfo", json!({})).await;
    assert_eq!(ok["success"], json!(true), "cleared: {ok}");

    let cases = [
        (
            "setSoftphonePanelHeight",
            json!({"heightPX": 239}),
            "INVALID_PARAM",
            "heightPX",
        ),
        (
            "setSoftphonePanelHeight",
            json!({"heightPX": 2561}),
            "INVALID_PARAM",
            "heightPX",
        ),
        (
            "setSoftphonePanelWidth",
            json!({"widthPX": 199}),
            "INVALID_PARAM",
            "widthPX",
        ),
        (
            "setSoftphonePanelWidth",
            json!({"widthPX": 1921}),
            "INVALID_PARAM",
            "widthPX",
        ),
        (
            "setSoftphonePanelVisibility",
            json!({"visible": "yes"}),
            "INVALID_PARAM",
            "visible",
        ),
        (
            "searchAndScreenPop",
            json!({"searchParams": "1144455556"}),
            "INVALID_PARAM",
            "callType",
        ),
        (
            "screenPop",
            json!({"type": "sobject", "params": {"recordId": "003000000000000AAA"}}),
            "INVALID_PARAM",
            "recordId",
        ),
        (
            "runApex",
            json!({"apexClass": "Nope", "methodName": "x", "methodParams": "none"}),
            "SERVER_ERROR",
            "Could not load Apex class: Nope.",
        ),
        (
            "runApex",
            json!({"apexClass": "NeotelDataRetrieval", "methodName": "dropTables", "methodParams": "none"}),
            "SERVER_ERROR",
            "Could not load Apex class: NeotelDataRetrieval.",
        ),
    ];
    for (method, args, code, says) in cases {
        let r = respond(&s, method, args.clone()).await;
        assert_eq!(keys(&r), sorted(&RESPONSE_FIELDS), "{method}({args}): {r}");
        assert_eq!(r["success"], json!(false), "{method}({args}): {r}");
        assert_eq!(r["returnValue"], Value::Null, "{method}({args}): {r}");
        let errors = r["errors"].as_array().expect("an array of errors");
        assert_eq!(errors.len(), 1, "{r}");
        assert_eq!(errors[0]["code"], code, "{method}({args}): {r}");
        assert!(
            errors[0]["description"]
                .as_str()
                .is_some_and(|d| d.contains(says)),
            "{method}({args}): the description says {says}: {r}"
        );
    }
    let panel = s.standin("panel()").await;
    assert_eq!(
        (&panel["height"], &panel["width"]),
        (&before["height"], &before["width"]),
        "a refused size is not applied"
    );
    s.softphone().await;
    for (method, args) in [
        ("setSoftphonePanelHeight", json!({"heightPX": 240})),
        ("setSoftphonePanelHeight", json!({"heightPX": 2560})),
        ("setSoftphonePanelWidth", json!({"widthPX": 200})),
        ("setSoftphonePanelWidth", json!({"widthPX": 1920})),
    ] {
        let r = respond(&s, method, args.clone()).await;
        assert_eq!(
            r,
            json!({"success": true, "returnValue": null, "errors": null}),
            "{method}({args}) is in range"
        );
    }
    let panel = s.standin("panel()").await;
    assert_eq!(panel["height"], json!(2560), "{panel}");
    assert_eq!(panel["width"], json!(1920), "{panel}");
    s.stop().await;
}

/// Each side ignores what is not Open CTI of its version from the other's origin: the console
/// answers no foreign message, and the library runs no callback on a forged reply.
#[tokio::test]
async fn foreign_messages_are_ignored_on_both_sides() {
    let Some(s) = quiet("wire-foreign").await else {
        return;
    };
    let from = mark(&s).await;
    let ignored = s.standin("ignored()").await.as_u64().expect("a count");
    // From the frame: another apiType, another version, no methodName. From the console itself:
    // a well-formed request from the wrong origin.
    s.softphone().await;
    s.js(
        r"
var base = { methodName: 'getAppViewInfo', callId: 900, apiVersion: 62, apiType: 'opencti',
  isCallbackRegistered: true, isListenerRegistered: false, args: {} };
var origin = new URLSearchParams(location.search).get('sfdcIframeOrigin');
parent.postMessage(Object.assign({}, base, { apiType: 'other' }), origin);
parent.postMessage(Object.assign({}, base, { apiVersion: 61 }), origin);
parent.postMessage(Object.assign({}, base, { methodName: undefined }), origin);
",
        vec![],
    )
    .await;
    s.console().await;
    s.js(
        "window.postMessage({ methodName: 'getAppViewInfo', callId: 901, apiVersion: 62, apiType: 'opencti', isCallbackRegistered: true, isListenerRegistered: false, args: {} }, '*');",
        vec![],
    )
    .await;
    s.wait_standin("ignored()", |n| n.as_u64() >= Some(ignored + 4))
        .await;
    s.softphone().await;
    let skip = wire(&s).await.len();
    barrier(&s).await;
    let posted = since(&s, from).await;
    assert_eq!(
        posted
            .iter()
            .map(|c| c["methodName"].clone())
            .collect::<Vec<_>>(),
        vec![json!("isSoftphonePanelVisible")],
        "foreign messages are not calls"
    );
    let replies: Vec<Value> = wire(&s).await.into_iter().skip(skip).collect();
    assert!(
        replies.iter().all(|r| r["data"]["callId"] != json!(900)),
        "no reply to a foreign message: {replies:?}"
    );

    // The library: a pending getAppViewInfo, held by the console; forged replies with another
    // version, another apiType, or from the frame's own origin run no callback.
    s.console().await;
    s.js("window.standin.hold('getAppViewInfo');", vec![]).await;
    s.softphone().await;
    s.js(
        "window.__views = []; window.sforce.opencti.getAppViewInfo({ callback: function (r) { window.__views.push(JSON.parse(JSON.stringify(r))); } });",
        vec![],
    )
    .await;
    let pending = s
        .wait_standin(
            "calls().filter(function (c) { return c.methodName === 'getAppViewInfo'; })",
            |c| c.as_array().is_some_and(|c| !c.is_empty()),
        )
        .await;
    let call_id = pending[0]["message"]["callId"].clone();
    let forged = json!({"methodName": "getAppViewInfo", "callId": call_id, "apiVersion": 62,
        "apiType": "opencti", "shouldExecuteCallback": true, "shouldExecuteListener": false,
        "response": {"success": true, "returnValue": "forged", "errors": null}, "forged": true});
    s.js(
        r"
var frame = document.querySelector('[data-testid=softphone-frame-0]');
var target = new URL(frame.src).origin;
frame.contentWindow.postMessage(Object.assign({}, arguments[0], { apiVersion: 61 }), target);
frame.contentWindow.postMessage(Object.assign({}, arguments[0], { apiType: 'opencti-x' }), target);
",
        vec![forged.clone()],
    )
    .await;
    s.softphone().await;
    s.js("window.postMessage(arguments[0], '*');", vec![forged])
        .await;
    s.wait_js(
        "the three forged replies in the frame",
        "return window.__wire.filter(function (m) { return m.data && m.data.forged; }).length;",
        |v| v == &json!(3),
    )
    .await;
    let views = s.js("return window.__views;", vec![]).await;
    assert_eq!(views, json!([]), "a forged reply runs no callback");
    s.console().await;
    assert_eq!(
        s.js("return window.standin.release('getAppViewInfo');", vec![])
            .await,
        json!(1)
    );
    s.softphone().await;
    let views = s
        .wait_js(
            "the real reply",
            "return window.__views.length ? window.__views : null;",
            |v| !v.is_null(),
        )
        .await;
    barrier(&s).await;
    assert_eq!(
        s.js("return window.__views;", vec![]).await,
        views,
        "the callback runs once"
    );
    assert_eq!(views.as_array().map(Vec::len), Some(1), "{views}");
    assert_eq!(views[0]["success"], json!(true), "{views}");
    assert!(views[0]["returnValue"]["url"].is_string(), "{views}");
    s.stop().await;
}
