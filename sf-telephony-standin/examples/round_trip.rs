//! The client and the stand-in over real HTTP: a call's VoiceCall created, its end written
//! with the answer lost and written again, and what the stand-in holds.
//!
//! `cargo run -p sf-telephony-standin --example round_trip`

use std::sync::Arc;

use sf_telephony::{
    ClientConfig, CreateVoiceCall, DemoKeyPair, InitiationMethod, Outcome, Participant,
    TelephonyClient, UpdateVoiceCall,
};
use sf_telephony_standin::{Fault, FaultKind, FaultPlan, StandIn, StandInConfig, StandInServer};

const ORG: &str = "00D000000000001";
const CENTER: &str = "NeotelContactCenter";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pair = DemoKeyPair::generate("round_trip example")?;
    let stand_in = StandIn::new(StandInConfig::new(ORG, CENTER, pair.certificate_pem()))?;
    let server = StandInServer::start("127.0.0.1:0".parse()?, stand_in).await?;
    println!("stand-in at {}/telephony/v1", server.base_url());

    let client = TelephonyClient::new(
        ClientConfig::new(server.base_url(), ORG, CENTER, "neotel"),
        Arc::new(pair.key_material()?),
    )?;
    let created = client
        .create_voice_call(&CreateVoiceCall {
            call_center_api_name: CENTER.into(),
            vendor_call_key: "neotel-4711".into(),
            to: "8005550100".into(),
            from: "1155550199".into(),
            initiation_method: InitiationMethod::Inbound,
            start_time: chrono::Utc::now(),
            participants: vec![Participant::end_user("1155550199")],
            parent_voice_call_id: None,
            queue: None,
            call_origin: None,
            call_subtype: None,
            call_attributes: Some(sf_telephony::call_attributes([("NeoCallId__c", "4711")])),
        })
        .await;
    println!("create: {created}");

    server.shared().lock().set_faults(FaultPlan {
        next: vec![Fault {
            after_write: true,
            ..Fault::new(FaultKind::Drop)
        }],
        ..FaultPlan::default()
    });
    let end = UpdateVoiceCall {
        end_time: Some(chrono::Utc::now()),
        agent_interaction_duration: Some(95),
        is_active_call: Some(false),
        ..UpdateVoiceCall::default()
    };
    let first = client.update_voice_call("neotel-4711", &end).await;
    println!("update: {first}");
    if let Outcome::Unknown(_) = first {
        // R2 overwrites by id: sending the same body again is safe.
        println!(
            "update again: {}",
            client.update_voice_call("neotel-4711", &end).await
        );
    }

    let snapshot = server.shared().lock().snapshot();
    println!("{}", serde_json::to_string_pretty(&snapshot)?);
    server.shutdown().await;
    Ok(())
}
