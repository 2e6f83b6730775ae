//! A Salesforce Voice connector page and its Lightning components, played over the WebSocket:
//! what the base is told to publish is kept, the components answer the server's roll call and
//! the core's requests (the dataset's María González is the one match).

use std::time::Duration;

use serde_json::{Value, json};

use super::{TestServer, Ws};

/// Omni-Channel's available status in these tests' configuration.
pub const AVAILABLE: &str = "0N5000000000001";

/// The connector page and its components: everything it was told, in order.
pub struct Page {
    pub ws: Ws,
    /// `voicePublish`es: (event type, payload).
    pub published: Vec<(String, Value)>,
    /// The last active calls.
    pub calls: Vec<Value>,
    next_id: u64,
    /// `voiceResult`s by id.
    pub results: Vec<Value>,
    /// The core's requests the components answered.
    pub requests: Vec<Value>,
    /// Neotel's Lightning components are on the agent's Salesforce pages (they answer the
    /// server's roll call and its requests).
    pub components: bool,
}

impl Page {
    pub async fn login(s: &TestServer, user: &str) -> Self {
        Self::login_with(s, user, true).await
    }

    /// A page whose Salesforce has (or lacks) Neotel's Lightning components.
    pub async fn login_with(s: &TestServer, user: &str, components: bool) -> Self {
        let mut ws = s.ws().await;
        ws.send(
            json!({"v":1,"type":"login","device":format!("SIP/{user}"),"user":user,
            "password":user,"surface":"voice",
            "voice":{"organizationId":"00D000000000001","callCenter":"NeotelContactCenter"}}),
        )
        .await;
        let mut page = Self {
            ws,
            published: Vec::new(),
            calls: Vec::new(),
            next_id: 0,
            results: Vec::new(),
            requests: Vec::new(),
            components,
        };
        page.until("voiceSetup", |m| m["type"] == "voiceSetup")
            .await;
        page
    }

    /// Reads (acting on each message) until one satisfies `pred` (15 s).
    pub async fn until(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let m =
                self.ws.try_recv(left).await.unwrap_or_else(|| {
                    panic!("no {what} within 15 s; published {:?}", self.kinds())
                });
            self.act(&m).await;
            if pred(&m) {
                return m;
            }
        }
    }

    /// What a page does with a message: keeps it, and its components answer the core.
    pub async fn act(&mut self, m: &Value) {
        match m["type"].as_str() {
            Some("voicePublish") => {
                let kind = m["eventType"].as_str().unwrap_or_default().to_owned();
                if kind == "MESSAGE" && m["payload"]["type"] == "roll" && self.components {
                    let id = self.next();
                    self.ws
                        .send(
                            json!({"v":1,"type":"voiceCall","id":id,"method":"handleMessage",
                            "args":{"message":{"neotel":1,"type":"hello"}}}),
                        )
                        .await;
                }
                if kind == "MESSAGE" && m["payload"]["type"] == "request" && self.components {
                    let request = m["payload"].clone();
                    self.requests.push(request.clone());
                    let answer = components_answer(&request);
                    let id = self.next();
                    self.ws
                        .send(
                            json!({"v":1,"type":"voiceCall","id":id,"method":"handleMessage",
                            "args":{"message":{"neotel":1,"type":"answer","id":request["id"],
                            "ok":true,"answer":answer}}}),
                        )
                        .await;
                }
                self.published.push((kind, m["payload"].clone()));
            }
            Some("voiceCalls" | "voiceSetup") => {
                self.calls = m["activeCalls"].as_array().cloned().unwrap_or_default();
            }
            Some("voiceResult") => self.results.push(m.clone()),
            _ => {}
        }
    }

    pub fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Salesforce calls `method`: its result.
    pub async fn call(&mut self, method: &str, args: Value) -> Value {
        let id = self.next();
        self.ws
            .send(json!({"v":1,"type":"voiceCall","id":id,"method":method,"args":args}))
            .await;
        self.until(&format!("the result of {method}"), |m| {
            m["type"] == "voiceResult" && m["id"] == id
        })
        .await
    }

    pub fn kinds(&self) -> Vec<&str> {
        self.published
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| *k != "MESSAGE")
            .collect()
    }
}

/// What the components answer: the org has the dataset's María González (one match).
pub fn components_answer(request: &Value) -> Value {
    match request["ask"].as_str().unwrap_or_default() {
        "findRecords" if request["key"] == "0038d0000000001AAA" => json!({"records": [
            {"id": "0038d0000000001AAA", "objectType": "Contact", "name": "María González"}
        ]}),
        "findRecords" | "findCampaignRecord" => json!({"records": []}),
        "readRecord" | "currentRecord" => json!({"record": null}),
        "logCall" => json!({"logId": "00T000000000009AAA"}),
        "findCallLog" => json!({"logId": null}),
        _ => json!({}),
    }
}

pub async fn applied(s: &TestServer, method: &str) -> usize {
    s.journal()
        .await
        .iter()
        .filter(|e| e["method"] == method && e["status"] == 200)
        .count()
}
